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

    /// Always changes the episodes (an end record without its start is a point interval).
    public mutating func add(_ record: GroundTruthRecord) {
        see(record.ts.milliseconds, device: record.device)
        switch record.state {
        case .start: openTruth[record.id] = (record.device, record.ts.milliseconds, record.kind)
        case .end:
            let start = openTruth.removeValue(forKey: record.id)?.start ?? record.ts.milliseconds
            truth[record.device, default: []].append(Interval(start: start, end: record.ts.milliseconds, kind: record.kind))
        }
    }

    /// Returns whether the episodes changed: an update of an event already open changes nothing but the
    /// time span seen.
    @discardableResult
    public mutating func add(_ event: AnomalyEvent) -> Bool {
        see(event.ts.milliseconds, device: event.device)
        switch event.state {
        case .open: openEvents[event.eventID] = (event.device, event.startedAt.milliseconds)
        case .update:
            guard openEvents[event.eventID] == nil else { return false }
            openEvents[event.eventID] = (event.device, event.startedAt.milliseconds)
        case .closed:
            openEvents[event.eventID] = nil
            detected[event.device, default: []].append(Interval(start: event.startedAt.milliseconds,
                                                                end: event.endedAt?.milliseconds ?? event.ts.milliseconds))
        }
        return true
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

    /// One device's true anomalies, a still-open one ending at `now`: for a view of one device, without
    /// copying every device's episodes as `closedIntervals` does.
    public func truth(of device: String, now: Int64? = nil) -> [Interval] {
        let end = now ?? lastTimestamp ?? 0
        return (truth[device] ?? []) + openTruth.values.filter { $0.device == device }.map { Interval(start: $0.start, end: end, kind: $0.kind) }
    }

    /// Event-wise figures over all devices, counting still-open episodes as ending at `now`.
    public func metrics(now: Int64? = nil, tolerance: Int64 = 0) -> EventMetrics {
        let (allTruth, allDetected) = closedIntervals(now: now)
        // One merge of all devices: merging them one by one re-sorted every kind once per device.
        return EventMetrics.merging(devices.sorted().map { device in
            EventMetrics(truth: allTruth[device] ?? [], detected: allDetected[device] ?? [], tolerance: tolerance)
        })
    }

    /// Monitored device-hours: devices times the time span seen.
    public var deviceHours: Double {
        guard let first = firstTimestamp, let last = lastTimestamp else { return 0 }
        return Double(devices.count) * Double(last - first) / 3_600_000
    }
}

extension EventMetrics {
    /// Adds the figures of another device (or file): counts add, delays concatenate, kinds merge.
    public func merged(with other: EventMetrics) -> EventMetrics { Self.merging([self, other]) }

    /// The figures of several devices (or files) together: counts add, delays concatenate, kinds merge.
    public static func merging(_ parts: [EventMetrics]) -> EventMetrics {
        var result = EventMetrics(truth: [], detected: [])
        var kinds: [String: (total: Int, detected: Int, delaySum: Double)] = [:]
        for part in parts {
            result.trueAnomalies += part.trueAnomalies
            result.detectedAnomalies += part.detectedAnomalies
            result.alarms += part.alarms
            result.falseAlarms += part.falseAlarms
            result.delaysMilliseconds += part.delaysMilliseconds
            for figures in part.byKind {
                kinds[figures.kind, default: (0, 0, 0)].total += figures.total
                kinds[figures.kind]!.detected += figures.detected
                kinds[figures.kind]!.delaySum += (figures.meanDelayMilliseconds ?? 0) * Double(figures.detected)
            }
        }
        result.byKind = kinds.keys.sorted().map { kind in
            let figures = kinds[kind]!
            return KindFigures(kind: kind, total: figures.total, detected: figures.detected,
                               meanDelayMilliseconds: figures.detected > 0 ? figures.delaySum / Double(figures.detected) : nil)
        }
        return result
    }
}
