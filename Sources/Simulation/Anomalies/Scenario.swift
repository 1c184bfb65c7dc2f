import Foundation

/// Which anomalies a run injects: scripted ones at given times and/or a random schedule drawn from
/// the seed. Read from a JSON file (see docs/emulator.md and `config/scenario-example.json`).
/// `Scenario.default` (also in `config/scenario-default.json`) is a random schedule of all kinds.
public struct Scenario: Sendable, Hashable, Codable {
    /// Anomalies at random times, per device, never overlapping on one device.
    public var random: RandomAnomalies?
    /// Anomalies at given times.
    public var anomalies: [ScriptedAnomaly]

    /// A scenario; the default has no anomalies at all.
    public init(random: RandomAnomalies? = nil, anomalies: [ScriptedAnomaly] = []) {
        self.random = random
        self.anomalies = anomalies
    }

    /// Every kind at random, about one anomaly per device every 10–15 minutes.
    public static let `default` = Scenario(random: RandomAnomalies(), anomalies: [])

    enum CodingKeys: String, CodingKey, CaseIterable { case random, anomalies }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        random = try c.decodeIfPresent(RandomAnomalies.self, forKey: .random)
        anomalies = try c.decodeIfPresent([ScriptedAnomaly].self, forKey: .anomalies) ?? []
    }

    /// Reads and validates a scenario file (the device and sensor names are checked when a run starts).
    public static func load(from url: URL) throws(ConfigurationError) -> Scenario {
        let scenario = try ConfigurationError.decodeFile(Scenario.self, from: url)
        do {
            try scenario.validate(sensors: nil, devices: nil)
        } catch {
            throw error.inFile(url.path)
        }
        return scenario
    }

    /// Checks numbers and, when given, that every named device and sensor exists.
    public func validate(sensors: [String]?, devices: [String]?) throws(ConfigurationError) {
        if let random { try random.validate(prefix: "random", sensors: sensors) }
        for (index, anomaly) in anomalies.enumerated() {
            try anomaly.validate(key: "anomalies[\(index)]", sensors: sensors, devices: devices)
        }
    }
}

/// The random schedule: per device, anomalies separated by normal stretches of random length.
public struct RandomAnomalies: Sendable, Hashable, Codable {
    /// The mean normal time between the end of one anomaly and the start of the next (seconds).
    public var meanIntervalSeconds: Double
    /// Never less normal time than this between two anomalies of one device, so that each is a
    /// separate event for an event-wise evaluation.
    public var minimumGapSeconds: Double
    /// No anomaly in the first seconds of the anomalous span.
    public var warmUpSeconds: Double
    /// Relative weights of the kinds; a kind that is not listed is never drawn.
    public var kinds: [AnomalyKind: Double]
    /// Multiplies every default magnitude (0.5 = subtler, 2 = blatant).
    public var magnitudeScale: Double
    /// Duration ranges per kind, replacing `AnomalyKind.defaultDuration`.
    public var durations: [AnomalyKind: ClosedRange<Double>]
    /// Magnitudes per kind (fractions of the span), replacing `AnomalyKind.defaultMagnitude`.
    public var magnitudes: [AnomalyKind: Double]
    /// The sensors random anomalies may affect; nil for all. (A dropout of the whole message still
    /// takes every sensor.)
    public var sensors: [String]?

    /// The default schedule: every kind with the same weight, about one anomaly per device every 10–15 minutes.
    public init(meanIntervalSeconds: Double = 600, minimumGapSeconds: Double = 120, warmUpSeconds: Double = 300,
                kinds: [AnomalyKind: Double] = Dictionary(uniqueKeysWithValues: AnomalyKind.allCases.map { ($0, 1) }),
                magnitudeScale: Double = 1, durations: [AnomalyKind: ClosedRange<Double>] = [:], magnitudes: [AnomalyKind: Double] = [:],
                sensors: [String]? = nil) {
        self.meanIntervalSeconds = meanIntervalSeconds
        self.minimumGapSeconds = minimumGapSeconds
        self.warmUpSeconds = warmUpSeconds
        self.kinds = kinds
        self.magnitudeScale = magnitudeScale
        self.durations = durations
        self.magnitudes = magnitudes
        self.sensors = sensors
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case meanIntervalSeconds, minimumGapSeconds, warmUpSeconds, kinds, magnitudeScale, durations, magnitudes, sensors
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RandomAnomalies()
        meanIntervalSeconds = try c.decodeIfPresent(Double.self, forKey: .meanIntervalSeconds) ?? d.meanIntervalSeconds
        minimumGapSeconds = try c.decodeIfPresent(Double.self, forKey: .minimumGapSeconds) ?? d.minimumGapSeconds
        warmUpSeconds = try c.decodeIfPresent(Double.self, forKey: .warmUpSeconds) ?? d.warmUpSeconds
        // Keyed by kind name, read as strings first so that a misspelt kind is named with the valid ones
        // (Codable's own message is "Could not convert key to type AnomalyKind").
        func byKind<Value: Decodable>(_ key: CodingKeys) throws -> [AnomalyKind: Value]? {
            guard let named = try c.decodeIfPresent([String: Value].self, forKey: key) else { return nil }
            return try Dictionary(uniqueKeysWithValues: named.map { name, value in
                guard let kind = AnomalyKind(rawValue: name) else {
                    throw ConfigurationError(key: "random.\(key.stringValue).\(name)",
                                             problem: "is not an anomaly kind (\(AnomalyKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                return (kind, value)
            })
        }
        kinds = try byKind(.kinds) ?? d.kinds
        magnitudeScale = try c.decodeIfPresent(Double.self, forKey: .magnitudeScale) ?? d.magnitudeScale
        durations = try byKind(.durations) ?? [:]
        magnitudes = try byKind(.magnitudes) ?? [:]
        sensors = try c.decodeIfPresent([String].self, forKey: .sensors)
    }

    func duration(of kind: AnomalyKind) -> ClosedRange<Double> { durations[kind] ?? kind.defaultDuration }
    func magnitude(of kind: AnomalyKind) -> Double { (magnitudes[kind] ?? kind.defaultMagnitude) * magnitudeScale }

    func validate(prefix: String, sensors knownSensors: [String]?) throws(ConfigurationError) {
        if let sensors {
            guard !sensors.isEmpty else { throw ConfigurationError(key: "\(prefix).sensors", problem: "must name at least one sensor, or be left out") }
            if let knownSensors {
                for (index, sensor) in sensors.enumerated() where !knownSensors.contains(sensor) {
                    throw ConfigurationError(key: "\(prefix).sensors[\(index)]", problem: "\(sensor.debugDescription) is not a sensor of the profile (\(knownSensors.joined(separator: ", ")))")
                }
            }
        }
        guard minimumGapSeconds >= 0, minimumGapSeconds.isFinite else {
            throw ConfigurationError(key: "\(prefix).minimumGapSeconds", problem: "must be 0 or more seconds")
        }
        guard meanIntervalSeconds >= minimumGapSeconds, meanIntervalSeconds > 0, meanIntervalSeconds.isFinite else {
            throw ConfigurationError(key: "\(prefix).meanIntervalSeconds", problem: "must be positive and at least minimumGapSeconds")
        }
        guard warmUpSeconds >= 0, warmUpSeconds.isFinite else {
            throw ConfigurationError(key: "\(prefix).warmUpSeconds", problem: "must be 0 or more seconds")
        }
        guard kinds.values.allSatisfy({ $0 >= 0 && $0.isFinite }), kinds.values.contains(where: { $0 > 0 }) else {
            throw ConfigurationError(key: "\(prefix).kinds", problem: "needs at least one kind with a positive weight, and no negative weights")
        }
        guard magnitudeScale > 0, magnitudeScale <= 10 else {
            throw ConfigurationError(key: "\(prefix).magnitudeScale", problem: "must be above 0 and at most 10")
        }
        for (kind, range) in durations where !(range.lowerBound > 0 && range.upperBound.isFinite) {
            throw ConfigurationError(key: "\(prefix).durations.\(kind)", problem: "must be [min, max] seconds with 0 < min <= max")
        }
        for (kind, magnitude) in magnitudes where !(magnitude.isFinite && abs(magnitude) <= 10) {
            throw ConfigurationError(key: "\(prefix).magnitudes.\(kind)", problem: "must be a number between -10 and 10 (a fraction of the span)")
        }
    }
}
