import Telemetry

/// Builds true-anomaly intervals from ground-truth records and detected intervals from anomaly events,
/// per device, as they arrive (live, from MQTT) or from files (offline). Either side may be still open.
public struct EpisodeCollector: Sendable {
    private var openTruth: [String: (device: String, start: Int64, kind: String)] = [:]
    private var openEvents: [String: (device: String, start: Int64)] = [:]
    public private(set) var truth: [String: [Interval]] = [:]
    public private(set) var detected: [String: [Interval]] = [:]
    /// The first and last timestamps seen, for device-hours.
    public private(set) var firstTimestamp: Int64?
    public private(set) var lastTimestamp: Int64?
    public private(set) var devices: Set<String> = []

    public init() {}

    private mutating func see(_ ts: Int64, device: String) {
        firstTimestamp = min(firstTimestamp ?? ts, ts)
        lastTimestamp = max(lastTimestamp ?? ts, ts)
        devices.insert(device)
    }

    public mutating func add(_ record: GroundTruthRecord) {
        see(record.ts.milliseconds, device: record.device)
        switch record.state {
        case .start: openTruth[record.id] = (record.device, record.ts.milliseconds, record.kind)
        case .end:
            let start = openTruth.removeValue(forKey: record.id)?.start ?? record.ts.milliseconds
            truth[record.device, default: []].append(Interval(start: start, end: record.ts.milliseconds, kind: record.kind))
        }
    }

    public mutating func add(_ event: AnomalyEvent) {
        see(event.ts.milliseconds, device: event.device)
        switch event.state {
        case .open: openEvents[event.eventID] = (event.device, event.startedAt.milliseconds)
        case .update: if openEvents[event.eventID] == nil { openEvents[event.eventID] = (event.device, event.startedAt.milliseconds) }
        case .closed:
            openEvents[event.eventID] = nil
            detected[event.device, default: []].append(Interval(start: event.startedAt.milliseconds,
                                                                end: event.endedAt?.milliseconds ?? event.ts.milliseconds))
        }
    }

    /// Marks a device as monitored even when nothing happened to it (for device-hours).
    public mutating func observe(device: String, ts: Int64) { see(ts, device: device) }

    /// Every episode per device, still-open ones ending at `now` (for reports).
    public func closedIntervals(now: Int64? = nil) -> (truth: [String: [Interval]], detected: [String: [Interval]]) {
        let end = now ?? lastTimestamp ?? 0
        var allTruth = truth, allDetected = detected
        for (_, open) in openTruth { allTruth[open.device, default: []].append(Interval(start: open.start, end: end, kind: open.kind)) }
        for (_, open) in openEvents { allDetected[open.device, default: []].append(Interval(start: open.start, end: end)) }
        return (allTruth, allDetected)
    }

    /// Event-wise figures over all devices, counting still-open episodes as ending at `now`.
    public func metrics(now: Int64? = nil, tolerance: Int64 = 0) -> EventMetrics {
        let (allTruth, allDetected) = closedIntervals(now: now)
        var combined = EventMetrics(truth: [], detected: [])
        for device in devices.sorted() {
            combined = combined.merged(with: EventMetrics(truth: allTruth[device] ?? [], detected: allDetected[device] ?? [], tolerance: tolerance))
        }
        return combined
    }

    /// Monitored device-hours: devices times the time span seen.
    public var deviceHours: Double {
        guard let first = firstTimestamp, let last = lastTimestamp else { return 0 }
        return Double(devices.count) * Double(last - first) / 3_600_000
    }
}

extension EventMetrics {
    /// Adds the figures of another device (or file): counts add, delays concatenate, kinds merge.
    public func merged(with other: EventMetrics) -> EventMetrics {
        var result = self
        result.trueAnomalies += other.trueAnomalies
        result.detectedAnomalies += other.detectedAnomalies
        result.alarms += other.alarms
        result.falseAlarms += other.falseAlarms
        result.delaysMilliseconds += other.delaysMilliseconds
        var kinds = Dictionary(uniqueKeysWithValues: byKind.map { ($0.kind, $0) })
        for figures in other.byKind {
            guard var existing = kinds[figures.kind] else { kinds[figures.kind] = figures; continue }
            let delaySum = (existing.meanDelayMilliseconds ?? 0) * Double(existing.detected) + (figures.meanDelayMilliseconds ?? 0) * Double(figures.detected)
            existing.total += figures.total
            existing.detected += figures.detected
            existing.meanDelayMilliseconds = existing.detected > 0 ? delaySum / Double(existing.detected) : nil
            kinds[figures.kind] = existing
        }
        result.byKind = kinds.keys.sorted().map { kinds[$0]! }
        return result
    }
}
