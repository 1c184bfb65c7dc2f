import ArgumentParser
import Foundation

/// A length of time on the command line: `90` or `90s`, `500ms`, `15m`, `2h`, `1d`, or combined
/// such as `1h30m`.
struct DurationArgument: ExpressibleByArgument, Sendable, CustomStringConvertible {
    let seconds: Double
    let text: String

    init(seconds: Double, text: String) {
        self.seconds = seconds
        self.text = text
    }

    init?(argument: String) {
        let factors: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var rest = Substring(argument.trimmingCharacters(in: .whitespaces).lowercased())
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard let value = Double(number), value >= 0 else { return nil }
            rest = rest.dropFirst(number.count)
            if rest.hasPrefix("ms") {
                total += value / 1000
                rest = rest.dropFirst(2)
            } else if let unit = rest.first, let factor = factors[unit] {
                total += value * factor
                rest = rest.dropFirst()
            } else if rest.isEmpty {
                total += value  // a bare number is seconds
            } else {
                return nil
            }
        }
        guard total.isFinite else { return nil }
        self.init(seconds: total, text: argument)
    }

    var description: String { text }
    var defaultValueDescription: String { text }
}
