import Telemetry

/// What the detector keeps per device: sequence tracking, feature windows and the event tracker.
struct DeviceState: Sendable {
    var extractor: FeatureExtractor
    var windowStart: WindowStart
    var tracker: EventTracker
    var quality: DataQualityMonitor
    var lastSeq: Int64?
    var lastSeen: Timestamp
    var lastScore: Double?
    var messages = 0
    var stale = false
    /// The detector's outage count when this device last sent (see `Detector.noteOutage()`).
    var outages = 0

    init(spec: FeatureSpec, policy: EventPolicy, quality: DataQualityPolicy, firstSeen: Timestamp, firstEventNumber: Int) {
        extractor = FeatureExtractor(spec: spec)
        windowStart = WindowStart(window: spec.window)
        self.quality = DataQualityMonitor(spec: spec, policy: quality)
        tracker = EventTracker(policy: policy, firstNumber: firstEventNumber)
        lastSeen = firstSeen
    }
}
