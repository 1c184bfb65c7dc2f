import IsolationForest

/// Report files the commands write, by the same rules as model files (`OutputFileWriter`).
enum OutputFile {
    static func write(_ bytes: [UInt8], to path: String) throws {
        do { try OutputFileWriter.write(bytes, to: path) } catch { throw OutputError(error.message) }
    }
}

struct OutputError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
