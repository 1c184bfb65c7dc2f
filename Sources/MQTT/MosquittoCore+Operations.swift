import CMosquitto
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension MosquittoCore {
    /// Starts the network thread and waits for the first CONNACK, a refusal, or the timeout.
    func connect() async throws {
        setLogCallback(true)
        let start = withState { state -> Result<Int, MQTTError> in
            switch state.phase {
            case .idle:
                state.phase = .connecting
                state.connectAttempt += 1
                return .success(state.connectAttempt)
            case .closed: return .failure(.shutDown)
            case .connecting, .running:
                return .failure(MQTTError(code: .invalidArgument, operation: "connect", message: "already connecting or connected"))
            }
        }
        let attempt = try start.get()
        do {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    withState { $0.connectWaiter = continuation }
                    // DNS, TCP and the TLS handshake block: keep them off the cooperative pool.
                    BlockingThread.run { self.startNetworkThread(attempt: attempt) }
                    let timeout = configuration.connectTimeout
                    // Weak: a client that connected and shut down must not live on until this timer fires
                    // (its handler and whatever that holds, such as an agent's journal lock, with it).
                    Self.timerQueue.asyncAfter(deadline: .now() + timeout) { [weak self] in
                        guard let self else { return }
                        self.abandonConnect(attempt: attempt, MQTTError(code: .timeout, operation: "connect",
                                                      message: "no CONNACK from \(self.configuration.host):\(self.configuration.port) within \(timeout) s"))
                    }
                }
            } onCancel: {
                self.abandonConnect(attempt: attempt, MQTTError(code: .timeout, operation: "connect", message: "cancelled"))
            }
        } catch {
            await stopNetworkThread()
            withState { if $0.phase == .connecting { $0.phase = .idle } }
            throw error
        }
    }

    /// Connects synchronously (on the blocking queue), then starts the network thread.
    ///
    /// The first connect is blocking on purpose: it reports a refused TCP connection or a failed TLS handshake
    /// as its return value. With `mosquitto_connect_async` a TLS failure ends the network thread without any
    /// callback, and the caller would only see a timeout. CONNACK still arrives through `on_connect`.
    private func startNetworkThread(attempt: Int) {
        let c = configuration
        let rc = mosquitto_connect(handle, c.host, Int32(c.port), Int32(c.keepAlive))
        guard rc == 0 else {
            abandonConnect(attempt: attempt, MQTTError.mosquitto(rc, "mosquitto_connect(\(c.host):\(c.port))"))
            return
        }
        let stillWanted = withState { $0.phase == .connecting && $0.connectAttempt == attempt }
        guard stillWanted else {
            mosquitto_disconnect(handle)  // the caller gave up (timeout, cancellation) while we were connecting
            return
        }
        let loopRC = mosquitto_loop_start(handle)
        if loopRC != 0 { abandonConnect(attempt: attempt, MQTTError.mosquitto(loopRC, "mosquitto_loop_start")) }
    }

    /// Ends a first connect that is still waiting (timeout, cancellation, synchronous failure).
    private func abandonConnect(attempt: Int, _ error: MQTTError) {
        let waiter = withState { state -> CheckedContinuation<Void, any Error>? in
            guard state.phase == .connecting, state.connectAttempt == attempt else { return nil }
            defer { state.connectWaiter = nil }
            return state.connectWaiter
        }
        waiter?.resume(throwing: error)
    }

    /// Joins the network thread, on the blocking queue. `mosquitto_disconnect` must come first, or
    /// `mosquitto_loop_stop(…, false)` waits forever.
    func stopNetworkThread() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            BlockingThread.run {
                mosquitto_disconnect(self.handle)
                mosquitto_loop_stop(self.handle, false)
                continuation.resume()
            }
        }
    }

    /// Sends DISCONNECT, stops the network thread, fails whoever still waits, destroys the handle.
    func shutdown() async {
        guard let stranded = beginShutdown() else { return }
        await stopNetworkThread()
        finishShutdown(stranded)
    }

    /// The same, blocking the calling thread: for `deinit`, where nothing can be awaited.
    func shutdownBlocking() {
        guard let stranded = beginShutdown() else { return }
        let onLoopThread = counters.loopThread.load(ordering: .relaxed) == UInt(bitPattern: Int(bitPattern: UInt(pthread_self())))
        if onLoopThread {
            // The last reference went away inside a callback: the loop thread cannot join itself.
            BlockingThread.run {
                mosquitto_disconnect(self.handle)
                mosquitto_loop_stop(self.handle, false)
                self.finishShutdown(stranded)
            }
        } else {
            mosquitto_disconnect(handle)
            mosquitto_loop_stop(handle, false)
            finishShutdown(stranded)
        }
    }

    private func beginShutdown() -> [any StrandedContinuation]? {
        withState { state -> [any StrandedContinuation]? in
            guard state.phase != .closed else { return nil }
            state.phase = .closed
            var stranded: [any StrandedContinuation] = state.waiters.values.map(\.continuation)
            if let waiter = state.connectWaiter { stranded.append(waiter) }
            state.waiters = [:]
            state.connectWaiter = nil
            return stranded
        }
    }

    private func finishShutdown(_ stranded: [any StrandedContinuation]) {
        waitForCallsToLeave()
        for continuation in stranded { continuation.fail(MQTTError.shutDown) }
        eventContinuation.yield(.disconnected(reason: nil))
        destroy()
    }

    /// Calls libmosquitto with `body` (which returns the rc and fills in the message id) and waits for
    /// the acknowledgement of that id, even if it arrived before `body` returned.
    ///
    /// With `queuedWhileDisconnected`, "not connected" from a QoS 1 or 2 publish is not a failure: libmosquitto
    /// has queued the message under its id and sends it after the reconnect, and the ack completes the wait.
    func awaitAcknowledgement(_ kind: Waiter.Kind, operation: String, queuedWhileDisconnected: Bool = false,
                              _ body: (inout Int32) -> Int32) async throws -> [Int32] {
        let submission = try submit(operation: operation, queuedWhileDisconnected: queuedWhileDisconnected, body)
        return try await awaitAcknowledgement(kind, of: submission)
    }

    /// The first half: calls libmosquitto and returns the message id, whose acknowledgement is kept for
    /// `awaitAcknowledgement(_:of:)`. Every id returned must be awaited or `abandon`ed.
    func submit(operation: String, queuedWhileDisconnected: Bool = false, _ body: (inout Int32) -> Int32) throws -> Submission {
        var mid: Int32 = 0
        try enterCall()
        let rc = body(&mid)
        let queued = queuedWhileDisconnected && rc == Int32(MOSQ_ERR_NO_CONN.rawValue) && mid != 0
        let submission = leaveCall(submitted: rc == 0 || queued ? mid : nil)
        guard let submission else { throw MQTTError.mosquitto(rc, operation) }
        return submission
    }

    /// Runs a libmosquitto call on the handle from outside the network thread, unless the client is shut
    /// down: shutdown waits for the calls inside before it frees the handle.
    func call<T>(_ body: () -> T) throws(MQTTError) -> T {
        try enterCall()
        defer { _ = leaveCall(submitted: nil) }
        return body()
    }

    private func enterCall() throws(MQTTError) {
        let entered = withState { state -> Bool in
            guard state.phase != .closed else { return false }
            state.callsInWindow += 1
            return true
        }
        guard entered else { throw MQTTError.shutDown }
    }

    private func leaveCall(submitted mid: Int32?) -> Submission? {
        withState { state in
            var submission: Submission?
            if let mid {
                // An ack already kept for an earlier submission of this id is that one's: a handle dropped
                // without a wait or `abandon`, whose id libmosquitto has now given out again.
                if state.earlyAcks[mid]?.owned == true { state.earlyAcks[mid] = nil }
                state.submissions += 1
                state.submitted[mid] = state.submissions
                submission = Submission(mid: mid, number: state.submissions)
                // One that came inside this call's window is this submission's: owned from now on, so that it
                // is not lent to the next holder of the id either.
                if let early = state.earlyAcks[mid] { state.earlyAcks[mid] = EarlyAck(granted: early.granted, owned: true) }
            }
            state.callsInWindow -= 1
            // Acks that came inside the window for ids nobody holds (QoS 0, re-subscriptions) are dropped.
            if state.callsInWindow == 0, !state.earlyAcks.isEmpty {
                state.earlyAcks = state.earlyAcks.filter { state.submitted[$0.key] != nil }
            }
            return submission
        }
    }

    /// Blocks until no call is inside libmosquitto (they are short: a lock and a queue append). Only after
    /// the client is closed, so that none can start.
    func waitForCallsToLeave() {
        while withState({ $0.callsInWindow }) > 0 { usleep(50) }
    }

    /// The second half: waits for the acknowledgement of a submission, or takes it if it came already. Once
    /// per submission: a second wait, or one after `abandon`, fails at once.
    func awaitAcknowledgement(_ kind: Waiter.Kind, of submission: Submission) async throws -> [Int32] {
        let mid = submission.mid
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[Int32], any Error>) in
                let early = withState { state -> Result<[Int32], MQTTError>? in
                    guard state.submitted[mid] == submission.number else {
                        return .failure(MQTTError(code: .invalidArgument, operation: "acknowledgement(of: message \(mid))",
                                                  message: "this message's acknowledgement was already awaited or abandoned"))
                    }
                    state.submitted[mid] = nil
                    if let early = state.earlyAcks.removeValue(forKey: mid) { return .success(early.granted) }
                    // Shut down after the submit: nobody would ever resume this waiter.
                    if state.phase == .closed { return .failure(.shutDown) }
                    state.waiters[mid] = Waiter(kind: kind, continuation: continuation)
                    return nil
                }
                if let early { continuation.resume(with: early) }
            }
        } onCancel: {
            let waiter = self.withState { $0.waiters.removeValue(forKey: mid) }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Gives up on the acknowledgement of a submission without waiting for it; nothing if it was already
    /// awaited or abandoned.
    func abandon(_ submission: Submission) {
        withState { state in
            guard state.submitted[submission.mid] == submission.number else { return }
            state.submitted[submission.mid] = nil
            state.earlyAcks[submission.mid] = nil
        }
    }
}

/// A continuation of any result type that shutdown can fail.
protocol StrandedContinuation: Sendable {
    func fail(_ error: any Error)
}

extension CheckedContinuation: StrandedContinuation where E == any Error {
    func fail(_ error: any Error) { resume(throwing: error) }
}
