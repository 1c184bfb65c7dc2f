/// Which sensors move slowly, measured on normal data alone. A slow sensor (a temperature with thermal
/// inertia) carries the memory of every past disturbance in its level, so a range learned in a few
/// minutes of training says little about where it will be an hour later; its rate of change does not
/// drift that way. Fast sensors (vibration, current, pressure) are judged by level.
public enum SensorDynamics {
    /// Lag-one autocorrelation of `values` in time order (NaN skipped pairwise); nil when fewer than 3
    /// finite values or no spread. Near 1 for a smooth, slowly moving signal, near 0 for noise.
    public static func lagOneAutocorrelation(_ values: [Double]) -> Double? {
        let finite = values.filter(\.isFinite)
        guard finite.count >= 3 else { return nil }
        let mean = finite.reduce(0, +) / Double(finite.count)
        var variance = 0.0
        for value in finite { variance += (value - mean) * (value - mean) }
        guard variance > 0 else { return nil }
        var covariance = 0.0
        for index in values.indices.dropFirst() where values[index].isFinite && values[index - 1].isFinite {
            covariance += (values[index] - mean) * (values[index - 1] - mean)
        }
        return covariance / variance
    }

    /// Per sensor (in `sensors` order), the median of its lag-one autocorrelation over `readings` (per device
    /// or recording, rows in time order, one value per sensor); nil when no recording has spread.
    public static func medianAutocorrelations(_ sensors: [String], readings: [[[Double]]]) -> [Double?] {
        sensors.indices.map { sensor in
            let correlations = readings.compactMap { rows in lagOneAutocorrelation(rows.map { $0[sensor] }) }.sorted()
            guard !correlations.isEmpty else { return nil }
            let middle = correlations.count / 2
            return correlations.count % 2 == 1 ? correlations[middle] : (correlations[middle - 1] + correlations[middle]) / 2
        }
    }

    /// The sensors whose median lag-one autocorrelation over `readings` is at least `limit`.
    public static func slowSensors(_ sensors: [String], readings: [[[Double]]], limit: Double = 0.8) -> [String] {
        slowSensors(sensors, autocorrelations: medianAutocorrelations(sensors, readings: readings), limit: limit)
    }

    /// The same, from autocorrelations already measured (`medianAutocorrelations`).
    public static func slowSensors(_ sensors: [String], autocorrelations: [Double?], limit: Double = 0.8) -> [String] {
        zip(sensors, autocorrelations).filter { ($0.1 ?? 0) >= limit }.map(\.0)
    }

    /// Envelope features that judge each sensor by its rolling mean, and the slow ones by its change.
    public static func envelopeFeatures(_ sensors: [String], slow: [String]) -> [String] {
        sensors.map { slow.contains($0) ? "\($0):\(FeatureSpec.Derived.change.rawValue)" : "\($0):\(FeatureSpec.Derived.mean.rawValue)" }
    }
}

extension SensorDynamics {
    /// Which features the envelope checks, as a command-line word: `all` (every feature, nil) or
    /// `level-or-change` (each sensor's rolling mean, a slow sensor's change instead).
    public static func envelopeFeatures(_ choice: String, sensors: [String], slow: [String],
                                        derived: [FeatureSpec.Derived]) throws(DetectionError) -> [String]? {
        switch choice {
        case "all": return nil
        case "level-or-change":
            guard derived.contains(.mean), slow.isEmpty || derived.contains(.change) else {
                throw DetectionError("level-or-change needs the derived features to include mean, and change when a sensor is slow (\(slow.joined(separator: ", ")))")
            }
            return envelopeFeatures(sensors, slow: slow)
        default: throw DetectionError("the envelope checks all or level-or-change, not \(choice)")
        }
    }
}
