import CMosquitto
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The callbacks are non-capturing closure literals inside a nonisolated type, so they convert to
// `@convention(c)` and carry no actor isolation (STYLE.md pitfall 17: a closure formed in a main-actor
// context would trap when libmosquitto calls it on its own thread). Each one only copies data, updates
// state under the lock and resumes or yields outside it. They never block and never call loop_stop.
extension MosquittoCore {
    @inline(__always)
    static func core(_ obj: UnsafeMutableRawPointer?) -> MosquittoCore? {
        guard let obj else { return nil }
        return Unmanaged<MosquittoCore>.fromOpaque(obj).takeUnretainedValue()
    }

    func installCallbacks() {
        mosquitto_connect_with_flags_callback_set(handle) { _, obj, rc, flags in
            MosquittoCore.core(obj)?.didConnect(rc: rc, flags: flags)
        }
        mosquitto_disconnect_callback_set(handle) { _, obj, rc in
            MosquittoCore.core(obj)?.didDisconnect(rc: rc)
        }
        mosquitto_publish_callback_set(handle) { _, obj, mid in
            MosquittoCore.core(obj)?.didAcknowledge(mid: mid, granted: [])
        }
        mosquitto_subscribe_callback_set(handle) { _, obj, mid, count, granted in
            let grantedQoS = granted.map { Array(UnsafeBufferPointer(start: $0, count: Int(count))) } ?? []
            MosquittoCore.core(obj)?.didAcknowledge(mid: mid, granted: grantedQoS)
        }
        mosquitto_unsubscribe_callback_set(handle) { _, obj, mid in
            MosquittoCore.core(obj)?.didAcknowledge(mid: mid, granted: [])
        }
        mosquitto_message_callback_set(handle) { _, obj, message in
            guard let core = MosquittoCore.core(obj), let message else { return }
            core.deliver(MQTTMessage(copying: message.pointee, connection: core.counters.connects.load(ordering: .relaxed)))
        }
        setLogCallback(true)
    }

    /// libmosquitto formats every log line (a malloc and a vsnprintf per packet) whenever a log callback
    /// is set. So it is set while connecting, where its OpenSSL errors are the only sign of a failed TLS
    /// handshake, and after that only when someone reads debug output.
    func setLogCallback(_ connecting: Bool) {
        if connecting || logger.logLevel <= .debug {
            mosquitto_log_callback_set(handle) { _, obj, level, text in
                guard let core = MosquittoCore.core(obj), let text else { return }
                core.log(level: level, String(cString: text))
            }
        } else {
            mosquitto_log_callback_set(handle, nil)
        }
    }

    func didConnect(rc: Int32, flags: Int32) {
        counters.loopThread.store(UInt(bitPattern: Int(bitPattern: UInt(pthread_self()))), ordering: .relaxed)
        guard rc == 0 else {
            let error = MQTTError.connack(rc, version: configuration.protocolVersion)
            logger.warning("MQTT connection refused", metadata: ["mqtt.client_id": "\(configuration.clientID)", "error": "\(error)"])
            eventContinuation.yield(.refused(error))
            failFirstConnect(error)
            return
        }
        counters.connects.add(1, ordering: .relaxed)
        let (waiter, subscriptions) = withState { state in
            state.connected = true
            if state.phase == .connecting { state.phase = .running }
            defer { state.connectWaiter = nil }
            return (state.connectWaiter, state.subscriptions)
        }
        // Re-subscribe on every connect: a clean session, or a broker that lost its state, forgets them.
        for subscription in subscriptions {
            let rc = mosquitto_subscribe(handle, nil, subscription.filter, subscription.qos.rawValue)
            if rc != 0 {
                logger.error("MQTT re-subscribe failed", metadata: ["filter": "\(subscription.filter)", "error": "\(MQTTError.mosquitto(rc, "mosquitto_subscribe"))"])
            }
        }
        setLogCallback(false)
        logger.debug("MQTT connected", metadata: ["mqtt.client_id": "\(configuration.clientID)", "session_present": "\(flags & 1 == 1)"])
        eventContinuation.yield(.connected(sessionPresent: flags & 1 == 1))
        waiter?.resume()
    }

    func didDisconnect(rc: Int32) {
        let reason: MQTTError? = rc == 0 ? nil : MQTTError.mosquitto(rc, "connection")
        counters.disconnects.add(1, ordering: .relaxed)
        // SUBACKs and UNSUBACKs for the old connection will never come; publishes at QoS >= 1 are resent by
        // libmosquitto after the reconnect, so their callers keep waiting.
        let stranded = withState { state in
            state.connected = false
            let stranded = state.waiters.filter { $0.value.kind != .publish }
            for mid in stranded.keys { state.waiters[mid] = nil }
            return stranded.values
        }
        let lost = reason ?? MQTTError(code: .connectionLost, operation: "connection", message: "disconnected")
        for waiter in stranded { waiter.continuation.resume(throwing: lost) }
        if let reason {
            logger.warning("MQTT connection lost", metadata: ["mqtt.client_id": "\(configuration.clientID)", "error": "\(reason)"])
            failFirstConnect(reason)
        }
        eventContinuation.yield(.disconnected(reason: reason))
    }

    /// While the first connect is still awaited, a failure ends the attempt instead of retrying forever:
    /// the caller gets the error, stops the network thread off this thread, and decides.
    func failFirstConnect(_ error: MQTTError) {
        let waiter = withState { state -> CheckedContinuation<Void, any Error>? in
            guard state.phase == .connecting, let waiter = state.connectWaiter else { return nil }
            state.connectWaiter = nil
            return waiter
        }
        // No mosquitto_disconnect here: this can run inside the log callback, where libmosquitto holds a
        // lock that mosquitto_disconnect takes. connect() stops the network thread when it catches the error.
        waiter?.resume(throwing: error)
    }

    func didAcknowledge(mid: Int32, granted: [Int32]) {
        let waiter = withState { state -> Waiter? in
            if let waiter = state.waiters.removeValue(forKey: mid) { return waiter }
            guard state.callsInWindow > 0 || state.submitted[mid] != nil else { return nil }
            // The holder of the id gets one ack; a second one for the same id belongs to a newer message.
            state.earlyAcks[mid] = MosquittoCore.EarlyAck(granted: granted, owned: state.earlyAcks[mid] == nil && state.submitted[mid] != nil)
            return nil
        }
        waiter?.continuation.resume(returning: granted)
    }

    @inline(__always)
    func deliver(_ message: MQTTMessage) {
        if let handler {
            handler(message)
        } else if case .dropped = messageContinuation.yield(message) {
            counters.dropped.add(1, ordering: .relaxed)
        }
        // Counted last and released: whoever sees a message counted as received also sees whether it
        // (or an older one) was dropped to make room.
        counters.received.add(1, ordering: .releasing)
    }

    func log(level: Int32, _ text: String) {
        let swiftLevel: Logger.Level
        switch level {
        case MOSQ_LOG_ERR: swiftLevel = .error
        case MOSQ_LOG_WARNING: swiftLevel = .warning
        case MOSQ_LOG_NOTICE, MOSQ_LOG_INFO: swiftLevel = .info
        default: swiftLevel = .debug
        }
        logger.log(level: swiftLevel, "\(text)", metadata: ["mqtt.client_id": "\(configuration.clientID)"])
        // A failed TLS handshake ends libmosquitto's network thread without any callback but this log line.
        if level == MOSQ_LOG_ERR && text.contains("OpenSSL") {
            failFirstConnect(MQTTError(code: .tls, operation: "TLS handshake", message: text))
        }
    }
}
