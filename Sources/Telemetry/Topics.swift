/// The topics of the wire contract (DESIGN.md), with their defaults. Every one is configurable.
public struct Topics: Sendable, Hashable, Codable {
    /// Telemetry from sensors or the emulator: `sensors/{device}/telemetry`.
    public var telemetry: TopicTemplate
    /// Ground truth from the emulator: `sensors/{device}/truth`.
    public var truth: TopicTemplate
    /// Anomaly events from the agent: `alerts/{device}/anomaly`.
    public var anomaly: TopicTemplate
    /// The agent's health, retained: `alerts/agent/{agent}/health`.
    public var health: TopicTemplate
    /// The agent's online/offline status, retained, also its last will: `alerts/agent/{agent}/status`.
    public var status: TopicTemplate
    /// Rejected messages, rate-limited: `alerts/agent/{agent}/errors`.
    public var errors: TopicTemplate
    /// Commands for the emulator (demo only): `emulator/{emulator}/control`.
    public var control: TopicTemplate

    public init(telemetry: TopicTemplate = Topics.builtIn("sensors/{device}/telemetry"),
                truth: TopicTemplate = Topics.builtIn("sensors/{device}/truth"),
                anomaly: TopicTemplate = Topics.builtIn("alerts/{device}/anomaly"),
                health: TopicTemplate = Topics.builtIn("alerts/agent/{agent}/health"),
                status: TopicTemplate = Topics.builtIn("alerts/agent/{agent}/status"),
                errors: TopicTemplate = Topics.builtIn("alerts/agent/{agent}/errors"),
                control: TopicTemplate = Topics.builtIn("emulator/{emulator}/control")) {
        self.telemetry = telemetry
        self.truth = truth
        self.anomaly = anomaly
        self.health = health
        self.status = status
        self.errors = errors
        self.control = control
    }

    /// The contract's defaults.
    public static let defaults = Topics()

    /// A template from a literal in this file; the tests check that every default is valid.
    public static func builtIn(_ literal: StaticString) -> TopicTemplate {
        // swiftlint:disable:next force_try
        try! TopicTemplate("\(literal)")
    }
}
