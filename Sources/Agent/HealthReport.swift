import Telemetry

/// The agent's health as published (retained) on the health topic every few seconds.
/// Counts are since start; rates are over the last interval.
public struct HealthReport: Sendable, Equatable, Codable {
    public struct Messages: Sendable, Equatable, Codable {
        public var received: Int
        public var scored: Int
        public var warmingUp: Int
        public var rejected: Int
        public var rejectedByReason: [String: Int]
        /// Messages missing according to `seq` gaps.
        public var missingBySeq: Int
        public var withUnknownSensors: Int
        /// Dropped inside the agent before scoring (must stay 0).
        public var droppedInternally: Int
        public var receivedPerSecond: Double
        public var scoredPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case received, scored, rejected
            case warmingUp = "warming_up", rejectedByReason = "rejected_by_reason", missingBySeq = "missing_by_seq"
            case withUnknownSensors = "with_unknown_sensors", droppedInternally = "dropped_internally"
            case receivedPerSecond = "received_per_s", scoredPerSecond = "scored_per_s"
        }
    }

    public struct Percentiles: Sendable, Equatable, Codable {
        public var count: Int
        public var p50: Double?
        public var p90: Double?
        public var p99: Double?
        public var max: Double?

        init(_ histogram: LatencyHistogram) {
            count = histogram.count
            // Milliseconds with microsecond resolution.
            func ms(_ value: Double?) -> Double? { value.map { ($0 / 1000 * 1000).rounded() / 1000 } }
            p50 = ms(histogram.percentile(0.5))
            p90 = ms(histogram.percentile(0.9))
            p99 = ms(histogram.percentile(0.99))
            max = count > 0 ? ms(histogram.maximum) : nil
        }
    }

    public struct Latency: Sendable, Equatable, Codable {
        /// Parse, features and forest, per message (milliseconds, over the last interval).
        public var scoring: Percentiles
        /// From the telemetry `ts` to the end of scoring (includes clock skew between sender and agent).
        public var ingest: Percentiles
        /// From the telemetry `ts` that triggered an event to its publication.
        public var endToEnd: Percentiles

        enum CodingKeys: String, CodingKey { case scoring, ingest, endToEnd = "end_to_end" }
    }

    public struct Devices: Sendable, Equatable, Codable {
        public var active: Int
        public var stale: Int
        public var warmingUp: Int
        enum CodingKeys: String, CodingKey { case active, stale, warmingUp = "warming_up" }
    }

    public struct Events: Sendable, Equatable, Codable {
        public var open: Int
        public var opened: Int
        public var updated: Int
        public var closed: Int
        public var publishFailures: Int
        enum CodingKeys: String, CodingKey { case open, opened, updated, closed, publishFailures = "publish_failures" }
    }

    /// The on-disk outbox (see `EventJournal`).
    public struct Store: Sendable, Equatable, Codable {
        public var pending: Int
        public var droppedFull: Int
        public var droppedOld: Int
        /// Journal writes the disk refused or cut short (absent from agents before it was added).
        public var writeFailures: Int?
        enum CodingKeys: String, CodingKey { case pending, droppedFull = "dropped_full", droppedOld = "dropped_old", writeFailures = "write_failures" }
    }

    public struct Broker: Sendable, Equatable, Codable {
        public var connected: Bool
        public var connects: Int
        public var disconnects: Int
    }

    public var agent: String
    public var ts: Timestamp
    /// `running`, `learning` (collecting telemetry for learn mode) or `stopping`.
    public var state: String
    public var model: String?
    public var uptimeSeconds: Double
    public var messages: Messages
    public var latencyMilliseconds: Latency
    public var devices: Devices
    public var events: Events
    public var broker: Broker
    public var residentMemoryBytes: Int?
    public var intervalSeconds: Double
    public var store: Store?

    enum CodingKeys: String, CodingKey {
        case agent, ts, state, model, messages, devices, events, broker
        case uptimeSeconds = "uptime_s", latencyMilliseconds = "latency_ms", residentMemoryBytes = "resident_memory_bytes"
        case intervalSeconds = "interval_s", store
    }
}
