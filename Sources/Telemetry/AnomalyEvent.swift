/// One anomalous episode of one device, as the agent publishes it: `open` when it starts, `update`
/// while it grows materially, `closed` when the device has been normal for a while.
public struct AnomalyEvent: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable { case open, update, closed }
    public enum Severity: String, Sendable, Hashable, Codable, Comparable {
        case warning, critical
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs == .warning && rhs == .critical }
    }

    /// Which sensor made the point anomalous, and by how much.
    public struct Contributor: Sendable, Hashable, Codable {
        public var sensor: String
        /// Share of the isolation attributed to this sensor; the shares of one event sum to 1.
        public var share: Double
        /// The observed value.
        public var value: Double?
        /// What the model considers normal for it (for example the training mean).
        public var expected: Double?
        /// The derived feature of this sensor that weighed most (for example `vibration:std`), when it was
        /// not the raw value: a jump in a rolling deviation can leave the raw value looking ordinary. Absent
        /// when the raw value weighed most (an extension; consumers that do not know it lose nothing).
        public var feature: String?
        /// That feature's value and its training mean.
        public var featureValue: Double?
        public var featureExpected: Double?

        enum CodingKeys: String, CodingKey {
            case sensor, share, value, expected, feature, featureValue = "feature_value", featureExpected = "feature_expected"
        }

        public init(sensor: String, share: Double, value: Double?, expected: Double?, feature: String? = nil,
                    featureValue: Double? = nil, featureExpected: Double? = nil) {
            self.sensor = sensor
            self.share = share
            self.value = value
            self.expected = expected
            self.feature = feature
            self.featureValue = featureValue
            self.featureExpected = featureExpected
        }
    }

    public var eventID: String
    public var device: String
    public var state: State
    /// When the event was raised: the message that opened it.
    public var startedAt: Timestamp
    /// Where the anomaly began, as far as the detector can tell (an extension; absent from older agents'
    /// events). Per anomalous message: when what made it anomalous sums up the rolling window (a rolling
    /// mean, std or change, which crosses its limit only some messages after the change that moved it),
    /// the oldest message in that window; when a raw value, `diff`, `dev` or a data-quality finding did,
    /// the message itself. An event opened by one message at once takes that message's; one opened by
    /// k of n takes the earliest of its anomalous messages'. Never before the device's previous event
    /// ended, never after `startedAt`. Known when the event opens and the same in every message about it.
    public var onsetAt: Timestamp?
    /// When this message was produced.
    public var ts: Timestamp
    /// Set when `state` is `closed`; encoded as an explicit `null` otherwise.
    public var endedAt: Timestamp?
    /// Isolation Forest anomaly score in (0, 1], higher is more anomalous (scikit-learn's meaning).
    public var score: Double
    public var peakScore: Double
    public var threshold: Double
    public var severity: Severity
    public var contributors: [Contributor]
    public var triggerSeq: Int64?
    /// The model id (`sha256:…`).
    public var model: String
    public var agent: String
    /// Set when a data-quality finding opened the event instead of a score: `stuck_sensor` or
    /// `missing_data` (an extension; absent for score-based events).
    public var finding: String?
    /// True when the event is delivered late from the agent's store-and-forward queue (an extension).
    public var historical: Bool?

    public init(eventID: String, device: String, state: State, startedAt: Timestamp, ts: Timestamp, endedAt: Timestamp?,
                score: Double, peakScore: Double, threshold: Double, severity: Severity, contributors: [Contributor],
                triggerSeq: Int64?, model: String, agent: String, finding: String? = nil, historical: Bool? = nil,
                onsetAt: Timestamp? = nil) {
        self.eventID = eventID
        self.device = device
        self.state = state
        self.startedAt = startedAt
        self.ts = ts
        self.endedAt = endedAt
        self.score = score
        self.peakScore = peakScore
        self.threshold = threshold
        self.severity = severity
        self.contributors = contributors
        self.triggerSeq = triggerSeq
        self.model = model
        self.agent = agent
        self.finding = finding
        self.historical = historical
        self.onsetAt = onsetAt
    }

    /// Where the event's span begins: its onset when the agent estimated one, else when it was raised.
    public var spanStart: Timestamp { onsetAt ?? startedAt }

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", device, state, startedAt = "started_at", ts, endedAt = "ended_at", score
        case peakScore = "peak_score", threshold, severity, contributors, triggerSeq = "trigger_seq", model, agent, finding, historical
        case onsetAt = "onset_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(eventID, forKey: .eventID)
        try container.encode(device, forKey: .device)
        try container.encode(state, forKey: .state)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(ts, forKey: .ts)
        try container.encode(endedAt, forKey: .endedAt)  // the contract shows "ended_at": null while open
        try container.encode(score, forKey: .score)
        try container.encode(peakScore, forKey: .peakScore)
        try container.encode(threshold, forKey: .threshold)
        try container.encode(severity, forKey: .severity)
        try container.encode(contributors, forKey: .contributors)
        try container.encode(triggerSeq, forKey: .triggerSeq)
        try container.encode(model, forKey: .model)
        try container.encode(agent, forKey: .agent)
        try container.encodeIfPresent(finding, forKey: .finding)
        try container.encodeIfPresent(historical, forKey: .historical)
        try container.encodeIfPresent(onsetAt, forKey: .onsetAt)
    }
}
