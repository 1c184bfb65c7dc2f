/// CSV fields as RFC 4180 writes them: quoted only when they contain the separator, a quote or a
/// line break, with quotes doubled.
public enum CSVText {
    /// Appends `field`, quoted if it needs to be.
    public static func appendField(_ field: String, separator: UInt8 = UInt8(ascii: ","), to buffer: inout [UInt8]) {
        let needsQuotes = field.utf8.contains { $0 == separator || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
        guard needsQuotes else {
            buffer.append(contentsOf: field.utf8)
            return
        }
        buffer.append(UInt8(ascii: "\""))
        for byte in field.utf8 {
            if byte == UInt8(ascii: "\"") { buffer.append(byte) }
            buffer.append(byte)
        }
        buffer.append(UInt8(ascii: "\""))
    }

    /// A header or record line (no newline).
    public static func line(_ fields: [String], separator: UInt8 = UInt8(ascii: ",")) -> [UInt8] {
        var bytes: [UInt8] = []
        for (index, field) in fields.enumerated() {
            if index > 0 { bytes.append(separator) }
            appendField(field, separator: separator, to: &bytes)
        }
        return bytes
    }
}
