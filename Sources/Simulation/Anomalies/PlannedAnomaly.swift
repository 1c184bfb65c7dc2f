/// An anomaly fixed to one device's steps: what, where, when, how strong.
struct PlannedAnomaly: Sendable, Hashable {
    var kind: AnomalyKind
    /// Indices into the profile's sensors; for a correlation break the first one moves.
    var sensors: [Int]
    /// The device step of the first affected reading, and how many readings are affected.
    var startStep: Int
    var steps: Int
    /// A signed fraction of each sensor's span.
    var magnitude: Double
    /// Oscillation period in steps.
    var periodSteps: Double

    var lastStep: Int { startStep + steps - 1 }

    /// Converts seconds to steps at `rate` readings per second: the anomaly covers every reading at
    /// or after `at` for `duration` seconds, and at least one reading.
    init(kind: AnomalyKind, sensors: [Int], at: Double, duration: Double, magnitude: Double, periodSeconds: Double?, rate: Double) {
        self.kind = kind
        self.sensors = sensors
        startStep = Int((at * rate - 1e-9).rounded(.up))
        steps = max(1, Int((duration * rate).rounded()))
        self.magnitude = magnitude
        // At least four readings per period, or the oscillation would alias into something else.
        periodSteps = max(4, (periodSeconds ?? AnomalyKind.defaultPeriodSeconds) * rate)
    }
}

/// An anomaly under way on a device: the plan, its ground-truth id, and what it holds on to.
struct ActiveAnomaly: Sendable {
    let plan: PlannedAnomaly
    let id: String
    /// Stuck: the readings the sensors repeat (the last good ones).
    var heldValues: [Double]
    /// Correlation break: the moving sensor eases in over this many steps, as a real current would.
    let easeInSteps: Double

    init(plan: PlannedAnomaly, id: String, lastValues: [Double], rate: Double) {
        self.plan = plan
        self.id = id
        heldValues = plan.sensors.map { lastValues[$0] }
        easeInSteps = max(1, min(Double(plan.steps) * 0.2, 30 * rate))
    }

    /// Whether every sensor of the device is dropped, which makes the whole message go missing.
    func dropsWholeMessage(sensorCount: Int) -> Bool { plan.kind == .dropout && plan.sensors.count == sensorCount }
}
