import Detection
import Foundation
import Telemetry

/// Everything the agent can be told, with a default for every key. Read from a JSON file
/// (`config/agent.json` documents each key), then environment variables, then flags.
public struct AgentConfiguration: Sendable, Equatable {
    public struct Broker: Sendable, Equatable {
        public var host = "127.0.0.1"
        public var port = 1883
        /// Defaults to `edge-anomaly-<agent id>`. Fixed, so that a persistent session survives restarts.
        public var clientID: String?
        public var username: String?
        /// A file holding the password (its first line). Preferred over `passwordEnvironment`.
        public var passwordFile: String?
        /// The environment variable that holds the password.
        public var passwordEnvironment = "EDGE_ANOMALY_MQTT_PASSWORD"
        public var tls: TLS?
        public var protocolVersion = "3.1.1"
        public var keepAlive = 30
        /// False keeps the broker session (and QoS 1 telemetry queued while the agent is down).
        public var cleanSession = true
        /// QoS of the telemetry subscription.
        public var telemetryQoS = 0
        /// Join a shared subscription (`$share/<group>/…`) so that several agents split the telemetry
        /// between them. Only for models whose features are per message (window 1): with rolling windows a
        /// device's messages must all reach one agent (partition with topic templates instead).
        public var sharedSubscriptionGroup: String?
        public var reconnectMinSeconds = 1
        public var reconnectMaxSeconds = 30

        public struct TLS: Sendable, Equatable, Codable {
            public var caFile: String?
            public var caDirectory: String?
            public var certificateFile: String?
            public var keyFile: String?
            public var verifyHostname: Bool?
        }
    }

    public struct Model: Sendable, Equatable {
        /// The model file to load; in learn mode, where the learned model is written.
        public var path = "model.json"
        /// Seconds between checks of the file for changes (0: only SIGHUP reloads).
        public var watchSeconds = 2.0
    }

    public struct Learn: Sendable, Equatable {
        /// Seconds of telemetry to learn from when there is no model file (0: learn mode off).
        public var seconds = 0.0
        /// Sensors to learn; empty: every sensor seen in the telemetry.
        public var sensors: [String] = []
        public var derived: [FeatureSpec.Derived] = []
        public var window = 1
        public var trees = 100
        /// Fraction of training points above the threshold.
        public var contamination = 0.002
        public var seed: UInt64 = 0
    }

    public struct Health: Sendable, Equatable {
        /// Seconds between health reports.
        public var intervalSeconds = 5.0
        /// A device silent this long is stale.
        public var staleAfterSeconds = 30.0
        /// Rejected-message reports per second at most on the errors topic (the rest are counted).
        public var errorReportsPerSecond = 5.0
        /// Bytes of a rejected payload included in its report.
        public var errorPayloadBytes = 256
    }

    /// The dashboard, the JSON API, `/metrics` and the probes.
    public struct HTTP: Sendable, Equatable {
        public var enabled = true
        /// Loopback by default; any other address needs a token.
        public var address = "127.0.0.1"
        /// 0 picks a free port (logged at start).
        public var port = 8080
        /// A file holding the access token (its first line): `Authorization: Bearer <token>`, or basic auth
        /// with any user name and the token as password. Preferred over `tokenEnvironment`.
        public var tokenFile: String?
        /// The environment variable that holds the token.
        public var tokenEnvironment = "EDGE_ANOMALY_HTTP_TOKEN"
        /// Recent points kept per device for the charts (memory: about 30 bytes × sensors × points × devices).
        public var seriesPoints = 300
        /// Recent anomaly events kept for the event list.
        public var recentEvents = 200
        /// Subscribe to the ground-truth topic (the emulator's) for shading and live accuracy.
        public var groundTruth = true
        /// The emulator whose control topic the dashboard's buttons publish to; none hides the buttons.
        public var emulator: String?
        /// Chart.js, served to the page (Debian: libjs-chart.js).
        public var chartJS = "/usr/share/javascript/chart.js/chart.min.js"
    }

    /// The on-disk outbox of events (and the latest health while the broker is away).
    public struct Store: Sendable, Equatable {
        /// The journal file; relative paths are from the working directory (/var/lib/edge-anomaly under systemd).
        public var path = "event-journal.jsonl"
        /// Pending entries at most; beyond that the oldest are dropped and counted.
        public var maxEvents = 10_000
        /// Pending payload bytes at most.
        public var maxBytes = 16 << 20
        /// Pending entries older than this are dropped (and counted) instead of published.
        public var maxAgeSeconds = 7 * 86_400.0
        /// Entries published before the oldest is acknowledged. One at a time, a backlog drains at one entry
        /// per round trip to the broker (20 per second to a broker 50 ms away, with every new event behind it).
        public var maxInFlight = 20
    }

    /// The agent's id: a single topic level.
    public var agent = "agent-01"
    public var broker = Broker()
    public var topics = Topics.defaults
    public var model = Model()
    public var learn = Learn()
    public var detection = DetectorConfiguration()
    public var health = Health()
    public var http = HTTP()
    public var store = Store()
    /// trace, debug, info, notice, warning, error, critical.
    public var logLevel = "info"

    public init() {}

    /// The broker client id, defaulted from the agent id.
    public var clientID: String { broker.clientID ?? "edge-anomaly-\(agent)" }

    /// Checks every value; the error names the key.
    public func validate() throws(ConfigurationError) {
        if let problem = TopicLevel.problem(with: agent) { throw ConfigurationError(key: "agent", "\(agent.debugDescription) \(problem)") }
        guard !broker.host.isEmpty else { throw ConfigurationError(key: "broker.host", "must not be empty") }
        guard (1...65_535).contains(broker.port) else { throw ConfigurationError(key: "broker.port", "\(broker.port) is not a TCP port") }
        guard ["3.1.1", "5"].contains(broker.protocolVersion) else {
            throw ConfigurationError(key: "broker.protocolVersion", "must be \"3.1.1\" or \"5\", not \(broker.protocolVersion.debugDescription)")
        }
        if let group = broker.sharedSubscriptionGroup, let problem = TopicLevel.problem(with: group) {
            throw ConfigurationError(key: "broker.sharedSubscriptionGroup", "\(group.debugDescription) \(problem)")
        }
        guard (0...2).contains(broker.telemetryQoS) else { throw ConfigurationError(key: "broker.telemetryQoS", "must be 0, 1 or 2") }
        guard (1...65_535).contains(broker.keepAlive) else { throw ConfigurationError(key: "broker.keepAlive", "must be 1…65535 seconds") }
        guard broker.reconnectMinSeconds >= 1, broker.reconnectMaxSeconds >= broker.reconnectMinSeconds else {
            throw ConfigurationError(key: "broker.reconnectMaxSeconds", "must be at least reconnectMinSeconds (>= 1)")
        }
        if !broker.cleanSession && broker.clientID == nil && agent.isEmpty {
            throw ConfigurationError(key: "broker.clientID", "a persistent session needs a fixed client id")
        }
        guard !model.path.isEmpty else { throw ConfigurationError(key: "model.path", "must not be empty") }
        guard model.watchSeconds >= 0 else { throw ConfigurationError(key: "model.watchSeconds", "must not be negative") }
        guard learn.seconds >= 0 else { throw ConfigurationError(key: "learn.seconds", "must not be negative") }
        guard learn.contamination > 0, learn.contamination < 0.5 else {
            throw ConfigurationError(key: "learn.contamination", "must be between 0 and 0.5")
        }
        guard (1...10_000).contains(learn.trees) else { throw ConfigurationError(key: "learn.trees", "must be 1…10000") }
        guard (1...10_000).contains(learn.window) else { throw ConfigurationError(key: "learn.window", "must be 1…10000") }
        guard health.intervalSeconds > 0 else { throw ConfigurationError(key: "health.intervalSeconds", "must be positive") }
        guard health.staleAfterSeconds > 0 else { throw ConfigurationError(key: "health.staleAfterSeconds", "must be positive") }
        guard health.errorReportsPerSecond > 0 else { throw ConfigurationError(key: "health.errorReportsPerSecond", "must be positive") }
        guard health.errorPayloadBytes >= 0 else { throw ConfigurationError(key: "health.errorPayloadBytes", "must not be negative") }
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
            throw ConfigurationError(key: "logLevel", "\(logLevel.debugDescription) is not a log level")
        }
        try validateHTTP()
        guard !store.path.isEmpty else { throw ConfigurationError(key: "store.path", "must not be empty") }
        guard store.maxEvents >= 1 else { throw ConfigurationError(key: "store.maxEvents", "must be at least 1") }
        guard store.maxBytes >= 4096 else { throw ConfigurationError(key: "store.maxBytes", "must be at least 4096") }
        guard store.maxAgeSeconds > 0 else { throw ConfigurationError(key: "store.maxAgeSeconds", "must be positive") }
        guard (1...1_000).contains(store.maxInFlight) else { throw ConfigurationError(key: "store.maxInFlight", "must be 1…1000") }
        do {
            try detection.validate()
        } catch {
            throw ConfigurationError(key: "detection", error.description)
        }
    }
}

/// A configuration value that cannot be used; `key` is its dotted path in the file.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let key: String
    public let problem: String
    public init(key: String, _ problem: String) {
        self.key = key
        self.problem = problem
    }
    public var description: String { "configuration key \(key): \(problem)" }
}
