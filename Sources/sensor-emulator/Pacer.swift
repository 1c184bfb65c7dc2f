/// Decides when each reading is sent: in step with emulated time (`speedup` times faster than the
/// wall clock) or as fast as possible.
///
/// Waits are cut into slices of at most 100 ms so that a stop request is noticed quickly even at
/// very low rates, and a reading less than a millisecond ahead of its time is sent at once rather
/// than after a sleep (at high rates, sleeping per message would cost more than it paces).
struct Pacer {
    enum Mode: Sendable, Equatable {
        case paced(speedup: Double)
        case asFastAsPossible
    }

    let mode: Mode
    private var anchorWall: ContinuousClock.Instant
    private var anchorSimulated: Double

    init(mode: Mode, simulatedStart: Double = 0) {
        self.mode = mode
        anchorWall = .now
        anchorSimulated = simulatedStart
    }

    /// The wall-clock speedup, or nil when there is no pacing.
    var speedup: Double? {
        if case .paced(let speedup) = mode { speedup } else { nil }
    }

    /// Sleeps until emulated time `simulated` is due, or until `stop` is requested.
    func wait(until simulated: Double, stop: StopSignal) async {
        guard let speedup else { return }
        let target = anchorWall + .seconds((simulated - anchorSimulated) / speedup)
        while !stop.isRequested {
            let now = ContinuousClock.now
            guard target - now > .milliseconds(1) else { return }
            try? await Task.sleep(until: min(target, now + .milliseconds(100)), clock: .continuous)
        }
    }

    /// Maps emulated time `simulated` to now: after a pause, sending goes on at the normal pace
    /// instead of catching up.
    mutating func reanchor(simulated: Double) {
        anchorWall = .now
        anchorSimulated = simulated
    }
}
