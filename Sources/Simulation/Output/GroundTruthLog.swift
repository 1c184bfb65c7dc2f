import Telemetry

/// The ground-truth log: one JSON line per record (JSON Lines), in the order the records happened.
public final class GroundTruthLog {
    private let writer: ByteFileWriter
    /// Write each record through to the file at once (for a live run that may be killed), or only
    /// when the buffer fills (for an offline data set).
    private let writeThrough: Bool
    /// Records written so far.
    public private(set) var count = 0

    /// The log file.
    public var path: String { writer.path }

    /// Creates or truncates the log file.
    public init(path: String, writeThrough: Bool) throws(ConfigurationError) {
        writer = try ByteFileWriter(path: path, capacity: writeThrough ? 4096 : 1 << 16)
        self.writeThrough = writeThrough
    }

    /// Appends one record as a JSON line.
    public func append(_ record: GroundTruthRecord) throws(ConfigurationError) {
        try writer.writeLine(GroundTruthEncoding.encode(record))
        count += 1
        if writeThrough { try writer.flush() }
    }

    /// Writes out what is buffered and closes the file.
    public func close() throws(ConfigurationError) { try writer.close() }
}
