import Foundation
import IsolationForest

extension JSONValue {
    /// Decodes a `Decodable` value from this JSON value (through its JSON text; not for hot paths).
    static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
    }

    /// Encodes an `Encodable` value as a JSON value (through its JSON text; not for hot paths).
    static func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }
}
