import Evaluation

/// Event-wise accuracy against the emulator's ground truth, as the live evaluation computes it
/// (`anomaly-agent evaluate --live`): the same `EpisodeCollector` and `EventMetrics`.
public struct LiveAccuracy: Sendable, Codable, Equatable {
    public struct Kind: Sendable, Codable, Equatable {
        public var kind: String
        public var total: Int
        public var detected: Int
    }
    /// False until the first ground-truth record arrived: then there is nothing to score against.
    public var truthSeen: Bool
    public var trueAnomalies: Int
    public var detectedAnomalies: Int
    public var alarms: Int
    public var falseAlarms: Int
    public var precision: Double?
    public var recall: Double?
    public var f1: Double?
    public var meanDelayMilliseconds: Double?
    public var byKind: [Kind]

    init(truthSeen: Bool, metrics: EventMetrics) {
        self.truthSeen = truthSeen
        trueAnomalies = metrics.trueAnomalies
        detectedAnomalies = metrics.detectedAnomalies
        alarms = metrics.alarms
        falseAlarms = metrics.falseAlarms
        precision = metrics.precision
        recall = metrics.recall
        f1 = metrics.f1
        meanDelayMilliseconds = metrics.meanDelayMilliseconds
        byKind = metrics.byKind.map { Kind(kind: $0.kind, total: $0.total, detected: $0.detected) }
    }

    enum CodingKeys: String, CodingKey {
        case precision, recall, f1
        case truthSeen = "truth_seen", trueAnomalies = "true_anomalies", detectedAnomalies = "detected_anomalies", alarms
        case falseAlarms = "false_alarms", meanDelayMilliseconds = "mean_delay_ms", byKind = "by_kind"
    }
}

/// When a computed `LiveAccuracy` was made (the second) and with what tolerance.
struct AccuracyKey: Sendable, Equatable {
    var second: Int64
    var tolerance: Int64
}
