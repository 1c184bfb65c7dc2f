import Synchronization

/// Awaited publishes in flight, and a way for the run loop to wait for room without polling: the
/// loop suspends until an ack frees a slot, or until `wake()` (the connection dropped, so waiting
/// for acks would stall the loop for the whole outage).
final class AckWindow: Sendable {
    private struct State {
        var outstanding = 0
        var waiter: (limit: Int, continuation: CheckedContinuation<Void, Never>)?
        /// Counts `wake()` calls, so a wake between the caller's check and its suspension is not lost.
        var wakeups = 0
    }

    private let state = Mutex(State())

    var outstanding: Int { state.withLock { $0.outstanding } }
    var wakeups: Int { state.withLock { $0.wakeups } }

    func add() { state.withLock { $0.outstanding += 1 } }

    func remove() {
        let ready = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.outstanding -= 1
            guard let waiter = state.waiter, state.outstanding < waiter.limit else { return nil }
            state.waiter = nil
            return waiter.continuation
        }
        ready?.resume()
    }

    /// Returns when fewer than `limit` publishes are in flight, or when `wake()` was called after the
    /// caller read `wakeups` as `generation`.
    func waitForRoom(below limit: Int, generation: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.outstanding < limit || state.wakeups != generation { return true }
                state.waiter = (limit, continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Lets a waiting loop go on (called when the connection drops).
    func wake() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.wakeups += 1
            defer { state.waiter = nil }
            return state.waiter?.continuation
        }
        waiter?.resume()
    }
}
