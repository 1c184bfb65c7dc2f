/// Everything needed to reach a broker. All fields have defaults, so a local plain broker needs none.
///
/// ```swift
/// var configuration = MQTTConfiguration(clientID: "agent-01")
/// configuration.port = 8883
/// configuration.tls = .init(caFile: "/etc/edge-anomaly/ca.crt")
/// configuration.will = .init(topic: "alerts/agent/agent-01/status", payload: Array(#"{"state":"offline"}"#.utf8), qos: .atLeastOnce, retain: true)
/// ```
public struct MQTTConfiguration: Sendable, Hashable {
    public enum ProtocolVersion: String, Sendable, Hashable, Codable, CaseIterable {
        case v311 = "3.1.1"
        case v5 = "5"
    }

    /// TLS settings. Hostname verification is on unless `verifyHostname` is set to false.
    public struct TLS: Sendable, Hashable {
        /// A PEM file of trusted CA certificates.
        public var caFile: String?
        /// A directory of trusted CA certificates (hashed names, as `c_rehash` makes them).
        public var caDirectory: String?
        /// The client certificate and key for mutual TLS; both or neither.
        public var certificateFile: String?
        public var keyFile: String?
        /// Check that the broker certificate names the host we connect to. Turning this off allows
        /// a man in the middle; it exists for test rigs with certificates for another name.
        public var verifyHostname: Bool

        public init(caFile: String? = nil, caDirectory: String? = nil, certificateFile: String? = nil,
                    keyFile: String? = nil, verifyHostname: Bool = true) {
            self.caFile = caFile
            self.caDirectory = caDirectory
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.verifyHostname = verifyHostname
        }
    }

    /// A message the broker publishes for us when we vanish without a DISCONNECT.
    public struct Will: Sendable, Hashable {
        public var topic: String
        public var payload: [UInt8]
        public var qos: MQTTQoS
        public var retain: Bool

        public init(topic: String, payload: [UInt8], qos: MQTTQoS = .atLeastOnce, retain: Bool = true) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.retain = retain
        }
    }

    /// How incoming messages reach the application.
    public enum Delivery: Sendable, Hashable {
        /// Through `MQTTClient.messages`, a buffer of at most `capacity` messages; when it is full the
        /// oldest message is dropped and counted in `MQTTClient.statistics`.
        case stream(capacity: Int)
        /// Straight to the handler given to `MQTTClient.init`, on libmosquitto's network thread,
        /// with no task hop: the hot path. The handler must be quick and must not block.
        case handler
    }

    public var host: String
    public var port: Int
    public var clientID: String
    /// Seconds between PINGREQs when idle; the broker drops us after 1.5 times this without traffic.
    public var keepAlive: Int
    /// A clean session forgets subscriptions and queued messages when we disconnect.
    public var cleanSession: Bool
    public var username: String?
    public var password: String?
    public var tls: TLS?
    public var will: Will?
    public var protocolVersion: ProtocolVersion
    /// Reconnect backoff in seconds: the first delay, growing with each failed attempt (libmosquitto's
    /// exponential backoff) up to the maximum.
    public var reconnectDelay: ClosedRange<Int>
    /// How long `connect()` waits for the first CONNACK (seconds).
    public var connectTimeout: Double
    public var delivery: Delivery
    /// QoS 1 and 2 messages in flight at once; 0 means no limit. Keep it at or below the broker's receive
    /// maximum (mosquitto: `max_inflight_messages`, default 20): mosquitto answers a QoS 2 message over that
    /// quota with a PUBREC and then drops it, which an MQTT 3.1.1 client cannot tell from success.
    public var maxInflightMessages: Int

    public init(host: String = "127.0.0.1", port: Int = 1883, clientID: String, keepAlive: Int = 30,
                cleanSession: Bool = true, username: String? = nil, password: String? = nil, tls: TLS? = nil,
                will: Will? = nil, protocolVersion: ProtocolVersion = .v311, reconnectDelay: ClosedRange<Int> = 1...30,
                connectTimeout: Double = 10, delivery: Delivery = .stream(capacity: 10_000), maxInflightMessages: Int = 20) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.keepAlive = keepAlive
        self.cleanSession = cleanSession
        self.username = username
        self.password = password
        self.tls = tls
        self.will = will
        self.protocolVersion = protocolVersion
        self.reconnectDelay = reconnectDelay
        self.connectTimeout = connectTimeout
        self.delivery = delivery
        self.maxInflightMessages = maxInflightMessages
    }
}

/// MQTT quality of service.
public enum MQTTQoS: Int32, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case atMostOnce = 0
    case atLeastOnce = 1
    case exactlyOnce = 2

    public static func < (lhs: MQTTQoS, rhs: MQTTQoS) -> Bool { lhs.rawValue < rhs.rawValue }
}
