#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A forward-only JSON tokenizer over borrowed bytes, for `TelemetryParser`. Strings without escapes
/// are returned as slices of the input, so known keys cost no allocation.
struct JSONReader {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// A string's UTF-8 bytes: a slice of the input, or a decoded copy when it had escapes.
    struct StringBytes {
        let slice: UnsafeRawBufferPointer
        let decoded: [UInt8]?

        func withBuffer<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
            guard let decoded else { return body(slice) }
            return decoded.withUnsafeBytes { body($0) }
        }

        var string: String {
            decoded.map { String(decoding: $0, as: UTF8.self) } ?? String(decoding: slice, as: UTF8.self)
        }
    }

    @inline(__always) mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    func error(_ what: String) -> TelemetryParseError {
        TelemetryParseError(.malformedJSON, "\(what) at byte \(position)")
    }

    @inline(__always) mutating func peek() throws(TelemetryParseError) -> UInt8 {
        skipWhitespace()
        guard position < bytes.count else { throw error("unexpected end") }
        return bytes[position]
    }

    mutating func expect(_ byte: UInt8) throws(TelemetryParseError) {
        guard try peek() == byte else { throw error("expected '\(Character(Unicode.Scalar(byte)))'") }
        position += 1
    }

    mutating func consumeIf(_ byte: UInt8) throws(TelemetryParseError) -> Bool {
        guard try peek() == byte else { return false }
        position += 1
        return true
    }

    mutating func consumeNull() throws(TelemetryParseError) -> Bool {
        guard try peek() == UInt8(ascii: "n") else { return false }
        try consumeLiteral("null")
        return true
    }

    mutating func consumeLiteral(_ literal: StaticString) throws(TelemetryParseError) {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count,
              UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)]).elementsEqual(
                UnsafeRawBufferPointer(start: literal.utf8Start, count: count)) else {
            throw error("invalid literal")
        }
        position += count
    }

    mutating func expectEnd() throws(TelemetryParseError) {
        skipWhitespace()
        guard position == bytes.count else { throw error("trailing characters") }
    }

    mutating func readString() throws(TelemetryParseError) -> String {
        try readStringBytes().string
    }

    mutating func readStringBytes() throws(TelemetryParseError) -> StringBytes {
        try expect(UInt8(ascii: "\""))
        let start = position
        var asciiOnly = true
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<position])
                position += 1
                if !asciiOnly, String(validating: slice, as: UTF8.self) == nil {
                    throw TelemetryParseError(.invalidUTF8, "a string is not valid UTF-8 at byte \(start)")
                }
                return StringBytes(slice: slice, decoded: nil)
            }
            if byte == UInt8(ascii: "\\") { position = start; return try readEscapedString() }
            if byte < 0x20 { throw error("control character in a string") }
            if byte >= 0x80 { asciiOnly = false }
            position += 1
        }
        throw error("unterminated string")
    }

    /// The slow path: a string with escapes, decoded into its own buffer.
    private mutating func readEscapedString() throws(TelemetryParseError) -> StringBytes {
        let start = position
        var output: [UInt8] = []
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard String(validating: output, as: UTF8.self) != nil else {
                    throw TelemetryParseError(.invalidUTF8, "a string is not valid UTF-8 at byte \(start)")
                }
                return StringBytes(slice: UnsafeRawBufferPointer(start: nil, count: 0), decoded: output)
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { throw error("unterminated escape") }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escape)
                case UInt8(ascii: "b"): output.append(0x08)
                case UInt8(ascii: "f"): output.append(0x0C)
                case UInt8(ascii: "n"): output.append(0x0A)
                case UInt8(ascii: "r"): output.append(0x0D)
                case UInt8(ascii: "t"): output.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try readHex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                            throw TelemetryParseError(.invalidUTF8, "unpaired surrogate")
                        }
                        position += 2
                        let low = try readHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw TelemetryParseError(.invalidUTF8, "unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw TelemetryParseError(.invalidUTF8, "invalid \\u escape") }
                    output.append(contentsOf: String(Character(unicode)).utf8)
                default: throw error("invalid escape")
                }
            default:
                if byte < 0x20 { throw error("control character in a string") }
                output.append(byte)
            }
        }
        throw error("unterminated string")
    }

    private mutating func readHex4() throws(TelemetryParseError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            position += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid hex digit")
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// A sensor value: a JSON number. Strings, booleans, objects and the non-JSON words NaN and
    /// Infinity get their own reasons, since senders do produce them.
    mutating func readSensorNumber(name: StringBytes) throws(TelemetryParseError) -> Double {
        let byte = try peek()
        switch byte {
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let value = try readNumber()
            guard value.isFinite else { throw TelemetryParseError(.nonFiniteValue, "sensor \"\(name.string)\" is out of range") }
            return value
        case UInt8(ascii: "N"), UInt8(ascii: "I"):
            throw TelemetryParseError(.nonFiniteValue, "sensor \"\(name.string)\" is NaN or Infinity, which JSON cannot carry")
        default:
            throw TelemetryParseError(.nonNumericValue, "sensor \"\(name.string)\" is not a number")
        }
    }

    mutating func readInteger(field: String) throws(TelemetryParseError) -> Int64 {
        let value = try readNumber()
        guard value.isFinite, value.rounded() == value, abs(value) < 9.0e15 else {
            throw TelemetryParseError(.malformedJSON, "\(field) must be an integer")
        }
        return Int64(value)
    }

    mutating func readTimestamp() throws(TelemetryParseError) -> Int64 {
        if try peek() == UInt8(ascii: "\"") {
            let text = try readString()
            guard let timestamp = Timestamp(rfc3339: text) else {
                throw TelemetryParseError(.badTimestamp, "ts \(text.prefix(40).debugDescription) is not RFC 3339")
            }
            return timestamp.milliseconds
        }
        let value = try readNumber()
        guard value.isFinite, value.rounded() == value, abs(value) < Double(Timestamp.limit) else {
            throw TelemetryParseError(.badTimestamp, "ts must be whole epoch milliseconds")
        }
        return Int64(value)
    }

    /// JSON number grammar; exact fast path for up to 15 significant digits and small exponents
    /// (both operands exact in binary, so one correctly rounded operation), `strtod` otherwise.
    mutating func readNumber() throws(TelemetryParseError) -> Double {
        skipWhitespace()
        let start = position
        var negative = false
        if position < bytes.count && bytes[position] == UInt8(ascii: "-") { negative = true; position += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        let integerStart = position
        while position < bytes.count, case let byte = bytes[position], byte &- 0x30 < 10 {
            if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(byte &- 0x30); if mantissa != 0 { digits += 1 } } else { exponent += 1 }
            position += 1
        }
        let integerDigits = position - integerStart
        guard integerDigits > 0 else { throw error("invalid number") }
        if integerDigits > 1 && bytes[integerStart] == UInt8(ascii: "0") { throw error("leading zero in a number") }
        if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
            position += 1
            let fractionStart = position
            while position < bytes.count, case let byte = bytes[position], byte &- 0x30 < 10 {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(byte &- 0x30); exponent -= 1; if mantissa != 0 { digits += 1 } }
                position += 1
            }
            guard position > fractionStart else { throw error("invalid number") }
        }
        if position < bytes.count && (bytes[position] | 0x20) == UInt8(ascii: "e") {
            position += 1
            var exponentNegative = false
            if position < bytes.count && (bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+")) {
                exponentNegative = bytes[position] == UInt8(ascii: "-")
                position += 1
            }
            var written = 0
            let exponentStart = position
            while position < bytes.count, case let byte = bytes[position], byte &- 0x30 < 10 {
                if written < 100_000 { written = written * 10 + Int(byte &- 0x30) }
                position += 1
            }
            guard position > exponentStart else { throw error("invalid number") }
            exponent += exponentNegative ? -written : written
        }
        if digits <= 15 && exponent >= -22 && exponent <= 22 {
            var value = Double(mantissa)
            if exponent < 0 { value /= Self.powersOfTen[-exponent] } else { value *= Self.powersOfTen[exponent] }
            return negative ? -value : value
        }
        return slowNumber(start..<position)
    }

    private func slowNumber(_ range: Range<Int>) -> Double {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: range.count + 1) { buffer in
            for (offset, index) in range.enumerated() { buffer[offset] = CChar(bitPattern: bytes[index]) }
            buffer[range.count] = 0
            return strtod(buffer.baseAddress!, nil)
        }
    }

    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// Skips any JSON value, refusing nesting deeper than `TelemetryParser.maximumDepth`.
    mutating func skipValue(depth: Int) throws(TelemetryParseError) {
        guard depth <= TelemetryParser.maximumDepth else {
            throw TelemetryParseError(.tooDeep, "nesting deeper than \(TelemetryParser.maximumDepth)")
        }
        switch try peek() {
        case UInt8(ascii: "\""): _ = try readStringBytes()
        case UInt8(ascii: "{"):
            position += 1
            if try consumeIf(UInt8(ascii: "}")) { return }
            repeat {
                _ = try readStringBytes()
                try expect(UInt8(ascii: ":"))
                try skipValue(depth: depth + 1)
            } while try consumeIf(UInt8(ascii: ","))
            try expect(UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            position += 1
            if try consumeIf(UInt8(ascii: "]")) { return }
            repeat { try skipValue(depth: depth + 1) } while try consumeIf(UInt8(ascii: ","))
            try expect(UInt8(ascii: "]"))
        case UInt8(ascii: "t"): try consumeLiteral("true")
        case UInt8(ascii: "f"): try consumeLiteral("false")
        case UInt8(ascii: "n"): try consumeLiteral("null")
        default: _ = try readNumber()
        }
    }
}
