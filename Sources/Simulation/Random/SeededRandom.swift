#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small, fast, seedable random source (xoshiro256**, seeded through SplitMix64).
///
/// The emulator promises that the same seed gives the same bytes, on every platform and Swift
/// version. The standard library's `Double.random(in:using:)` and `SystemRandomNumberGenerator` make
/// no such promise, so every draw goes through the methods here, whose arithmetic is fixed.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64
    /// Box–Muller yields two normals per draw; the second is kept for the next call.
    private var spareGaussian: Double?

    /// Creates an independent stream: the same `seed` with different `stream` values gives
    /// uncorrelated sequences, so one device's noise never depends on another device or on the
    /// anomaly schedule.
    public init(seed: UInt64, stream: UInt64 = 0) {
        var mixer = SplitMix64(state: seed)
        var z = mixer.next() ^ (stream &* 0xD1B5_4A32_D192_ED03)
        mixer = SplitMix64(state: z)
        s0 = mixer.next()
        s1 = mixer.next()
        s2 = mixer.next()
        s3 = mixer.next()
        if s0 | s1 | s2 | s3 == 0 {  // the all-zero state is the one state xoshiro cannot leave
            z = 0x9E37_79B9_7F4A_7C15
            s0 = z
        }
    }

    @inlinable
    static func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = Self.rotate(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotate(s3, 45)
        return result
    }

    /// A uniform value in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A uniform value in `range`.
    @inline(__always)
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * uniform()
    }

    /// A uniform value in [-1, 1).
    @inline(__always)
    public mutating func symmetric() -> Double { 2 * uniform() - 1 }

    /// A uniform integer in 0..<`count` (`count` > 0), without modulo bias worth noting for our counts.
    public mutating func index(below count: Int) -> Int {
        precondition(count > 0)
        return Int(next().multipliedFullWidth(by: UInt64(count)).high)
    }

    /// A standard normal value (Box–Muller).
    public mutating func gaussian() -> Double {
        if let spare = spareGaussian {
            spareGaussian = nil
            return spare
        }
        // 1 - uniform() lies in (0, 1], so the logarithm is finite.
        let radius = (-2 * log(1 - uniform())).squareRoot()
        let angle = 2 * Double.pi * uniform()
        spareGaussian = radius * sin(angle)
        return radius * cos(angle)
    }

    /// A standard normal value truncated to ±`limit` by redrawing: a real transmitter's filtered
    /// output never strays arbitrarily far, and the bound lets a profile promise its normal range.
    public mutating func truncatedGaussian(limit: Double = 4) -> Double {
        while true {
            let value = gaussian()
            if abs(value) <= limit { return value }
        }
    }

    /// An exponentially distributed value with the given mean (waiting times between anomalies).
    public mutating func exponential(mean: Double) -> Double {
        -mean * log(1 - uniform())
    }
}

/// SplitMix64: turns one 64-bit seed into well-mixed state words (its authors' recommendation for
/// seeding xoshiro).
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
