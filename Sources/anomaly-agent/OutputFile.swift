import Foundation

/// Files the commands write (reports): replaced atomically when they are regular files, so a reader never
/// sees half of one; written into when they are not (/dev/stdout, a FIFO), since a rename would replace
/// the device; a symbolic link is followed, so the file it names is written, not the link replaced.
/// Errors name the path and the reason.
enum OutputFile {
    static func write(_ bytes: [UInt8], to given: String) throws {
        var path = given
        if let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: given) {
            path = destination.hasPrefix("/") ? destination
                : URL(fileURLWithPath: given).deletingLastPathComponent().appendingPathComponent(destination).path
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw OutputError("cannot write \(given): the folder \(folder) does not exist")
        }
        let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
        do {
            if let type, type != .typeRegular {
                guard let handle = FileHandle(forWritingAtPath: path) else { throw OutputError("cannot open \(given) for writing") }
                defer { try? handle.close() }
                try handle.write(contentsOf: bytes)
            } else {
                try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
            }
        } catch let error as OutputError {
            throw error
        } catch {
            throw OutputError("cannot write \(given): \((error as NSError).localizedFailureReason ?? error.localizedDescription)")
        }
    }
}

struct OutputError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
