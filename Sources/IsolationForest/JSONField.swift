/// Typed access to JSON members with errors that name the member.
enum Field {
    static let maxSafeInteger: UInt64 = 9_007_199_254_740_991

    static func required(_ members: [String: JSONValue], _ key: String, at location: String) throws(ModelFileError) -> JSONValue {
        guard let value = members[key] else {
            throw ModelFileError(.missingField, at: location.isEmpty ? key : "\(location).\(key)", "required member is missing")
        }
        return value
    }

    static func rejectUnknown(_ members: [String: JSONValue], allowed: Set<String>, at location: String) throws(ModelFileError) {
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw ModelFileError(
                .invalidValue, at: location.isEmpty ? unknown : "\(location).\(unknown)",
                "unknown member (expected one of \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    static func object(_ value: JSONValue, at location: String) throws(ModelFileError) -> [String: JSONValue] {
        guard let members = value.objectValue else { throw ModelFileError(.invalidValue, at: location, "expected an object, found \(kind(value))") }
        return members
    }

    static func array(_ value: JSONValue, at location: String) throws(ModelFileError) -> [JSONValue] {
        guard let elements = value.arrayValue else { throw ModelFileError(.invalidValue, at: location, "expected an array, found \(kind(value))") }
        return elements
    }

    static func string(_ value: JSONValue, at location: String) throws(ModelFileError) -> String {
        guard let string = value.stringValue else { throw ModelFileError(.invalidValue, at: location, "expected a string, found \(kind(value))") }
        return string
    }

    static func double(_ value: JSONValue, at location: String) throws(ModelFileError) -> Double {
        guard let number = value.doubleValue else { throw ModelFileError(.invalidValue, at: location, "expected a number, found \(kind(value))") }
        guard number.isFinite else { throw ModelFileError(.invalidValue, at: location, "\(number) is not a finite number") }
        return number
    }

    /// An integer that fits comfortably in a node index or count (|n| < 2^31).
    static func integer(_ value: JSONValue, at location: String) throws(ModelFileError) -> Int {
        let number = try double(value, at: location)
        guard number.rounded(.towardZero) == number, abs(number) < 2_147_483_648 else {
            throw ModelFileError(.invalidValue, at: location, "\(number) is not an integer in range")
        }
        return Int(number)
    }

    static func doubles(_ value: JSONValue, at location: String, count: Int) throws(ModelFileError) -> [Double] {
        let elements = try array(value, at: location)
        guard elements.count == count else {
            throw ModelFileError(.invalidStructure, at: location, "has \(elements.count) entries, expected \(count)")
        }
        var result: [Double] = []
        result.reserveCapacity(count)
        for (index, element) in elements.enumerated() { result.append(try double(element, at: "\(location)[\(index)]")) }
        return result
    }

    static func integers(_ value: JSONValue, at location: String, count: Int) throws(ModelFileError) -> [Int] {
        let elements = try array(value, at: location)
        guard elements.count == count else {
            throw ModelFileError(.invalidStructure, at: location, "has \(elements.count) entries, expected \(count)")
        }
        var result: [Int] = []
        result.reserveCapacity(count)
        for (index, element) in elements.enumerated() { result.append(try integer(element, at: "\(location)[\(index)]")) }
        return result
    }

    /// A seed: a non-negative integer number up to 2^53 - 1, or a decimal string for larger ones.
    static func seed(_ value: JSONValue, at location: String) throws(ModelFileError) -> UInt64 {
        switch value {
        case .number(let number):
            guard number >= 0, number.rounded(.towardZero) == number, number <= Double(maxSafeInteger) else {
                throw ModelFileError(.invalidValue, at: location, "\(number) is not an integer in 0...2^53-1 (write larger seeds as decimal strings)")
            }
            return UInt64(number)
        case .string(let text):
            guard let seed = UInt64(text), seed > maxSafeInteger, String(seed) == text else {
                throw ModelFileError(.invalidValue, at: location, "\"\(text)\" is not a decimal seed above 2^53-1 (write smaller seeds as numbers)")
            }
            return seed
        default:
            throw ModelFileError(.invalidValue, at: location, "expected a number or a decimal string, found \(kind(value))")
        }
    }

    static func kind(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a Boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
