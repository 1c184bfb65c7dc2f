/// The agent's retained online/offline status, also registered as its last will.
public struct AgentStatus: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable { case online, offline }
    public var agent: String
    public var state: State
    public var ts: Timestamp

    public init(agent: String, state: State, ts: Timestamp) {
        self.agent = agent
        self.state = state
        self.ts = ts
    }
}

/// A message the agent could not use, reported (rate-limited) on the errors topic.
public struct RejectedMessage: Sendable, Hashable, Codable {
    public var agent: String
    /// The device, when it could be told.
    public var device: String?
    public var topic: String
    /// A stable machine-readable reason, for example `malformed_json` or `non_finite_value`.
    public var reason: String
    /// What exactly was wrong, for a person.
    public var detail: String
    /// The start of the payload, as text with invalid UTF-8 replaced.
    public var payload: String
    /// How many messages with this reason were rejected since the last report (rate limiting).
    public var count: Int
    public var ts: Timestamp

    public init(agent: String, device: String?, topic: String, reason: String, detail: String, payload: String, count: Int, ts: Timestamp) {
        self.agent = agent
        self.device = device
        self.topic = topic
        self.reason = reason
        self.detail = detail
        self.payload = payload
        self.count = count
        self.ts = ts
    }
}

/// A command for the emulator on its control topic (demo only).
public struct ControlCommand: Sendable, Hashable, Codable {
    public enum Command: String, Sendable, Hashable, Codable { case pause, resume, reset, inject }
    public var command: Command
    /// For `inject`: the device, the anomaly kind, the sensors, how long (seconds) and how strong.
    public var device: String?
    public var kind: String?
    public var sensors: [String]?
    public var duration: Double?
    public var magnitude: Double?

    public init(command: Command, device: String? = nil, kind: String? = nil, sensors: [String]? = nil,
                duration: Double? = nil, magnitude: Double? = nil) {
        self.command = command
        self.device = device
        self.kind = kind
        self.sensors = sensors
        self.duration = duration
        self.magnitude = magnitude
    }
}
