/// Latencies in microseconds, in log-spaced buckets (about 3 % apart) from 1 µs to about 1 hour:
/// constant memory and O(1) recording for the hot path, percentiles good to a few percent.
public struct LatencyHistogram: Sendable, Equatable {
    private static let bucketsPerDoubling = 24
    private static let bucketCount = 32 * bucketsPerDoubling
    private var buckets = [UInt32](repeating: 0, count: LatencyHistogram.bucketCount)
    public private(set) var count = 0
    public private(set) var maximum = 0.0

    public init() {}

    @inline(__always)
    static func bucket(_ microseconds: Double) -> Int {
        guard microseconds > 1 else { return 0 }
        let index = Int(log2(microseconds) * Double(bucketsPerDoubling))
        return min(bucketCount - 1, max(0, index))
    }

    static func upperBound(_ bucket: Int) -> Double { exp2(Double(bucket + 1) / Double(bucketsPerDoubling)) }

    public mutating func record(microseconds: Double) {
        guard microseconds.isFinite else { return }
        let value = max(0, microseconds)
        buckets[Self.bucket(value)] &+= 1
        count += 1
        if value > maximum { maximum = value }
    }

    /// The value below which `fraction` (0…1) of the recorded latencies lie, in microseconds.
    public func percentile(_ fraction: Double) -> Double? {
        guard count > 0 else { return nil }
        let target = max(1, Int((fraction * Double(count)).rounded(.up)))
        var seen = 0
        for (index, bucketCount) in buckets.enumerated() {
            seen += Int(bucketCount)
            if seen >= target { return min(Self.upperBound(index), maximum) }
        }
        return maximum
    }

    public mutating func reset() { self = LatencyHistogram() }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
