import CMosquitto
import Dispatch
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libmosquitto must be initialised once per process before the first client, and `mosquitto_lib_init`
/// is not thread-safe; a global `let` is initialised exactly once, lazily and thread-safely.
private let libraryInitialisation: Int32 = mosquitto_lib_init()

/// Owns one `struct mosquitto *` and everything its callbacks touch.
///
/// `@unchecked Sendable` is justified, and is the only one in this module:
/// - libmosquitto is built thread-safe (Debian builds it with `WITH_THREADING`), and `mosquitto_loop_start`
///   puts the handle in threaded mode, so its public calls may be made from any thread;
/// - `handle` is a `let` and is destroyed only in `destroy()`, after the loop thread has been joined, so no
///   callback can run into freed memory;
/// - every mutable field is `stateStorage`, touched only inside `withState` under `stateLock` (a pthread mutex),
///   or an `Atomic`; the continuations are `Sendable`.
///
/// The lock is a pthread mutex rather than `Synchronization.Mutex` because ThreadSanitizer sees pthread
/// locking but not the uninstrumented futex inside `Mutex`, and reports false races through it; the MQTT
/// tests run under ThreadSanitizer in CI and must be able to find real ones.
///
/// The C side holds a +1 retain on this object (the user-data pointer), released in `destroy()` after
/// `mosquitto_destroy`, so the object outlives every callback.
final class MosquittoCore: @unchecked Sendable {
    let handle: OpaquePointer
    let configuration: MQTTConfiguration
    let logger: Logger
    let messageContinuation: AsyncStream<MQTTMessage>.Continuation
    let eventContinuation: AsyncStream<MQTTConnectionEvent>.Continuation
    let handler: (@Sendable (MQTTMessage) -> Void)?
    private let stateLock: UnsafeMutablePointer<pthread_mutex_t> = {
        let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        return lock
    }()
    private var stateStorage = State()
    let counters = Counters()

    /// Connect timeouts fire here: a serial queue, which Dispatch serves from its overcommit threads, so
    /// a busy cooperative pool cannot hold a timeout back. Blocking calls go to `BlockingThread`.
    static let timerQueue = DispatchQueue(label: "edge-anomaly.mqtt.timers")

    init(configuration: MQTTConfiguration, logger: Logger,
         messageContinuation: AsyncStream<MQTTMessage>.Continuation,
         eventContinuation: AsyncStream<MQTTConnectionEvent>.Continuation,
         handler: (@Sendable (MQTTMessage) -> Void)?) throws(MQTTError) {
        try check(libraryInitialisation, "mosquitto_lib_init")
        guard let handle = mosquitto_new(configuration.clientID, configuration.cleanSession, nil) else {
            throw MQTTError(code: .invalidArgument, operation: "mosquitto_new",
                            message: "could not create a client (an empty client id needs a clean session)",
                            systemErrno: errno)
        }
        self.handle = handle
        self.configuration = configuration
        self.logger = logger
        self.messageContinuation = messageContinuation
        self.eventContinuation = eventContinuation
        self.handler = handler
        mosquitto_user_data_set(handle, Unmanaged.passRetained(self).toOpaque())
        installCallbacks()
        do {
            try applyOptions()
        } catch {
            destroy()
            throw error
        }
    }

    /// Options that must be set before the first connect: protocol, credentials, TLS, will, backoff.
    private func applyOptions() throws(MQTTError) {
        let c = configuration
        if c.protocolVersion == .v5 {
            try check(mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5), "mosquitto_int_option(PROTOCOL_VERSION)")
        }
        // Small telemetry messages must not wait for Nagle's algorithm.
        try check(mosquitto_int_option(handle, MOSQ_OPT_TCP_NODELAY, 1), "mosquitto_int_option(TCP_NODELAY)")
        if c.username != nil || c.password != nil {
            try check(mosquitto_username_pw_set(handle, c.username, c.password), "mosquitto_username_pw_set")
        }
        if let tls = c.tls {
            let rc = mosquitto_tls_set(handle, tls.caFile, tls.caDirectory, tls.certificateFile, tls.keyFile, nil)
            if rc != Int32(MOSQ_ERR_SUCCESS.rawValue) {
                throw MQTTError(code: .tls, operation: "mosquitto_tls_set",
                                message: "cannot use the TLS files (CA \(tls.caFile ?? tls.caDirectory ?? "none"), "
                                    + "certificate \(tls.certificateFile ?? "none")): \(String(cString: mosquitto_strerror(rc)))",
                                mosquittoCode: rc)
            }
            try check(mosquitto_tls_insecure_set(handle, !tls.verifyHostname), "mosquitto_tls_insecure_set")
        }
        if let will = c.will {
            let rc = will.payload.withUnsafeBytes { bytes in
                mosquitto_will_set(handle, will.topic, Int32(bytes.count), bytes.baseAddress, will.qos.rawValue, will.retain)
            }
            try check(rc, "mosquitto_will_set")
        }
        let delays = c.reconnectDelay
        try check(mosquitto_reconnect_delay_set(handle, UInt32(max(1, delays.lowerBound)), UInt32(max(1, delays.upperBound)), true),
                  "mosquitto_reconnect_delay_set")
        try check(mosquitto_max_inflight_messages_set(handle, UInt32(max(0, c.maxInflightMessages))), "mosquitto_max_inflight_messages_set")
    }

    /// Runs `body` with exclusive access to the shared state. Keep it short; never call libmosquitto
    /// or resume a continuation inside it.
    @inline(__always)
    func withState<R>(_ body: (inout State) throws -> R) rethrows -> R {
        pthread_mutex_lock(stateLock)
        defer { pthread_mutex_unlock(stateLock) }
        return try body(&stateStorage)
    }

    deinit {
        pthread_mutex_destroy(stateLock)
        stateLock.deallocate()
    }

    /// Destroys the handle and releases the C side's retain. Only after the loop thread has stopped.
    func destroy() {
        mosquitto_destroy(handle)
        messageContinuation.finish()
        eventContinuation.finish()
        Unmanaged.passUnretained(self).release()
    }
}

extension MosquittoCore {
    /// Shared counters, cheap to bump from the network thread.
    final class Counters: Sendable {
        let received = Atomic<Int>(0)
        let dropped = Atomic<Int>(0)
        let connects = Atomic<Int>(0)
        let disconnects = Atomic<Int>(0)
        /// The network thread's id, so that teardown never joins the thread it runs on.
        let loopThread = Atomic<UInt>(0)
    }

    enum Phase: Sendable, Equatable {
        /// No loop thread: before connect, or after a failed first connect.
        case idle
        /// The loop thread runs and the first CONNACK has not come yet.
        case connecting
        /// Connected at least once; libmosquitto reconnects by itself after a loss.
        case running
        /// Shut down for good.
        case closed
    }

    /// A message id handed out by `submit`, with the number of its submission.
    struct Submission: Sendable, Hashable {
        let mid: Int32
        let number: UInt64
    }

    /// An acknowledgement that came before anyone waited for it.
    struct EarlyAck: Sendable {
        let granted: [Int32]
        /// Held by the submission holding the id: the one already recorded when it came, or, when it came
        /// inside a call's window before the caller's submission was recorded, that caller's once the call
        /// leaves (false until then).
        let owned: Bool
    }

    /// Someone waiting for an acknowledgement (PUBACK/PUBCOMP, SUBACK, UNSUBACK) by message id.
    struct Waiter: Sendable {
        enum Kind: Sendable { case publish, subscribe, unsubscribe }
        let kind: Kind
        let continuation: CheckedContinuation<[Int32], any Error>
    }

    struct State: Sendable {
        var phase = Phase.idle
        var connected = false
        /// Counts connect() calls, so a timer from an earlier attempt cannot end a later one.
        var connectAttempt = 0
        var connectWaiter: CheckedContinuation<Void, any Error>?
        var waiters: [Int32: Waiter] = [:]
        /// Calls inside libmosquitto from outside the network thread (publish, subscribe, …). An ack can
        /// arrive on the network thread inside that window, before the caller knows its id; and shutdown
        /// waits for them to leave before it frees the handle.
        var callsInWindow = 0
        /// Message ids submitted whose caller has not yet registered a waiter (see `submit`), each with the
        /// number of its submission, so that a handle awaited twice, or one whose id libmosquitto has since
        /// reused, is refused instead of taking someone else's acknowledgement.
        var submitted: [Int32: UInt64] = [:]
        var submissions: UInt64 = 0
        /// Acks that arrived before their caller waited: kept for ids in `submitted`, and for any id while a
        /// call is inside the window; the others are dropped when the window empties, so acks nobody waits
        /// for (QoS 0, re-subscriptions) never pile up.
        var earlyAcks: [Int32: EarlyAck] = [:]
        /// Subscriptions to restore on every (re)connect: a clean session forgets them.
        var subscriptions: [(filter: String, qos: MQTTQoS)] = []
    }
}
