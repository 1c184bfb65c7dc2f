import IsolationForest
import Telemetry

/// Chooses the threshold by a false-alarm budget: the lowest threshold such that it and every threshold
/// above it keep held-out normal data at most at `eventsPerDeviceHour` events per device-hour after event
/// aggregation (k of n, the envelope included), and never below the median held-out score; so operators
/// set what they can live with instead of a contamination fraction.
public struct ThresholdCalibration: Sendable {
    /// One held-out reading: when, and one value per sensor (NaN when missing).
    public struct Reading: Sendable {
        public var ts: Int64
        public var values: [Double]
        public init(ts: Int64, values: [Double]) {
            self.ts = ts
            self.values = values
        }
    }

    public var eventsPerDeviceHour: Double
    public var configuration: DetectorConfiguration

    public init(eventsPerDeviceHour: Double, configuration: DetectorConfiguration = DetectorConfiguration()) {
        self.eventsPerDeviceHour = eventsPerDeviceHour
        self.configuration = configuration
    }

    /// The model with its threshold calibrated on `heldOut` (normal readings per device, in time order).
    public func calibrate(_ model: AnomalyModel, heldOut: [String: [Reading]]) throws(DetectionError) -> (model: AnomalyModel, events: Int, deviceHours: Double) {
        guard eventsPerDeviceHour >= 0, eventsPerDeviceHour.isFinite else { throw DetectionError("the false-alarm budget must be a non-negative number") }
        // Score every held-out row once; the candidate thresholds only replay the event logic.
        var series: [[(ts: Int64, score: Double, outside: Bool)]] = []
        var deviceHours = 0.0
        for device in heldOut.keys.sorted() {
            let readings = heldOut[device]!
            guard let first = readings.first, let last = readings.last else { continue }
            deviceHours += Double(last.ts - first.ts) / 3_600_000
            var detector = try Detector(model: model.withDecision(AnomalyModel.Decision(threshold: 1, method: "calibrating")), configuration: configuration)
            var scored: [(Int64, Double, Bool)] = []
            for reading in readings {
                let outcome = detector.process(device: device, ts: Timestamp(milliseconds: reading.ts), seq: nil, sensorValues: reading.values)
                // With threshold 1 nothing is anomalous by score: "anomalous" here means the envelope fired.
                if case .scored(let score, let outside) = outcome.status { scored.append((reading.ts, score, outside)) }
            }
            series.append(scored)
        }
        guard deviceHours > 0 else { throw DetectionError("the held-out data span no time (need timestamps over at least a few minutes)") }
        func events(at threshold: Double) -> Int {
            var count = 0
            for rows in series {
                var tracker = EventTracker(policy: configuration.events)
                for row in rows {
                    let observation = EventTracker.Observation(ts: Timestamp(milliseconds: row.ts), seq: nil, score: row.score,
                                                               anomalous: row.outside || row.score > threshold, severity: .warning,
                                                               contributors: [], immediate: row.outside)
                    if tracker.observe(observation)?.state == .open { count += 1 }
                }
            }
            return count
        }
        let allowed = eventsPerDeviceHour * deviceHours
        var low = 0.0, high = 1.0
        if Double(events(at: high)) > allowed {
            throw DetectionError("even the highest threshold raises \(events(at: high)) events in \(deviceHours) device-hours (the envelope alone); the budget \(eventsPerDeviceHour) per device-hour cannot be met")
        }
        // Events are not monotonic in the threshold: far enough down every row is anomalous and each device's
        // data is one endless event, which a loose budget would accept. So walk down from the top and stop at
        // the first threshold that breaks the budget, or that puts more than half of the normal rows above
        // it (scikit-learn's bound on contamination); then bisect between it and the last one that held.
        let scores = series.flatMap { $0.map(\.score) }.sorted()
        guard !scores.isEmpty else {
            throw DetectionError("no held-out row got past the warm-up of \(try FeatureSpec.from(model: model).warmUpMessages) messages: give each device more data to calibrate on")
        }
        let median = scores[scores.count / 2]
        let step = 1.0 / 256
        var candidate = high - step
        while candidate > 0 {
            if candidate <= median || Double(events(at: candidate)) > allowed { low = candidate; break }
            high = candidate
            candidate -= step
        }
        low = max(low, median)
        while high - low > 1e-6 {
            let middle = (low + high) / 2
            if Double(events(at: middle)) <= allowed { high = middle } else { low = middle }
        }
        let raised = events(at: high)
        let heldOutRows = heldOut.keys.sorted().flatMap { device in heldOut[device]!.map { [Double($0.ts)] + $0.values } }
        let heldOutHash = heldOutRows.isEmpty ? "" : FeatureMatrix(rows: heldOutRows).contentHash()
        let decision = AnomalyModel.Decision(threshold: high, method: "false-alarm-rate", parameters: [
            "events_per_device_hour": .number(eventsPerDeviceHour), "held_out_device_hours": .number(deviceHours),
            "held_out_events": .number(Double(raised)), "held_out_rows": .number(Double(series.reduce(0) { $0 + $1.count })),
            "held_out_data_hash": .string(heldOutHash), "open_count": .number(Double(configuration.events.openCount)), "open_window": .number(Double(configuration.events.openWindow)),
        ])
        return (model.withDecision(decision), raised, deviceHours)
    }
}
