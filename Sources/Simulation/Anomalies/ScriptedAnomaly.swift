/// One anomaly at a given time, from a scenario file or a control command.
public struct ScriptedAnomaly: Sendable, Hashable, Codable {
    /// The device id.
    public var device: String
    public var kind: AnomalyKind
    /// Seconds from the start of the anomalous span (the start of `publish`, or of the test set in `generate`).
    public var at: Double
    /// Seconds; defaults to the middle of the kind's default range.
    public var duration: Double?
    /// The affected sensors; when omitted they are drawn from the seed like the random schedule does.
    public var sensors: [String]?
    /// A fraction of each sensor's span (negative values go down); defaults to the kind's default.
    public var magnitude: Double?
    /// Oscillation only: the period in seconds (default 10, and at least four readings).
    public var period: Double?

    /// An anomaly of `kind` on `device` at `at` seconds; nil fields take the kind's defaults.
    public init(device: String, kind: AnomalyKind, at: Double, duration: Double? = nil, sensors: [String]? = nil,
                magnitude: Double? = nil, period: Double? = nil) {
        self.device = device
        self.kind = kind
        self.at = at
        self.duration = duration
        self.sensors = sensors
        self.magnitude = magnitude
        self.period = period
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case device, kind, at, duration, sensors, magnitude, period }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        device = try c.decode(String.self, forKey: .device)
        let kindName = try c.decode(String.self, forKey: .kind)
        guard let kind = AnomalyKind(rawValue: kindName) else {
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: c,
                debugDescription: "unknown kind \(kindName.debugDescription); one of \(AnomalyKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.kind = kind
        at = try c.decode(Double.self, forKey: .at)
        duration = try c.decodeIfPresent(Double.self, forKey: .duration)
        sensors = try c.decodeIfPresent([String].self, forKey: .sensors)
        magnitude = try c.decodeIfPresent(Double.self, forKey: .magnitude)
        period = try c.decodeIfPresent(Double.self, forKey: .period)
    }

    var resolvedDuration: Double { duration ?? (kind.defaultDuration.lowerBound + kind.defaultDuration.upperBound) / 2 }

    func validate(key: String, sensors knownSensors: [String]?, devices: [String]?) throws(ConfigurationError) {
        if let devices, !devices.contains(device) {
            throw ConfigurationError(key: "\(key).device", problem: "\(device.debugDescription) is not one of this run's devices (\(devices.joined(separator: ", ")))")
        }
        guard at >= 0, at.isFinite else { throw ConfigurationError(key: "\(key).at", problem: "must be 0 or more seconds") }
        guard resolvedDuration > 0, resolvedDuration <= 86_400 * 7 else {
            throw ConfigurationError(key: "\(key).duration", problem: "must be more than 0 and at most a week (seconds)")
        }
        if let magnitude, !(magnitude.isFinite && abs(magnitude) <= 10) {
            throw ConfigurationError(key: "\(key).magnitude", problem: "must be between -10 and 10 (a fraction of the sensor's span)")
        }
        if let period, !(period > 0 && period.isFinite) {
            throw ConfigurationError(key: "\(key).period", problem: "must be a positive number of seconds")
        }
        if let sensors {
            guard !sensors.isEmpty else { throw ConfigurationError(key: "\(key).sensors", problem: "must name at least one sensor, or be left out") }
            if kind == .correlationBreak, sensors.count < 2 {
                throw ConfigurationError(key: "\(key).sensors", problem: "a correlation break needs two sensors: the one that moves, then the one that should have followed")
            }
            if let knownSensors {
                for (index, sensor) in sensors.enumerated() where !knownSensors.contains(sensor) {
                    throw ConfigurationError(key: "\(key).sensors[\(index)]", problem: "\(sensor.debugDescription) is not a sensor of the profile (\(knownSensors.joined(separator: ", ")))")
                }
            }
        }
    }
}
