/// The operating cycle that drives every device's load, from 0 (idle) to 1 (full load).
///
/// A device starts idle, starts up to a steady load, holds it, then either ramps to another steady
/// load or (with `idleProbability`) shuts down to idle, stays idle, and starts up again. Each device
/// draws its own durations and levels from the seed, so devices are never in lockstep.
public struct OperationSpec: Sendable, Hashable, Codable {
    /// How long a device idles before its first start-up (spreads the fleet's start-ups).
    public var initialIdleSeconds: ClosedRange<Double>
    /// Start-up: idle to the first steady load.
    public var startupSeconds: ClosedRange<Double>
    /// How long a steady load is held.
    public var steadySeconds: ClosedRange<Double>
    /// A ramp between two steady loads, or down to idle.
    public var rampSeconds: ClosedRange<Double>
    /// How long a device stays idle once it has shut down.
    public var idleSeconds: ClosedRange<Double>
    /// The range steady loads are drawn from.
    public var loadLevels: ClosedRange<Double>
    /// The load while idle.
    public var idleLoad: Double
    /// The chance that a steady period ends in a shutdown instead of a ramp.
    public var idleProbability: Double
    /// Fast process variability: σ of the load, relative to the load (so an idle device is quiet).
    public var loadNoise: Double

    /// The default cycle (also `config/emulator-profile.json`'s `operation`).
    public init(initialIdleSeconds: ClosedRange<Double> = 0...120, startupSeconds: ClosedRange<Double> = 90...240,
                steadySeconds: ClosedRange<Double> = 600...2400, rampSeconds: ClosedRange<Double> = 60...300,
                idleSeconds: ClosedRange<Double> = 300...1200, loadLevels: ClosedRange<Double> = 0.5...0.95,
                idleLoad: Double = 0, idleProbability: Double = 0.15, loadNoise: Double = 0.01) {
        self.initialIdleSeconds = initialIdleSeconds
        self.startupSeconds = startupSeconds
        self.steadySeconds = steadySeconds
        self.rampSeconds = rampSeconds
        self.idleSeconds = idleSeconds
        self.loadLevels = loadLevels
        self.idleLoad = idleLoad
        self.idleProbability = idleProbability
        self.loadNoise = loadNoise
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case initialIdleSeconds, startupSeconds, steadySeconds, rampSeconds, idleSeconds, loadLevels, idleLoad, idleProbability, loadNoise
    }

    /// Missing keys keep their defaults.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = OperationSpec()
        initialIdleSeconds = try c.decodeIfPresent(ClosedRange<Double>.self, forKey: .initialIdleSeconds) ?? d.initialIdleSeconds
        startupSeconds = try c.decodeIfPresent(ClosedRange<Double>.self, forKey: .startupSeconds) ?? d.startupSeconds
        steadySeconds = try c.decodeIfPresent(ClosedRange<Double>.self, forKey: .steadySeconds) ?? d.steadySeconds
        rampSeconds = try c.decodeIfPresent(ClosedRange<Double>.self, forKey: .rampSeconds) ?? d.rampSeconds
        idleSeconds = try c.decodeIfPresent(ClosedRange<Double>.self, forKey: .idleSeconds) ?? d.idleSeconds
        loadLevels = try c.decodeIfPresent(ClosedRange<Double>.self, forKey: .loadLevels) ?? d.loadLevels
        idleLoad = try c.decodeIfPresent(Double.self, forKey: .idleLoad) ?? d.idleLoad
        idleProbability = try c.decodeIfPresent(Double.self, forKey: .idleProbability) ?? d.idleProbability
        loadNoise = try c.decodeIfPresent(Double.self, forKey: .loadNoise) ?? d.loadNoise
    }

    func validate(prefix: String) throws(ConfigurationError) {
        let durations: [(String, ClosedRange<Double>)] = [
            ("initialIdleSeconds", initialIdleSeconds), ("startupSeconds", startupSeconds), ("steadySeconds", steadySeconds),
            ("rampSeconds", rampSeconds), ("idleSeconds", idleSeconds),
        ]
        for (key, range) in durations where !(range.lowerBound >= 0 && range.upperBound.isFinite) {
            throw ConfigurationError(key: "\(prefix).\(key)", problem: "must be [min, max] seconds with 0 <= min <= max")
        }
        for (key, range) in durations.dropFirst() where range.lowerBound <= 0 {
            throw ConfigurationError(key: "\(prefix).\(key)", problem: "must be longer than 0 seconds")
        }
        guard loadLevels.lowerBound >= 0, loadLevels.upperBound <= 1 else {
            throw ConfigurationError(key: "\(prefix).loadLevels", problem: "loads are fractions: 0 <= min <= max <= 1")
        }
        guard (0...1).contains(idleLoad) else {
            throw ConfigurationError(key: "\(prefix).idleLoad", problem: "must be between 0 and 1")
        }
        guard (0...1).contains(idleProbability) else {
            throw ConfigurationError(key: "\(prefix).idleProbability", problem: "must be a probability between 0 and 1")
        }
        guard (0...0.2).contains(loadNoise) else {
            throw ConfigurationError(key: "\(prefix).loadNoise", problem: "must be between 0 and 0.2 (a fraction of the load)")
        }
    }
}
