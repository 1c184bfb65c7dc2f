import Foundation
import Telemetry

/// How a CSV file writes its timestamps.
public enum TimestampFormat: String, Sendable, Hashable, CaseIterable {
    /// Decided from the first value: a number of at least 10^11 is epoch milliseconds, a smaller
    /// number epoch seconds, anything else a date and time.
    case auto
    case epochMilliseconds = "epoch-ms"
    case epochSeconds = "epoch-s"
    /// `YYYY-MM-DD hh:mm:ss` (or with `T`, fractional seconds, `Z` or an offset such as `+03:00`).
    /// Without a zone the time is local-naive: read in the configured time zone.
    case dateTime = "datetime"
}

/// Turns timestamp cells into epoch milliseconds, fast: date-times are parsed by hand, and the
/// time-zone offset is looked up once per hour of data, not once per row.
public struct TimestampParser: Sendable {
    /// The format in use (`auto` becomes the detected one after the first value).
    public private(set) var format: TimestampFormat
    /// The zone of local-naive date-times.
    public let timeZone: TimeZone
    private var cachedHour: Int64 = .min
    private var cachedOffset: Int64 = 0

    /// A parser for `format`, reading local-naive date-times in `timeZone`.
    public init(format: TimestampFormat, timeZone: TimeZone) {
        self.format = format
        self.timeZone = timeZone
    }

    /// Epoch milliseconds, or nil if `text` is not a timestamp in this format.
    public mutating func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if format == .auto {
            if let number = Double(trimmed), number.isFinite {
                format = abs(number) >= 1e11 ? .epochMilliseconds : .epochSeconds
            } else {
                format = .dateTime
            }
        }
        switch format {
        case .epochMilliseconds:
            guard let number = Double(trimmed), number.isFinite, abs(number) < Double(Timestamp.limit) else { return nil }
            return Int64(number.rounded())
        case .epochSeconds:
            guard let number = Double(trimmed), number.isFinite, abs(number) < Double(Timestamp.limit) / 1000 else { return nil }
            return Int64((number * 1000).rounded())
        case .dateTime, .auto:
            return parseDateTime(Array(trimmed.utf8))
        }
    }

    private mutating func parseDateTime(_ bytes: [UInt8]) -> Int64? {
        var position = 0
        func digits(_ count: Int) -> Int64? {
            guard position + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for offset in 0..<count {
                let byte = bytes[position + offset]
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            position += count
            return value
        }
        func accept(_ allowed: [UInt8]) -> Bool {
            guard position < bytes.count, allowed.contains(bytes[position]) else { return false }
            position += 1
            return true
        }
        let dateSeparators: [UInt8] = [UInt8(ascii: "-"), UInt8(ascii: "/")]
        guard let year = digits(4), accept(dateSeparators), let month = digits(2), accept(dateSeparators), let day = digits(2),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        var hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0, millisecond: Int64 = 0
        if accept([UInt8(ascii: " "), UInt8(ascii: "T")]) {
            guard let h = digits(2), accept([UInt8(ascii: ":")]), let m = digits(2), h < 24, m < 60 else { return nil }
            hour = h
            minute = m
            if accept([UInt8(ascii: ":")]) {
                guard let s = digits(2), s <= 60 else { return nil }
                second = s
                if accept([UInt8(ascii: "."), UInt8(ascii: ",")]) {
                    var scale: Int64 = 100
                    var any = false
                    while position < bytes.count, (48...57).contains(bytes[position]) {
                        millisecond += Int64(bytes[position] - 48) * scale
                        scale /= 10
                        position += 1
                        any = true
                    }
                    guard any else { return nil }
                }
            }
        }
        let days = UTCTime.days(year: year, month: Int(month), day: Int(day))
        let naive = days * 86_400 + hour * 3600 + minute * 60 + second
        var offset: Int64
        if accept([UInt8(ascii: "Z"), UInt8(ascii: "z")]) {
            offset = 0
        } else if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[position] == UInt8(ascii: "-") ? -1 : 1
            position += 1
            guard let h = digits(2) else { return nil }
            _ = accept([UInt8(ascii: ":")])
            let m = digits(2) ?? 0
            offset = sign * (h * 3600 + m * 60)
        } else {
            offset = localOffset(naive: naive)
        }
        guard position == bytes.count else { return nil }
        return (naive - offset) * 1000 + millisecond
    }

    /// The zone's offset for a local wall-clock time (cached per hour; daylight-saving edges resolved
    /// the way a person reading the local clock would: the offset in force at that instant).
    private mutating func localOffset(naive: Int64) -> Int64 {
        let hour = naive / 3600
        if hour == cachedHour { return cachedOffset }
        var offset = Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(naive))))
        let corrected = Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(naive - offset))))
        if corrected != offset { offset = corrected }
        cachedHour = hour
        cachedOffset = offset
        return offset
    }
}
