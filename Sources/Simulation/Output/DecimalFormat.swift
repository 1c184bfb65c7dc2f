/// Writes numbers as compact JSON/CSV text straight into a byte buffer, with no `String` per value.
///
/// A sensor with a resolution is printed with just enough decimals for it (0.1 → one decimal,
/// 0.0005 → four), trailing zeros dropped; otherwise the shortest text that reads back as the same
/// `Double`. Callers never pass NaN or infinity: they become `null` or an empty cell before this.
public struct DecimalFormat: Sendable, Hashable {
    /// Decimals after the point; nil for shortest round-trip text.
    public let decimals: Int?
    private let scale: Double

    /// Shortest round-trip text, for values with no known resolution (replayed CSV files).
    public static let shortest = DecimalFormat(decimals: nil)

    init(decimals: Int?) {
        self.decimals = decimals
        var scale = 1.0
        for _ in 0..<(decimals ?? 0) { scale *= 10 }
        self.scale = scale
    }

    /// The format for a sensor reporting in steps of `resolution` (0 for none).
    public init(resolution: Double) {
        guard resolution > 0, resolution.isFinite else {
            self.init(decimals: nil)
            return
        }
        var decimals = 0
        var scaled = resolution
        while decimals < 9, abs(scaled - scaled.rounded()) > 1e-9 * max(1, scaled) {
            decimals += 1
            scaled *= 10
        }
        self.init(decimals: decimals)
    }

    /// Appends `value` (finite) to `buffer`.
    @inline(__always)
    public func append(_ value: Double, to buffer: inout [UInt8]) {
        if let decimals {
            let scaled = (value * scale).rounded()
            if abs(scaled) < 1e15 {
                Self.appendFixed(Int64(scaled), decimals: decimals, to: &buffer)
                return
            }
        }
        buffer.append(contentsOf: value.description.utf8)
    }

    private static func appendFixed(_ scaled: Int64, decimals: Int, to buffer: inout [UInt8]) {
        var magnitude = scaled.magnitude
        if scaled < 0 { buffer.append(UInt8(ascii: "-")) }
        var divisor: UInt64 = 1
        for _ in 0..<decimals { divisor *= 10 }
        let whole = magnitude / divisor
        magnitude %= divisor
        appendInteger(whole, to: &buffer)
        guard magnitude > 0 else { return }
        var digits = decimals
        while magnitude % 10 == 0 {  // drop trailing zeros: 71.30 → 71.3
            magnitude /= 10
            digits -= 1
        }
        buffer.append(UInt8(ascii: "."))
        var width: UInt64 = 1
        for _ in 1..<max(digits, 1) { width *= 10 }
        while width > magnitude, width > 1 {  // leading zeros of the fraction: 0.05
            buffer.append(UInt8(ascii: "0"))
            width /= 10
        }
        appendInteger(magnitude, to: &buffer)
    }

    /// Appends the decimal digits of `value`: written backwards, then turned around in place, so no
    /// temporary buffer or `String` is needed.
    @inline(__always)
    public static func appendInteger(_ value: UInt64, to buffer: inout [UInt8]) {
        let start = buffer.count
        var rest = value
        repeat {
            buffer.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10))
            rest /= 10
        } while rest > 0
        buffer[start...].reverse()
    }

    /// Appends a signed integer.
    @inline(__always)
    public static func appendInteger(_ value: Int64, to buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        appendInteger(value.magnitude, to: &buffer)
    }
}
