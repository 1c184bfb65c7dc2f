/// A JSON value, used for the open parts of the model file (`featureSpec`, the parameters of a
/// threshold method, extra training metadata) so they round-trip without this module knowing
/// their schema.
///
/// Numbers are `Double`, as in JavaScript and RFC 8785 canonical JSON: integers are exact up to 2^53.
/// It is `Codable`, so another module can turn it into its own types, e.g. with
/// `JSONDecoder().decode(FeatureSpec.self, from: JSONEncoder().encode(value))`.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The member `key` when this is an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The number, when this is a number.
    public var doubleValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The number as an `Int`, when this is a number with an exact integer value.
    public var intValue: Int? {
        guard case .number(let value) = self, value.rounded(.towardZero) == value,
            abs(value) <= 9_007_199_254_740_992
        else { return nil }
        return Int(value)
    }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The Boolean, when this is a Boolean.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The members, when this is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// Parses JSON text (UTF-8), rejecting anything that is not strict RFC 8259 JSON,
    /// non-finite numbers, duplicate keys, nesting deeper than `maxDepth` and more than `maxValues` values.
    /// - Throws: ``ModelFileError`` with code `syntax` or `limitExceeded`.
    public init(parsing bytes: some Collection<UInt8>, maxDepth: Int = 64, maxValues: Int = .max) throws(ModelFileError) {
        let array = Array(bytes)
        var parser = JSONParser(bytes: array, maxDepth: maxDepth, maxValues: maxValues)
        self = try parser.parseDocument()
    }

    /// Canonical JSON text (RFC 8785: sorted keys, no whitespace, shortest numbers), as UTF-8.
    /// Two equal values always give the same bytes, so it is what the model id hashes.
    public func canonicalBytes() -> [UInt8] {
        var out: [UInt8] = []
        CanonicalJSON.write(self, into: &out)
        return out
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
