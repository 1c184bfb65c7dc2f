/// Decides when one device's anomalies start: the scripted ones of the scenario, a random schedule
/// drawn lazily (so a run can last forever), and anomalies injected by a control command.
///
/// Random anomalies never overlap a scripted one or each other on the same device, and keep
/// `minimumGapSeconds` of normal data between them, so each is a separate event.
struct AnomalyPlanner: Sendable {
    private let rate: Double
    private let chooser: SensorChooser
    /// The same, limited to the sensors the random schedule may touch.
    private let randomChooser: SensorChooser
    private let random: RandomAnomalies?
    private var scheduleRandom: SeededRandom
    private var choiceRandom: SeededRandom
    private var scripted: [PlannedAnomaly]
    private var nextScripted = 0
    private var injected: [PlannedAnomaly] = []
    private var upcoming: PlannedAnomaly?
    /// The earliest step at which the next random anomaly may start.
    private var earliest: Int
    private let gapSteps: Int

    /// - Parameters:
    ///   - offsetSeconds: where the anomalous span starts in the device's time (scenario times count from here).
    init(scenario: Scenario?, device: Int, deviceID: String, sensors: [SensorSpec], seed: UInt64, rate: Double, offsetSeconds: Double) {
        self.rate = rate
        chooser = SensorChooser(sensors: sensors)
        randomChooser = SensorChooser(sensors: sensors, eligible: scenario?.random?.sensors)
        random = scenario?.random
        scheduleRandom = SeededRandom(seed: seed, .schedule(device: device))
        choiceRandom = SeededRandom(seed: seed, .scriptedChoices(device: device))
        gapSteps = Int(((random?.minimumGapSeconds ?? 0) * rate).rounded())
        earliest = Int((((random?.warmUpSeconds ?? 0) + offsetSeconds) * rate).rounded(.up))
        scripted = []
        for anomaly in scenario?.anomalies ?? [] where anomaly.device == deviceID {
            let indices = anomaly.sensors.map { names in names.compactMap { name in sensors.firstIndex { $0.name == name } } }
            scripted.append(plan(anomaly, sensors: indices, at: anomaly.at + offsetSeconds))
        }
        scripted.sort { $0.startStep < $1.startStep }
    }

    /// Turns a scripted or injected anomaly into steps, drawing sensors when none are named.
    mutating func plan(_ anomaly: ScriptedAnomaly, sensors: [Int]?, at: Double) -> PlannedAnomaly {
        let chosen = sensors ?? chooser.choose(for: anomaly.kind, random: &choiceRandom)
        return PlannedAnomaly(kind: anomaly.kind, sensors: chosen, at: at, duration: anomaly.resolvedDuration,
                              magnitude: anomaly.magnitude ?? anomaly.kind.defaultMagnitude, periodSeconds: anomaly.period, rate: rate)
    }

    /// Queues an anomaly that starts with the device's next reading.
    mutating func inject(_ anomaly: PlannedAnomaly) { injected.append(anomaly) }

    /// The anomalies whose first reading is device step `step`.
    mutating func due(at step: Int) -> [PlannedAnomaly] {
        var starting: [PlannedAnomaly] = []
        if !injected.isEmpty {
            for var anomaly in injected {
                anomaly.startStep = step
                starting.append(anomaly)
            }
            injected.removeAll()
        }
        while nextScripted < scripted.count, scripted[nextScripted].startStep <= step {
            var anomaly = scripted[nextScripted]
            anomaly.startStep = step
            starting.append(anomaly)
            nextScripted += 1
        }
        if random != nil {
            if upcoming == nil { upcoming = drawRandom() }
            if let next = upcoming, next.startStep <= step {
                starting.append(next)
                earliest = next.lastStep + 1 + gapSteps
                upcoming = nil
            }
        }
        return starting
    }

    /// The next random anomaly after `earliest`, moved past any scripted anomaly it would touch.
    private mutating func drawRandom() -> PlannedAnomaly? {
        guard let random else { return nil }
        let kinds = AnomalyKind.allCases.filter { (random.kinds[$0] ?? 0) > 0 && randomChooser.supports($0) }
        guard !kinds.isEmpty else { return nil }
        let total = kinds.reduce(0) { $0 + random.kinds[$1]! }
        var pick = scheduleRandom.uniform() * total
        var kind = kinds[kinds.count - 1]
        for candidate in kinds {
            pick -= random.kinds[candidate]!
            if pick < 0 {
                kind = candidate
                break
            }
        }
        let wait = scheduleRandom.exponential(mean: random.meanIntervalSeconds - random.minimumGapSeconds)
        let duration = scheduleRandom.uniform(random.duration(of: kind))
        var magnitude = random.magnitude(of: kind) * scheduleRandom.uniform(0.8...1.2)
        if kind.hasRandomSign, scheduleRandom.uniform() < 0.5 { magnitude = -magnitude }
        let period = AnomalyKind.defaultPeriodSeconds * scheduleRandom.uniform(0.7...1.5)
        let sensors = randomChooser.choose(for: kind, random: &scheduleRandom)
        var planned = PlannedAnomaly(kind: kind, sensors: sensors, at: 0, duration: duration, magnitude: magnitude,
                                     periodSeconds: period, rate: rate)
        planned.startStep = earliest + Int((wait * rate).rounded())
        var moved = true
        while moved {
            moved = false
            for other in scripted[nextScripted...]
            where planned.startStep - gapSteps <= other.lastStep && other.startStep <= planned.lastStep + gapSteps {
                planned.startStep = other.lastStep + 1 + gapSteps
                moved = true
            }
        }
        return planned
    }
}

/// Picks the sensors an anomaly affects when nobody named them.
struct SensorChooser: Sendable {
    /// Every sensor of the device (a whole-message dropout takes them all).
    let count: Int
    /// The sensors that may be picked.
    let eligible: [Int]
    /// The preferred pair for a correlation break: current, then temperature, when both are eligible.
    let correlationPair: [Int]?

    init(sensors: [SensorSpec], eligible names: [String]? = nil) {
        count = sensors.count
        let eligible = names.map { names in sensors.indices.filter { names.contains(sensors[$0].name) } } ?? Array(sensors.indices)
        self.eligible = eligible
        if let current = eligible.first(where: { sensors[$0].model == .current }),
           let temperature = eligible.first(where: { sensors[$0].model == .temperature }) {
            correlationPair = [current, temperature]
        } else {
            correlationPair = nil
        }
    }

    func supports(_ kind: AnomalyKind) -> Bool { !eligible.isEmpty && (kind != .correlationBreak || eligible.count >= 2) }

    func choose(for kind: AnomalyKind, random: inout SeededRandom) -> [Int] {
        switch kind {
        case .correlationBreak:
            if let correlationPair { return correlationPair }
            guard eligible.count >= 2 else { return [eligible[0]] }
            let first = random.index(below: eligible.count)
            let second = (first + 1 + random.index(below: eligible.count - 1)) % eligible.count
            return [eligible[first], eligible[second]]
        case .dropout:
            // Half of all dropouts lose the whole message (a gap in seq), half a single sensor (null).
            return random.uniform() < 0.5 ? Array(0..<count) : [eligible[random.index(below: eligible.count)]]
        default:
            return [eligible[random.index(below: eligible.count)]]
        }
    }
}
