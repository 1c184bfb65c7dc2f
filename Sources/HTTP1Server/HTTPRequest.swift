/// One parsed request: the head as sent (method, target, headers) with the path and query decoded, and
/// the whole body, which the server has read (within its limit) before any handler sees the request.
public struct HTTPRequest: Sendable {
    /// The method token as sent; methods are case-sensitive (RFC 9110 §9.1).
    public let method: String
    /// The request target as sent, `/api/devices?x=1`.
    public let target: String
    /// The target's path, percent-decoded segment by segment, so `%2F` never makes a new segment.
    public let pathSegments: [String]
    /// Query parameters, percent-decoded; the first of repeated names wins.
    public let query: [String: String]
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Values of a route's `:name` segments, filled in by `HTTPRouter`.
    public var routeParameters: [String: String] = [:]
    /// HTTP/1.0 or HTTP/1.1, as `(1, 0)` or `(1, 1)`.
    public var version: (major: Int, minor: Int)

    public init(method: String, target: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], version: (major: Int, minor: Int) = (1, 1)) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.version = version
        let (path, query) = Self.split(target: target)
        pathSegments = path
        self.query = query
    }

    /// The decoded path, `/api/devices/pump-07/series`, for messages: `/a%2Fb` and `/a/b` read the same
    /// here, so decisions compare `pathSegments`.
    public var path: String { "/" + pathSegments.joined(separator: "/") }

    static func split(target: String) -> (path: [String], query: [String: String]) {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = (parts.first ?? "").split(separator: "/", omittingEmptySubsequences: true).map { PercentDecoding.decode($0) ?? String($0) }
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let nameAndValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let name = PercentDecoding.decode(nameAndValue[0]), query[name] == nil else { continue }
                query[name] = nameAndValue.count > 1 ? PercentDecoding.decode(nameAndValue[1]) ?? "" : ""
            }
        }
        return (path, query)
    }
}

/// Header fields in the order sent; names compare without regard to case (RFC 9110 §5.1).
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}
    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { append(name, value) }
    }

    public mutating func append(_ name: String, _ value: String) { fields.append((name, value)) }

    public mutating func removeAll(_ name: String) { fields.removeAll { Self.equalNames($0.name, name) } }

    /// The first value of `name`.
    public subscript(name: String) -> String? {
        fields.first { Self.equalNames($0.name, name) }?.value
    }

    public func values(_ name: String) -> [String] {
        fields.filter { Self.equalNames($0.name, name) }.map(\.value)
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    static func equalNames(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.count == rhs.utf8.count && zip(lhs.utf8, rhs.utf8).allSatisfy { asciiLowercase($0) == asciiLowercase($1) }
    }

    static func asciiLowercase(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte + 32 : byte }
}

enum PercentDecoding {
    /// `pump%2D07` → `pump-07`; nil for a broken escape or bytes that are not UTF-8.
    static func decode(_ text: Substring) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
