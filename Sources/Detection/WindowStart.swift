import Telemetry

/// The timestamps of one device's last `window` messages, for the oldest of them: where the rolling
/// window of the latest message begins. A rolling mean crosses its limit some messages after the change
/// that moved it, so that is where an event's onset can lie at the earliest (`AnomalyEvent.onsetAt`).
struct WindowStart: Sendable {
    private var times: [Int64]
    private var next = 0
    private var count = 0

    init(window: Int) {
        times = [Int64](repeating: 0, count: max(1, window))
    }

    /// Records the latest message and returns the oldest message's timestamp in the window it closes.
    mutating func push(_ ts: Timestamp) -> Timestamp {
        times[next] = ts.milliseconds
        next = next + 1 == times.count ? 0 : next + 1
        count = min(count + 1, times.count)
        return Timestamp(milliseconds: times[count == times.count ? next : 0])
    }
}
