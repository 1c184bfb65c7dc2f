/// One device's load over time: idle, start-up, steady loads joined by ramps, shutdowns.
///
/// Transitions are smooth (smoothstep), as a drive's speed controller would make them. Durations and
/// levels come from the device's own random stream, so every device has its own history.
struct OperatingCycle: Sendable {
    enum Phase: Sendable { case idle, startup, steady, ramp, shutdown }

    private let spec: OperationSpec
    private var random: SeededRandom
    private(set) var phase: Phase
    private var from: Double
    private var to: Double
    private var start: Double
    private var end: Double

    init(spec: OperationSpec, random: SeededRandom) {
        self.spec = spec
        self.random = random
        phase = .idle
        from = spec.idleLoad
        to = spec.idleLoad
        start = 0
        end = 0
        end = draw(spec.initialIdleSeconds)
    }

    /// The load at model time `t` (seconds, non-decreasing between calls), with process noise.
    mutating func load(at t: Double) -> Double {
        while t >= end { enterNextPhase() }
        let progress = (t - start) / (end - start)
        let eased = progress * progress * (3 - 2 * progress)
        let base = from + (to - from) * eased
        let jitter = spec.loadNoise * base * random.truncatedGaussian()
        return min(max(base + jitter, 0), 1)
    }

    private mutating func enterNextPhase() {
        start = end
        from = to
        switch phase {
        case .idle:
            phase = .startup
            to = draw(spec.loadLevels)
            end = start + draw(spec.startupSeconds)
        case .startup, .ramp:
            phase = .steady
            end = start + draw(spec.steadySeconds)
        case .steady:
            if random.uniform() < spec.idleProbability {
                phase = .shutdown
                to = spec.idleLoad
            } else {
                phase = .ramp
                to = draw(spec.loadLevels)
            }
            end = start + draw(spec.rampSeconds)
        case .shutdown:
            phase = .idle
            end = start + draw(spec.idleSeconds)
        }
        // A zero-length phase (possible only for the initial idle) must still move time on.
        if end <= start { end = start + 1e-9 }
    }

    private mutating func draw(_ range: ClosedRange<Double>) -> Double { random.uniform(range) }
}
