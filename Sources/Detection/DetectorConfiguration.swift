/// Settings of the detection pipeline that are not part of the model.
public struct DetectorConfiguration: Sendable, Hashable, Codable {
    /// The agent's id, written into every event.
    public var agent: String
    public var events: EventPolicy
    /// A feature further outside its training envelope than this fraction of its training range is
    /// anomalous whatever the forest says, and opens an event at once (see `SensorEnvelope.exceedance`).
    /// 0 turns the envelope check off. Larger values trade recall for fewer false events (README,
    /// "Detection quality", for what the defaults catch).
    public var envelopeTolerance: Double
    /// Stuck sensors and dropouts as events of their own (`finding` in the event).
    public var dataQuality: DataQualityPolicy
    /// Payloads larger than this (bytes) are rejected unread.
    public var maximumPayloadBytes: Int
    /// Devices beyond this many are rejected, so a flood of invented ids cannot exhaust memory.
    public var maximumDevices: Int
    /// How many contributors an event lists at most.
    public var maximumContributors: Int

    public init(agent: String = "agent-01", events: EventPolicy = EventPolicy(), envelopeTolerance: Double = 0.1,
                dataQuality: DataQualityPolicy = DataQualityPolicy(), maximumPayloadBytes: Int = 16_384, maximumDevices: Int = 10_000, maximumContributors: Int = 3) {
        self.agent = agent
        self.events = events
        self.envelopeTolerance = envelopeTolerance
        self.dataQuality = dataQuality
        self.maximumPayloadBytes = maximumPayloadBytes
        self.maximumDevices = maximumDevices
        self.maximumContributors = maximumContributors
    }

    public func validate() throws(DetectionError) {
        try events.validate()
        try dataQuality.validate()
        guard envelopeTolerance >= 0, envelopeTolerance.isFinite else { throw DetectionError("envelopeTolerance must not be negative") }
        // MQTT's own limit on a packet is 268,435,455 bytes: a larger setting is a typo, not a choice.
        guard (64...268_435_455).contains(maximumPayloadBytes) else {
            throw DetectionError("maximumPayloadBytes must be 64…268435455 (MQTT's largest packet), not \(maximumPayloadBytes)")
        }
        guard maximumDevices >= 1 else { throw DetectionError("maximumDevices must be at least 1") }
        guard maximumContributors >= 1 else { throw DetectionError("maximumContributors must be at least 1") }
    }
}
