/// A time interval, in epoch milliseconds, inclusive at both ends.
public struct Interval: Sendable, Hashable, Codable {
    public var start: Int64
    public var end: Int64
    /// What kind of anomaly it is, when known (from a ground-truth log).
    public var kind: String?

    public init(start: Int64, end: Int64, kind: String? = nil) {
        self.start = start
        self.end = max(start, end)
        self.kind = kind
    }

    public func overlaps(_ other: Interval, tolerance: Int64 = 0) -> Bool {
        // Saturating: ends near Int64.max (from a hostile truth log) must compare, not trap.
        start <= Self.adding(other.end, tolerance) && other.start <= Self.adding(end, tolerance)
    }

    static func adding(_ value: Int64, _ tolerance: Int64) -> Int64 {
        let (sum, overflow) = value.addingReportingOverflow(tolerance)
        return overflow ? (tolerance > 0 ? .max : .min) : sum
    }
}

/// Event-wise detection quality: a true anomaly counts as detected when some detected event overlaps it
/// (within `tolerance`); a detected event is a true alarm when it overlaps some true anomaly. Detection
/// delay is from the start of the true anomaly to the start of the first detected event overlapping it
/// (0 when the detection started earlier, inside the tolerance).
public struct EventMetrics: Sendable, Hashable, Codable {
    public struct KindFigures: Sendable, Hashable, Codable {
        public var kind: String
        public var total: Int
        public var detected: Int
        public var recall: Double? { total > 0 ? Double(detected) / Double(total) : nil }
        public var meanDelayMilliseconds: Double?
    }

    public var trueAnomalies: Int
    public var detectedAnomalies: Int
    public var alarms: Int
    public var falseAlarms: Int
    /// Detection delays of the detected anomalies, milliseconds, in the order of the true anomalies.
    public var delaysMilliseconds: [Int64]
    public var byKind: [KindFigures]

    public var recall: Double? { trueAnomalies > 0 ? Double(detectedAnomalies) / Double(trueAnomalies) : nil }
    public var precision: Double? { alarms > 0 ? Double(alarms - falseAlarms) / Double(alarms) : nil }
    public var f1: Double? {
        guard let recall, let precision, recall + precision > 0 else { return nil }
        return 2 * recall * precision / (recall + precision)
    }
    public var meanDelayMilliseconds: Double? {
        Self.mean(delaysMilliseconds)
    }
    public var medianDelayMilliseconds: Int64? {
        delaysMilliseconds.isEmpty ? nil : delaysMilliseconds.sorted()[delaysMilliseconds.count / 2]
    }

    /// False alarms per device-hour over `deviceHours` of monitored time.
    public func falseAlarmsPerDeviceHour(deviceHours: Double) -> Double? {
        deviceHours > 0 ? Double(falseAlarms) / deviceHours : nil
    }

    public init(truth: [Interval], detected: [Interval], tolerance: Int64 = 0) {
        trueAnomalies = truth.count
        alarms = detected.count
        var delays: [Int64] = []
        var perKind: [String: (total: Int, detected: Int, delays: [Int64])] = [:]
        var found = 0
        for anomaly in truth {
            let overlapping = detected.filter { $0.overlaps(anomaly, tolerance: tolerance) }
            let kind = anomaly.kind ?? "unlabelled"
            perKind[kind, default: (0, 0, [])].total += 1
            if let first = overlapping.min(by: { $0.start < $1.start }) {
                found += 1
                let (difference, overflow) = first.start.subtractingReportingOverflow(anomaly.start)
                let delay = overflow ? (first.start > anomaly.start ? .max : 0) : max(0, difference)
                delays.append(delay)
                perKind[kind]!.detected += 1
                perKind[kind]!.delays.append(delay)
            }
        }
        detectedAnomalies = found
        falseAlarms = detected.count { alarm in !truth.contains { $0.overlaps(alarm, tolerance: tolerance) } }
        delaysMilliseconds = delays
        byKind = perKind.keys.sorted().map { kind in
            let figures = perKind[kind]!
            return KindFigures(kind: kind, total: figures.total, detected: figures.detected,
                               meanDelayMilliseconds: Self.mean(figures.delays))
        }
    }

    /// Summed as Double: many long delays must not overflow Int64.
    static func mean(_ delays: [Int64]) -> Double? {
        delays.isEmpty ? nil : delays.reduce(0.0) { $0 + Double($1) } / Double(delays.count)
    }
}
