import Foundation

/// Epoch milliseconds, the contract's time unit. Decodes from an integer (or a whole-number float) or
/// from an RFC 3339 string; always encodes as an integer.
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public static func now() -> Timestamp {
        Timestamp(milliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }

    public var description: String { "\(milliseconds)" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // |ts| < 9e15 (the year 287,000) either way: far-off values are typos or attacks, and keeping them small
        // keeps every sum and difference of timestamps clear of Int64 overflow.
        if let integer = try? container.decode(Int64.self), integer.magnitude < Self.limit {
            milliseconds = integer
        } else if let number = try? container.decode(Double.self), number.isFinite, number.rounded() == number,
                  abs(number) < Double(Self.limit) {
            milliseconds = Int64(number)
        } else if let text = try? container.decode(String.self), let parsed = Timestamp(rfc3339: text) {
            self = parsed
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "ts must be epoch milliseconds or an RFC 3339 time")
        }
    }

    /// The largest magnitude decoded, exclusive: 9e15 ms.
    public static let limit: UInt64 = 9_000_000_000_000_000

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(milliseconds)
    }

    /// Parses `2025-11-22T07:40:00.125Z` or with an offset such as `+01:00`; fractional seconds optional.
    public init?(rfc3339 text: String) {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) {
            milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
            return
        }
        formatter.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: text) else { return nil }
        milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
