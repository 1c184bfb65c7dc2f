import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes bytes to a file through a large buffer and plain `write(2)` calls: millions of small
/// rows, no `Data` or `String` per row.
public final class ByteFileWriter {
    /// The file being written.
    public let path: String
    private var descriptor: Int32
    /// Fill this, then call `flushIfFull()`; `close()` writes the rest.
    public var buffer: [UInt8] = []
    private let capacity: Int

    /// Creates or truncates the file.
    /// - Throws: `ConfigurationError` naming the file when it cannot be created.
    public init(path: String, capacity: Int = 1 << 18) throws(ConfigurationError) {
        self.path = path
        self.capacity = capacity
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ConfigurationError(file: path, key: "", problem: "cannot be created (\(String(cString: strerror(errno))))")
        }
        buffer.reserveCapacity(capacity + 4096)
    }

    deinit { if descriptor >= 0 { Self.closeDescriptor(descriptor) } }

    private static func closeDescriptor(_ descriptor: Int32) {
        #if canImport(Glibc)
        _ = Glibc.close(descriptor)
        #else
        _ = Darwin.close(descriptor)
        #endif
    }

    /// Writes the buffer out once it holds at least the capacity.
    @inline(__always)
    public func flushIfFull() throws(ConfigurationError) {
        if buffer.count >= capacity { try flush() }
    }

    /// Writes out whatever is buffered.
    public func flush() throws(ConfigurationError) {
        var written = 0
        while written < buffer.count {
            let result = buffer.withUnsafeBytes { bytes in
                write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw ConfigurationError(file: path, key: "", problem: "cannot be written (\(String(cString: strerror(errno))))")
            }
            written += result
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Appends a line (the bytes and a newline) and flushes when the buffer is full.
    public func writeLine(_ bytes: [UInt8]) throws(ConfigurationError) {
        buffer.append(contentsOf: bytes)
        buffer.append(UInt8(ascii: "\n"))
        try flushIfFull()
    }

    /// Flushes and closes the file; further writes are not allowed.
    public func close() throws(ConfigurationError) {
        try flush()
        if descriptor >= 0 {
            Self.closeDescriptor(descriptor)
            descriptor = -1
        }
    }
}
