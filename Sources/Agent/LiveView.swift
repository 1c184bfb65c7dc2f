import Evaluation
import Telemetry

/// What the dashboard shows, kept next to the hot path under the same lock: recent points per device,
/// recent events and, when the emulator publishes ground truth, the episodes for live accuracy.
/// Bounded: `seriesPoints` per device, `recentEvents` events, and at most `episodeLimit` ground-truth
/// records and events (in `maximumKinds` kinds) for accuracy, which start afresh past that.
struct LiveView: Sendable {
    let seriesPoints: Int
    let recentEventLimit: Int
    private(set) var sensors: [String] = []
    private(set) var threshold = 0.0
    private(set) var series: [String: DeviceSeries] = [:]
    /// The latest state of each recent event, oldest first.
    private(set) var events: [AnomalyEvent] = []
    private(set) var episodes = EpisodeCollector()
    /// Events count towards accuracy only once ground truth has been seen.
    private(set) var truthSeen = false
    /// Truth records and events that changed the episodes, towards `episodeLimit`.
    private var episodeRecords = 0
    private var kinds: Set<String> = []
    /// A demo runs for hours, not months, and accuracy is recomputed for every dashboard frame: past this
    /// the figures start afresh rather than grow (and slow) without end.
    static let episodeLimit = 10_000
    /// Kinds beyond this many are counted as "other": each is a row of every frame.
    static let maximumKinds = 32
    static let maximumKindBytes = 64
    static let maximumIDBytes = 128

    init(seriesPoints: Int, recentEvents: Int) {
        self.seriesPoints = seriesPoints
        recentEventLimit = recentEvents
    }

    mutating func record(device: String, ts: Int64, score: Double, anomalous: Bool, values: [Double], sensors modelSensors: [String],
                         threshold modelThreshold: Double) {
        if modelSensors != sensors {
            // A reloaded model with other sensors: old columns would be mislabelled.
            sensors = modelSensors
            series.removeAll()
        }
        threshold = modelThreshold
        series[device, default: DeviceSeries(capacity: seriesPoints, sensorCount: sensors.count)]
            .append(ts: ts, score: score, anomalous: anomalous, values: values)
    }

    mutating func record(_ event: AnomalyEvent) {
        if let index = events.lastIndex(where: { $0.eventID == event.eventID }) { events.remove(at: index) }
        events.append(event)
        if events.count > recentEventLimit { events.removeFirst(events.count - recentEventLimit) }
        // Only what changes the episodes counts: an open event's updates (one per health interval or
        // score change) would spend the budget for nothing.
        if truthSeen, episodes.add(event) { countEpisodeRecord() }
    }

    /// Ignores a record with a kind over `maximumKindBytes` or an id over `maximumIDBytes`: no ground
    /// truth anyone sends, and each would be a row of every frame.
    mutating func record(_ truth: GroundTruthRecord) {
        guard truth.kind.utf8.count <= Self.maximumKindBytes, truth.id.utf8.count <= Self.maximumIDBytes else { return }
        truthSeen = true
        countEpisodeRecord()
        var truth = truth
        if !kinds.contains(truth.kind) {
            if kinds.count < Self.maximumKinds { kinds.insert(truth.kind) } else { truth.kind = "other" }
        }
        episodes.add(truth)
    }

    private mutating func countEpisodeRecord() {
        episodeRecords += 1
        if episodeRecords > Self.episodeLimit {
            episodes = EpisodeCollector()
            kinds = []
            episodeRecords = 1
        }
    }

    func points(device: String, after since: Int?) -> LiveSeries? {
        series[device]?.points(after: since, sensors: sensors, device: device, threshold: threshold)
    }

    /// Every device, in no particular order (callers sort outside the hot path's lock).
    var unsortedDevices: [LiveDevice] {
        let open = Dictionary(events.filter { $0.state != .closed }.map { ($0.device, $0.eventID) }, uniquingKeysWith: { _, last in last })
        return series.map { device, points in
            LiveDevice(device: device, lastSeen: points.lastTimestamp, points: points.total, lastScore: points.lastScore, openEvent: open[device])
        }
    }
}

/// One device in the dashboard's device list.
public struct LiveDevice: Sendable, Codable, Equatable {
    public var device: String
    public var lastSeen: Int64?
    public var points: Int
    public var lastScore: Double?
    public var openEvent: String?

    enum CodingKeys: String, CodingKey {
        case device, points
        case lastSeen = "last_seen", lastScore = "last_score", openEvent = "open_event"
    }
}
