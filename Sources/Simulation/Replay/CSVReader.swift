#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads CSV records from a file in chunks, so that a file of any size streams through a small
/// buffer: RFC 4180 quoting (separators, quotes and line breaks inside quoted fields), `\n` or
/// `\r\n` line ends, an optional UTF-8 byte-order mark, and any one-byte separator. One reader
/// belongs to one task (it is not `Sendable`).
public final class CSVReader {
    /// The file being read.
    public let path: String
    /// The separator in use: given, or detected from the header line.
    public private(set) var separator: UInt8
    /// The line on which the last record returned started (1-based), for error messages.
    public private(set) var line = 0
    private var descriptor: Int32
    private var chunk: [UInt8]
    private var index = 0
    private var count = 0
    private var nextLine = 1
    private var endOfFile = false

    /// Opens `path`; with a nil `separator`, the most frequent of `,` `;` tab `|` in the first line wins.
    /// - Throws: `ConfigurationError` naming the file when it cannot be opened or read.
    public init(path: String, separator: UInt8?) throws(ConfigurationError) {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ConfigurationError(file: path, key: "", problem: "cannot be opened (\(String(cString: strerror(errno))))")
        }
        chunk = Array(repeating: 0, count: 1 << 16)
        self.separator = UInt8(ascii: ",")
        try fill()
        if count >= 3, chunk[0] == 0xEF, chunk[1] == 0xBB, chunk[2] == 0xBF { index = 3 }
        self.separator = separator ?? Self.detectSeparator(in: chunk[index..<count])
    }

    deinit { _ = close(descriptor) }

    static func detectSeparator(in bytes: ArraySlice<UInt8>) -> UInt8 {
        let candidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|")]
        var counts = [Int](repeating: 0, count: candidates.count)
        var quoted = false
        for byte in bytes {
            if byte == UInt8(ascii: "\"") { quoted.toggle() }
            if !quoted, byte == UInt8(ascii: "\n") { break }
            if !quoted, let position = candidates.firstIndex(of: byte) { counts[position] += 1 }
        }
        let best = counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) }!
        return counts[best] > 0 ? candidates[best] : UInt8(ascii: ",")
    }

    private func fill() throws(ConfigurationError) {
        guard !endOfFile else { return }
        let result = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard result >= 0 else {
            throw ConfigurationError(file: path, key: "", problem: "cannot be read (\(String(cString: strerror(errno))))")
        }
        index = 0
        count = result
        if result == 0 { endOfFile = true }
    }

    @inline(__always)
    private func nextByte() throws(ConfigurationError) -> UInt8? {
        if index == count {
            try fill()
            if count == 0 { return nil }
        }
        defer { index += 1 }
        return chunk[index]
    }

    @inline(__always)
    private func peekByte() throws(ConfigurationError) -> UInt8? {
        if index == count {
            try fill()
            if count == 0 { return nil }
        }
        return chunk[index]
    }

    /// The next record's fields, or nil at the end of the file. Blank lines are skipped.
    public func nextRecord() throws(ConfigurationError) -> [String]? {
        while true {
            line = nextLine
            guard try peekByte() != nil else { return nil }
            var fields: [String] = []
            var field: [UInt8] = []
            var quoted = false
            var wasQuoted = false
            recordLoop: while let byte = try nextByte() {
                if quoted {
                    if byte == UInt8(ascii: "\"") {
                        if try peekByte() == UInt8(ascii: "\"") {
                            index += 1
                            field.append(byte)
                        } else {
                            quoted = false
                        }
                    } else {
                        if byte == UInt8(ascii: "\n") { nextLine += 1 }
                        field.append(byte)
                    }
                    continue
                }
                switch byte {
                case UInt8(ascii: "\"") where field.isEmpty && !wasQuoted:
                    quoted = true
                    wasQuoted = true
                case separator:
                    fields.append(String(decoding: field, as: UTF8.self))
                    field.removeAll(keepingCapacity: true)
                    wasQuoted = false
                case UInt8(ascii: "\n"):
                    nextLine += 1
                    break recordLoop
                case UInt8(ascii: "\r") where try peekByte() == UInt8(ascii: "\n"):
                    continue
                default:
                    field.append(byte)
                }
            }
            fields.append(String(decoding: field, as: UTF8.self))
            if fields.count == 1, fields[0].isEmpty, !wasQuoted { continue }
            return fields
        }
    }
}
