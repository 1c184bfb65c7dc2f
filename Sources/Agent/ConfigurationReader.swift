import Foundation
import IsolationForest

/// Reads one JSON object of a configuration file: every getter names the dotted key in its error,
/// and `finish()` refuses keys nobody asked for, so a typo is an error instead of a silent default.
struct ConfigurationReader {
    let path: String
    private let values: [String: JSONValue]
    private var used: Set<String> = []

    init(json data: Data) throws(ConfigurationError) {
        // The model file's strict parser: duplicate keys and deep nesting are errors here too.
        let object: JSONValue
        do {
            object = try JSONValue(parsing: data, maxDepth: 16)
        } catch {
            throw ConfigurationError(key: "(file)", "is not valid JSON: \(error)")
        }
        guard let values = object.objectValue else { throw ConfigurationError(key: "(file)", "must be a JSON object") }
        self.init(path: "", values: values)
    }

    private init(path: String, values: [String: JSONValue]) {
        self.path = path
        self.values = values
    }

    private func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    private mutating func raw(_ name: String) -> JSONValue? {
        used.insert(name)
        guard let value = values[name], value != .null else { return nil }
        return value
    }

    mutating func string(_ name: String) throws(ConfigurationError) -> String? {
        guard let value = raw(name) else { return nil }
        guard let text = value.stringValue else { throw ConfigurationError(key: key(name), "must be a string") }
        return text
    }

    mutating func double(_ name: String) throws(ConfigurationError) -> Double? {
        guard let value = raw(name) else { return nil }
        guard let number = value.doubleValue else { throw ConfigurationError(key: key(name), "must be a number") }
        return number
    }

    mutating func int(_ name: String) throws(ConfigurationError) -> Int? {
        guard let number = try double(name) else { return nil }
        guard number.rounded() == number, abs(number) < 1e15 else { throw ConfigurationError(key: key(name), "must be a whole number") }
        return Int(number)
    }

    mutating func bool(_ name: String) throws(ConfigurationError) -> Bool? {
        guard let value = raw(name) else { return nil }
        guard let flag = value.boolValue else { throw ConfigurationError(key: key(name), "must be true or false") }
        return flag
    }

    mutating func strings(_ name: String) throws(ConfigurationError) -> [String]? {
        guard let value = raw(name) else { return nil }
        guard let list = value.arrayValue?.compactMap(\.stringValue), list.count == value.arrayValue?.count else {
            throw ConfigurationError(key: key(name), "must be a list of strings")
        }
        return list
    }

    mutating func object(_ name: String) throws(ConfigurationError) -> ConfigurationReader? {
        guard let value = raw(name) else { return nil }
        guard let members = value.objectValue else { throw ConfigurationError(key: key(name), "must be an object") }
        return ConfigurationReader(path: key(name), values: members)
    }

    /// Refuses keys that were never read (keys starting with `_` are comments).
    func finish() throws(ConfigurationError) {
        if let unknown = values.keys.sorted().first(where: { !used.contains($0) && !$0.hasPrefix("_") }) {
            throw ConfigurationError(key: key(Self.printable(unknown)), "is not a known key")
        }
    }

    /// A key as the error shows it: plain names as they are; an empty name, or one with characters that
    /// would make the message unreadable or break a log line, quoted and escaped (the fuzzer's `{"": 1}`
    /// used to give the error an empty key).
    static func printable(_ name: String) -> String {
        let plain = !name.isEmpty && name.unicodeScalars.allSatisfy {
            $0.properties.isAlphabetic || $0.properties.numericType != nil || "-_.".unicodeScalars.contains($0)
        }
        return plain ? name : name.debugDescription
    }
}
