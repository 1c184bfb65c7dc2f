extension SensorSpec {
    /// How many σ of measurement noise and of wander a reading can reach (noise is truncated there,
    /// wander is clamped there). The profile check relies on these bounds.
    static let noiseBound = 4.0
    static let wanderBound = 3.0

    /// The lowest and highest reading any device can produce in normal operation, given the largest
    /// per-device variation: what the normal range must contain.
    func envelope(levelVariation: Double, dynamicsVariation: Double) -> ClosedRange<Double> {
        let levelSlack = levelVariation * span
        let dynamics = 1 + dynamicsVariation
        let wanderSlack = Self.wanderBound * wander * dynamics
        let lowLevel = min(idle, full) - levelSlack - wanderSlack
        let highLevel = max(idle, full) + levelSlack + wanderSlack
        let noiseAt = { (level: Double) in Self.noiseBound * dynamics * (noise + relativeNoise * abs(level)) }
        var low = lowLevel - noiseAt(lowLevel) - resolution / 2
        var high = highLevel + noiseAt(highLevel) + resolution / 2
        if let limits {
            low = min(max(low, limits.lowerBound), limits.upperBound)
            high = min(max(high, limits.lowerBound), limits.upperBound)
        }
        return low...high
    }

    /// Checks the values and that the model stays inside `normal` on every device.
    func validate(key: String, levelVariation: Double, dynamicsVariation: Double) throws(ConfigurationError) {
        guard !name.isEmpty, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ConfigurationError(key: "\(key).name", problem: "must be non-empty text without control characters")
        }
        let finite: [(String, Double)] = [
            ("normal", normal.lowerBound), ("normal", normal.upperBound), ("idle", idle), ("full", full), ("curve", curve),
            ("lagSeconds", lagSeconds), ("noise", noise), ("relativeNoise", relativeNoise), ("wander", wander),
            ("wanderSeconds", wanderSeconds), ("resolution", resolution),
        ]
        for (field, value) in finite where !value.isFinite {
            throw ConfigurationError(key: "\(key).\(field)", problem: "must be a finite number")
        }
        guard span > 0 else { throw ConfigurationError(key: "\(key).normal", problem: "must be [min, max] with min < max") }
        guard curve > 0 else { throw ConfigurationError(key: "\(key).curve", problem: "must be greater than 0") }
        let nonNegative: [(String, Double)] = [("lagSeconds", lagSeconds), ("noise", noise), ("wander", wander), ("resolution", resolution)]
        for (field, value) in nonNegative where value < 0 {
            throw ConfigurationError(key: "\(key).\(field)", problem: "must not be negative")
        }
        guard (0..<0.5).contains(relativeNoise) else {
            throw ConfigurationError(key: "\(key).relativeNoise", problem: "must be at least 0 and below 0.5 (a fraction of the level)")
        }
        guard wanderSeconds > 0 else { throw ConfigurationError(key: "\(key).wanderSeconds", problem: "must be greater than 0") }
        guard resolution < span / 10 else {
            throw ConfigurationError(key: "\(key).resolution", problem: "is too coarse for the normal range (it must be below a tenth of the span)")
        }
        if let limits, !(limits.lowerBound <= normal.lowerBound && normal.upperBound <= limits.upperBound) {
            throw ConfigurationError(key: "\(key).limits", problem: "must contain the normal range \(normal.lowerBound)...\(normal.upperBound)")
        }
        let reach = envelope(levelVariation: levelVariation, dynamicsVariation: dynamicsVariation)
        if reach.lowerBound < normal.lowerBound - 1e-9 {
            throw ConfigurationError(
                key: "\(key).normal",
                problem: "\(name): with noise, wander and device variation the model reaches \(Self.rounded(reach.lowerBound)), "
                    + "below the normal minimum \(normal.lowerBound); lower normal[0], raise idle/full, or reduce noise or wander")
        }
        if reach.upperBound > normal.upperBound + 1e-9 {
            throw ConfigurationError(
                key: "\(key).normal",
                problem: "\(name): with noise, wander and device variation the model reaches \(Self.rounded(reach.upperBound)), "
                    + "above the normal maximum \(normal.upperBound); raise normal[1], lower idle/full, or reduce noise or wander")
        }
    }

    private static func rounded(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }
}
