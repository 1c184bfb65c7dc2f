import Foundation

/// A profile, scenario or option that cannot be used: which file, which key, and what is wrong,
/// phrased so that a person can fix the file without reading the source.
///
/// ```
/// config/my-profile.json: sensors[2].normal: expected an array of two numbers [min, max]
/// ```
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file the problem is in, when it came from a file.
    public var file: String?
    /// A path to the offending key, such as `sensors[2].noise` or `anomalies[0].device`.
    public var key: String
    /// What is wrong and, where it helps, what would be right.
    public var problem: String

    /// An error about `key` (in `file`, when there is one).
    public init(file: String? = nil, key: String, problem: String) {
        self.file = file
        self.key = key
        self.problem = problem
    }

    public var description: String {
        let location = key.isEmpty ? "" : "\(key): "
        return (file.map { "\($0): " } ?? "") + location + problem
    }

    /// The same error, attributed to `file`.
    func inFile(_ file: String?) -> ConfigurationError {
        var copy = self
        copy.file = file
        return copy
    }

    /// Translates a decoding failure into the key path it happened at and a plain explanation.
    init(_ error: DecodingError, file: String?) {
        switch error {
        case .keyNotFound(let key, let context):
            self.init(file: file, key: Self.path(context.codingPath + [key]), problem: "is required but missing")
        case .valueNotFound(let type, let context):
            self.init(file: file, key: Self.path(context.codingPath), problem: "must not be null (expected \(Self.describe(type)))")
        case .typeMismatch(let type, let context):
            self.init(file: file, key: Self.path(context.codingPath), problem: "expected \(Self.describe(type))")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
                self.init(file: file, key: "", problem: "is not valid JSON (\(underlying ?? context.debugDescription))")
            } else {
                self.init(file: file, key: Self.path(context.codingPath), problem: context.debugDescription)
            }
        @unknown default:
            self.init(file: file, key: "", problem: "\(error)")
        }
    }

    /// `sensors[2].normal` from a coding path.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return text
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Int.Type, is UInt64.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is ClosedRange<Double>.Type: "an array of two numbers [min, max]"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}

/// Any key, for listing the keys an object actually has.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}

extension Decoder {
    /// Fails on keys the type does not know: a misspelt `"nosie"` must not be silently ignored.
    func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ keys: Keys.Type) throws {
        let container = try self.container(keyedBy: AnyCodingKey.self)
        let allowed = Keys.allCases.map(\.stringValue)
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: codingPath + [key],
                debugDescription: "unknown key; allowed here: \(allowed.joined(separator: ", "))"))
        }
    }
}

extension ConfigurationError {
    /// Reads and decodes a JSON file, reporting a missing file, bad JSON or a bad key by name.
    static func decodeFile<T: Decodable>(_ type: T.Type, from url: URL) throws(ConfigurationError) -> T {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ConfigurationError(file: url.path, key: "", problem: "cannot be read (\(error.localizedDescription))")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw ConfigurationError(error, file: url.path)
        } catch let error as ConfigurationError {
            throw error.inFile(url.path)
        } catch {
            throw ConfigurationError(file: url.path, key: "", problem: "\(error)")
        }
    }
}
