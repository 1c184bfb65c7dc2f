import CMosquitto

/// A received message, copied out of libmosquitto's buffer (which is freed when the callback returns).
public struct MQTTMessage: Sendable, Hashable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: MQTTQoS
    public var retain: Bool
    /// The connection it arrived on: 1 for the client's first, counting up with every reconnect
    /// (`MQTTClientStatistics.connects`). A change tells a receiver, on the thread that delivers, that the
    /// client was away from the broker in between.
    public var connection: Int

    public init(topic: String, payload: [UInt8], qos: MQTTQoS = .atMostOnce, retain: Bool = false, connection: Int = 1) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.connection = connection
    }

    /// The payload as UTF-8 text (invalid bytes are replaced), for logs and tests.
    public var payloadString: String { String(decoding: payload, as: UTF8.self) }

    /// Copies topic and payload; the payload is not NUL-terminated, so its length comes from `payloadlen`.
    init(copying message: mosquitto_message, connection: Int) {
        self.connection = connection
        topic = message.topic.map { String(cString: $0) } ?? ""
        if let bytes = message.payload, message.payloadlen > 0 {
            payload = Array(UnsafeRawBufferPointer(start: bytes, count: Int(message.payloadlen)))
        } else {
            payload = []
        }
        qos = MQTTQoS(rawValue: message.qos) ?? .atMostOnce
        retain = message.retain
    }
}

/// A change in the connection, as seen by the client.
public enum MQTTConnectionEvent: Sendable, Hashable {
    /// A CONNACK accepted us; `sessionPresent` says the broker kept our earlier session.
    case connected(sessionPresent: Bool)
    /// The connection ended. `reason` is nil when we asked for it; otherwise libmosquitto
    /// reconnects by itself with the configured backoff.
    case disconnected(reason: MQTTError?)
    /// The broker refused a connection attempt (wrong password, not authorised, …).
    case refused(MQTTError)
}
