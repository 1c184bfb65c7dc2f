import Telemetry

/// One device of an emulation: its normal model, its anomalies and its ground truth.
///
/// The normal model always draws the same random numbers whatever the anomalies do, so a reading
/// outside every anomaly window equals the reading of the same seed without anomalies.
struct DeviceEmulator: Sendable {
    let index: Int
    let id: String
    /// Offset of this device's readings within each period, so devices do not report in lockstep.
    let phaseSeconds: Double
    private let sensorNames: [String]
    private let spans: [Double]
    private let rate: Double
    private var model: DeviceModel
    private(set) var planner: AnomalyPlanner
    private var active: [ActiveAnomaly] = []
    private var effectsRandom: SeededRandom
    private var signal: [Double]
    private var noises: [Double]
    /// The last reported value of each sensor that was not missing, for stuck anomalies.
    private var lastValues: [Double]
    private var reading: DeviceReading
    /// Counts ground-truth ids; survives a reset so that ids stay unique.
    private var truthCount = 0
    private(set) var hasReadings = false

    init(index: Int, id: String, configuration: Emulation.Configuration) {
        let sensors = configuration.profile.sensors
        self.index = index
        self.id = id
        var phase = SeededRandom(seed: configuration.seed, .phase(device: index))
        phaseSeconds = phase.uniform() / configuration.rate
        sensorNames = sensors.map(\.name)
        spans = sensors.map(\.span)
        rate = configuration.rate
        model = DeviceModel(profile: configuration.profile, device: index, seed: configuration.seed, stepSeconds: 1 / configuration.rate)
        planner = AnomalyPlanner(scenario: configuration.scenario, device: index, deviceID: id, sensors: sensors,
                                 seed: configuration.seed, rate: configuration.rate, offsetSeconds: configuration.anomalyOffsetSeconds)
        effectsRandom = SeededRandom(seed: configuration.seed, .anomalyEffects(device: index))
        signal = Array(repeating: 0, count: sensors.count)
        noises = signal
        lastValues = Array(repeating: .nan, count: sensors.count)
        reading = DeviceReading(deviceIndex: index, device: id, timestamp: 0, seq: -1, values: signal, isMissing: false,
                                anomalies: [], simulatedSeconds: 0)
    }

    /// Starts over from the seed (model, schedule, anomaly draws), keeping ids and the message counter.
    mutating func restart(configuration: Emulation.Configuration) {
        var fresh = DeviceEmulator(index: index, id: id, configuration: configuration)
        fresh.truthCount = truthCount
        fresh.reading.timestamp = reading.timestamp
        fresh.reading.seq = reading.seq
        fresh.hasReadings = hasReadings
        self = fresh
    }

    /// Produces the next reading.
    mutating func produce(timestamp: Int64, seq: Int64, simulatedSeconds: Double) -> EmulationStep {
        let step = model.step
        reading.timestamp = timestamp
        reading.seq = seq
        reading.simulatedSeconds = simulatedSeconds
        hasReadings = true
        var before: [GroundTruthRecord] = []
        for plan in planner.due(at: step) {
            truthCount += 1
            let anomalyID = "\(id)-gt-\(Self.zeroPadded(truthCount, width: 4))"
            active.append(ActiveAnomaly(plan: plan, id: anomalyID, lastValues: lastValues, rate: rate))
            before.append(record(for: plan, id: anomalyID, state: .start))
        }

        model.advance(levels: &signal, noises: &noises)
        for sensor in signal.indices { signal[sensor] += noises[sensor] }
        var labels = AnomalyKindSet()
        for anomaly in active {
            anomaly.applyToSignal(step: step, values: &signal, spans: spans, random: &effectsRandom)
            labels.insert(AnomalyKindSet(anomaly.plan.kind))
        }
        for sensor in signal.indices { reading.values[sensor] = model.channels[sensor].measure(signal[sensor]) }
        reading.isMissing = false
        for position in active.indices {
            // A stuck sensor with no earlier reading holds the first one it makes.
            if active[position].plan.kind == .stuck {
                for (slot, sensor) in active[position].plan.sensors.enumerated() where active[position].heldValues[slot].isNaN {
                    active[position].heldValues[slot] = reading.values[sensor]
                }
            }
            active[position].applyToReadings(&reading.values)
            if active[position].dropsWholeMessage(sensorCount: signal.count) { reading.isMissing = true }
        }
        reading.anomalies = labels
        if !reading.isMissing {
            for sensor in signal.indices where !reading.values[sensor].isNaN { lastValues[sensor] = reading.values[sensor] }
        }

        var after: [GroundTruthRecord] = []
        if active.contains(where: { $0.plan.lastStep <= step }) {
            for anomaly in active where anomaly.plan.lastStep <= step {
                after.append(record(for: anomaly.plan, id: anomaly.id, state: .end))
            }
            active.removeAll { $0.plan.lastStep <= step }
        }
        return EmulationStep(truthBefore: before, reading: reading, truthAfter: after)
    }

    /// Queues an anomaly that starts with the next reading.
    mutating func inject(_ anomaly: ScriptedAnomaly, sensors: [Int]?) {
        let planned = planner.plan(anomaly, sensors: sensors, at: 0)
        planner.inject(planned)
    }

    /// Ends every active anomaly at the last reading (shutdown, reset, end of a data set).
    mutating func endAll() -> [GroundTruthRecord] {
        defer { active.removeAll() }
        return active.map { record(for: $0.plan, id: $0.id, state: .end) }
    }

    static func zeroPadded(_ number: Int, width: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private func record(for plan: PlannedAnomaly, id anomalyID: String, state: GroundTruthRecord.State) -> GroundTruthRecord {
        GroundTruthRecord(device: id, id: anomalyID, kind: plan.kind.rawValue, state: state,
                          sensors: plan.sensors.map { sensorNames[$0] }, ts: Timestamp(milliseconds: reading.timestamp), seq: reading.seq)
    }
}
