import Foundation

/// Runs a fuzz target over files, outside libFuzzer: what a fuzz executable does when it was built
/// without the fuzzer, and what the tests do with the committed corpus.
public enum CorpusReplay {
    /// The corpus files under `path` (a file, or every regular file in a folder and its subfolders,
    /// as libFuzzer reads them, sorted), each with its bytes.
    public static func inputs(at path: String) -> [(path: String, bytes: [UInt8])] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return [] }
        var files = [path]
        if isFolder.boolValue {
            let names = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String]) ?? []
            files = names.filter { !$0.split(separator: "/").contains { $0.hasPrefix(".") } }.sorted().map { "\(path)/\($0)" }
        }
        return files.compactMap { file in
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isFolder), !isFolder.boolValue else { return nil }
            return FileManager.default.contents(atPath: file).map { (file, [UInt8]($0)) }
        }
    }

    /// The entry point of a fuzz executable built without libFuzzer: replays the files or folders
    /// given as arguments (default `Fuzz/corpus/<target>`) and exits 1 when there was nothing to replay.
    public static func main(_ target: FuzzTarget) -> Never {
        let arguments = CommandLine.arguments.dropFirst().filter { !$0.hasPrefix("-") }
        let paths = arguments.isEmpty ? ["Fuzz/corpus/\(target.rawValue)"] : Array(arguments)
        var count = 0
        for path in paths {
            for input in inputs(at: path) {
                target.run(input.bytes)
                count += 1
            }
        }
        print("fuzz-\(target.rawValue): \(count) inputs replayed without a failure (built without libFuzzer: no fuzzing)")
        exit(count > 0 ? 0 : 1)
    }
}
