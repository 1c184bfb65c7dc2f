import CMosquitto
import Logging
import Synchronization

/// A `Sendable` MQTT client over libmosquitto 2.0 (MQTT 3.1.1 and 5, TLS, last will, reconnect).
///
/// ```swift
/// let client = try MQTTClient(configuration: .init(port: 1883, clientID: "demo"))
/// try await client.connect()
/// try await client.subscribe("sensors/+/telemetry", qos: .atLeastOnce)
/// try await client.publish("sensors/pump-01/telemetry", payload: Array("{}".utf8), qos: .atLeastOnce)
/// for await message in client.messages { print(message.topic) }
/// await client.shutdown()
/// ```
///
/// One libmosquitto network thread per client does all I/O and reconnects with exponential backoff;
/// subscriptions are restored on every reconnect. Incoming messages arrive either through `messages`
/// (a bounded buffer that counts what it drops) or, for a hot path, through a synchronous handler.
/// Call `shutdown()` when done; dropping the last reference does the same, blocking the releasing thread.
public final class MQTTClient: Sendable {
    let core: MosquittoCore

    /// Incoming messages (empty when the configuration delivers to a handler). One consumer at a time.
    public let messages: MQTTMessages
    /// Connection changes: connected, refused, disconnected (with the reason), in order.
    public let connectionEvents: MQTTConnectionEvents

    /// Creates a client; nothing touches the network until `connect()`.
    /// - Parameters:
    ///   - configuration: broker address, identity, TLS, will and delivery.
    ///   - logger: receives connection changes, and libmosquitto's own log at `.debug` or finer.
    ///   - handler: with `delivery: .handler`, called for every message on the network thread.
    /// - Throws: `MQTTError` if an option is rejected, for example a TLS file that cannot be read.
    public init(configuration: MQTTConfiguration, logger: Logger = Logger(label: "edge-anomaly.mqtt"),
                handler: (@Sendable (MQTTMessage) -> Void)? = nil) throws(MQTTError) {
        let capacity: Int
        switch configuration.delivery {
        case .stream(let size): capacity = max(1, size)
        case .handler:
            guard handler != nil else {
                throw MQTTError(code: .invalidArgument, operation: "MQTTClient.init", message: "delivery .handler needs a handler")
            }
            capacity = 1
        }
        let (messageStream, messageContinuation) = AsyncStream.makeStream(of: MQTTMessage.self, bufferingPolicy: .bufferingNewest(capacity))
        let (eventStream, eventContinuation) = AsyncStream.makeStream(of: MQTTConnectionEvent.self, bufferingPolicy: .bufferingNewest(256))
        core = try MosquittoCore(configuration: configuration, logger: logger,
                                 messageContinuation: messageContinuation, eventContinuation: eventContinuation,
                                 handler: configuration.delivery == .handler ? handler : nil)
        messages = MQTTMessages(base: messageStream)
        connectionEvents = MQTTConnectionEvents(base: eventStream)
    }

    deinit {
        core.shutdownBlocking()
    }

    public var configuration: MQTTConfiguration { core.configuration }

    /// Connects and waits for the broker to accept us.
    ///
    /// The first attempt does not retry: a refusal, TLS failure, unreachable broker or timeout throws, and the
    /// client may `connect()` again. After a successful connect, losses are retried by the network thread with
    /// the configured backoff, and `connectionEvents` reports them.
    /// - Throws: `MQTTError` with code `.badCredentials`, `.notAuthorized`, `.connectionRefused`, `.tls`,
    ///   `.unreachable`, `.timeout` or `.shutDown`.
    public func connect() async throws {
        try await core.connect()
    }

    /// True while a connection is up.
    public var isConnected: Bool { core.withState { $0.connected } }

    /// Subscribes and waits for the SUBACK. The subscription is restored on every reconnect.
    /// - Returns: the QoS the broker granted.
    /// - Throws: `MQTTError`; code `.notAuthorized` when the broker refuses the filter (SUBACK 0x80).
    @discardableResult
    public func subscribe(_ filter: String, qos: MQTTQoS = .atLeastOnce) async throws -> MQTTQoS {
        core.withState { state in
            state.subscriptions.removeAll { $0.filter == filter }
            state.subscriptions.append((filter, qos))
        }
        let granted = try await core.awaitAcknowledgement(.subscribe, operation: "mosquitto_subscribe(\(filter))") { mid in
            mosquitto_subscribe(core.handle, &mid, filter, qos.rawValue)
        }
        guard let code = granted.first, let grantedQoS = MQTTQoS(rawValue: code) else {
            core.withState { $0.subscriptions.removeAll { $0.filter == filter } }
            throw MQTTError(code: .notAuthorized, operation: "SUBACK(\(filter))",
                            message: "the broker refused the subscription (return code \(granted.first ?? -1))",
                            mosquittoCode: granted.first)
        }
        return grantedQoS
    }

    /// Unsubscribes and waits for the UNSUBACK.
    public func unsubscribe(_ filter: String) async throws {
        core.withState { $0.subscriptions.removeAll { $0.filter == filter } }
        _ = try await core.awaitAcknowledgement(.unsubscribe, operation: "mosquitto_unsubscribe(\(filter))") { mid in
            mosquitto_unsubscribe(core.handle, &mid, filter)
        }
    }

    /// Publishes and, at QoS 1 or 2, waits until the broker acknowledged (PUBACK or PUBCOMP).
    /// A QoS 1 or 2 message published while disconnected is sent after the reconnect.
    public func publish(_ topic: String, payload: [UInt8], qos: MQTTQoS = .atMostOnce, retain: Bool = false) async throws {
        if qos == .atMostOnce {
            try publishWithoutWaiting(topic, payload: payload, qos: qos, retain: retain)
            return
        }
        try await acknowledgement(of: submit(topic, payload: payload, qos: qos, retain: retain))
    }

    /// A QoS 1 or 2 message handed to libmosquitto whose acknowledgement is still to be awaited.
    public struct PendingPublish: Sendable {
        fileprivate let submission: MosquittoCore.Submission
    }

    /// Hands a QoS 1 or 2 message to libmosquitto and returns at once, keeping its acknowledgement for
    /// `acknowledgement(of:)`: several messages can then be in flight, in the order they were submitted,
    /// instead of one per round trip. Await or `abandon` every message submitted.
    /// A message submitted while disconnected is sent after the reconnect.
    public func submit(_ topic: String, payload: [UInt8], qos: MQTTQoS, retain: Bool = false) throws -> PendingPublish {
        guard qos != .atMostOnce else {
            throw MQTTError(code: .invalidArgument, operation: "submit(\(topic))", message: "QoS 0 has no acknowledgement; use publishWithoutWaiting")
        }
        return PendingPublish(submission: try core.submit(operation: "mosquitto_publish(\(topic))", queuedWhileDisconnected: true) { mid in
            payload.withUnsafeBytes { bytes in
                mosquitto_publish(core.handle, &mid, topic, Int32(bytes.count), bytes.baseAddress, qos.rawValue, retain)
            }
        })
    }

    /// Waits until the broker acknowledged a submitted message (PUBACK or PUBCOMP); across reconnects,
    /// since libmosquitto sends it again. Once per message: a second wait, or one after `abandon`, fails at
    /// once with `invalidArgument`.
    public func acknowledgement(of message: PendingPublish) async throws {
        _ = try await core.awaitAcknowledgement(.publish, of: message.submission)
    }

    /// Stops keeping the acknowledgement of a submitted message (the message itself still goes out).
    public func abandon(_ message: PendingPublish) {
        core.abandon(message.submission)
    }

    /// Hands a message to libmosquitto and returns at once: the fast path for telemetry.
    ///
    /// At QoS 1 and 2 a message published while disconnected is not an error: libmosquitto keeps it (in
    /// memory, without limit) and sends it after the reconnect. At QoS 0 it is lost, and this throws.
    /// - Throws: `MQTTError` (`.notConnected` for QoS 0 while disconnected, `.payloadTooLarge`, …).
    public func publishWithoutWaiting(_ topic: String, payload: [UInt8], qos: MQTTQoS = .atMostOnce, retain: Bool = false) throws(MQTTError) {
        var mid: Int32 = 0
        let rc = try core.call {
            payload.withUnsafeBytes { bytes in
                mosquitto_publish(core.handle, &mid, topic, Int32(bytes.count), bytes.baseAddress, qos.rawValue, retain)
            }
        }
        if rc == Int32(MOSQ_ERR_NO_CONN.rawValue) && qos != .atMostOnce && mid != 0 { return }  // queued for the reconnect
        try check(rc, "mosquitto_publish(\(topic))")
    }

    /// Counters since the client was created.
    public var statistics: MQTTClientStatistics {
        // `received` first, acquiring: the drops among those messages are then visible too.
        let received = core.counters.received.load(ordering: .acquiring)
        return MQTTClientStatistics(received: received,
                                    dropped: core.counters.dropped.load(ordering: .relaxed),
                                    connects: core.counters.connects.load(ordering: .relaxed),
                                    disconnects: core.counters.disconnects.load(ordering: .relaxed))
    }

    /// Sends DISCONNECT (so the broker does not publish the will), stops the network thread off the
    /// cooperative pool, fails anything still waiting with `.shutDown`, ends both streams and frees the
    /// handle. Idempotent; the client cannot connect again afterwards.
    public func shutdown() async {
        await core.shutdown()
    }
}

/// Counters of one client.
public struct MQTTClientStatistics: Sendable, Hashable {
    /// Messages received from the broker.
    public var received: Int
    /// Messages dropped because the `messages` buffer was full (the oldest go first).
    public var dropped: Int
    /// Successful connects, including reconnects.
    public var connects: Int
    /// Disconnects, expected or not.
    public var disconnects: Int
}
