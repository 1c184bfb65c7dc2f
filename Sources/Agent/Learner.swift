import Detection
import Foundation
import IsolationForest
import Telemetry

/// Learn mode: collects normal telemetry per device for a while, then trains a model with the same
/// feature code the detector uses. It reads payloads with the detector's parser and device rules, so it
/// refuses exactly what the detector would refuse, at the detector's speed.
struct Learner: Sendable {
    let configuration: AgentConfiguration.Learn
    let startedAt: ContinuousClock.Instant
    /// The configured sensors, or every sensor seen so far in the order first seen.
    private var table: SensorTable
    /// Per device, its readings in arrival order, one value per sensor of `table` when the reading came
    /// (a sensor first seen later is missing, NaN, in earlier readings).
    private var readings: [String: [[Double]]] = [:]
    private var values: [Double]
    private let maximumPayloadBytes: Int
    private let maximumDevices: Int
    private(set) var messages = 0
    /// Readings kept at most (about 64 bytes each with four sensors): learning is due when they are in,
    /// however long `seconds` is, so a busy plant cannot fill the gateway's memory before training.
    static let maximumReadings = 500_000
    /// Sensors learned at most when learning every sensor seen: a device has a dozen, and every reading
    /// keeps a value per sensor, so a publisher inventing names must not grow each reading without bound.
    static let maximumSensors = 64
    /// When learning every sensor seen, a name joins in the `admission`th message of a device to carry it,
    /// within `admissionMessages` of that device's messages: a real sensor comes in every message (or, for
    /// a device that sends one sensor per message, in every tenth or so), while one garbled payload full of
    /// invented names must not take the real ones' places. At most `maximumCandidates` names wait per device.
    static let admission = 3
    static let admissionMessages = 32
    static let maximumCandidates = 16
    /// Devices learned from or with names waiting: at most `maximumDevices`, so waiting names are bounded too.
    private var devices: Set<String> = []
    /// Per device, the names it sent that are not learned yet: how often, and since which of its messages.
    private var candidates: [String: SensorCandidates] = [:]
    /// Names not learned (beyond the first 64, or not repeated enough), at most 64 of them, for the log.
    private(set) var ignoredSensors: Set<String> = []

    /// - Parameter detection: the detector's limits (payload size, devices), which learn mode applies too.
    init(configuration: AgentConfiguration.Learn, detection: DetectorConfiguration = DetectorConfiguration(),
         startedAt: ContinuousClock.Instant = .now) {
        self.configuration = configuration
        self.startedAt = startedAt
        maximumPayloadBytes = detection.maximumPayloadBytes
        maximumDevices = detection.maximumDevices
        table = SensorTable(configuration.sensors)
        values = Array(repeating: .nan, count: configuration.sensors.count)
    }

    /// The sensors being learned, in the order first seen (or as configured).
    var sensors: [String] { table.names }

    var isDue: Bool { messages >= Self.maximumReadings || ContinuousClock.now - startedAt >= .seconds(configuration.seconds) }

    /// Keeps one message; refuses what the detector would refuse.
    mutating func collect(payload: [UInt8], topicDevice: String?) -> Rejection? {
        guard payload.count <= maximumPayloadBytes else {
            return Rejection(.oversized, "payload of \(payload.count) bytes exceeds maximumPayloadBytes \(maximumPayloadBytes)", device: topicDevice)
        }
        var header: TelemetryParser.Header
        do { header = try parse(payload) } catch { return Rejection(RejectReason(error.reason), error.detail, device: topicDevice) }
        let device: String
        switch Detector.device(topicDevice: topicDevice, payloadDevice: header.device) {
        case .success(let named): device = named
        case .failure(let rejection): return rejection
        }
        let hasRoom = devices.contains(device) || devices.count < maximumDevices
        // Sensors not seen before join the table (when learning every sensor) once repeated, and the payload
        // is read again to keep their values: rare, a device's first messages. A device refused for the
        // device limit changes nothing.
        var waiting = false
        if configuration.sensors.isEmpty, hasRoom, !header.unknownSensors.isEmpty || candidates[device] != nil {
            devices.insert(device)
            let admitted = admit(header.unknownSensors, device: device)
            waiting = admitted.waiting
            if !admitted.added.isEmpty {
                table = SensorTable(table.names + admitted.added)
                values = Array(repeating: .nan, count: table.count)
                do { header = try parse(payload) } catch { return Rejection(RejectReason(error.reason), error.detail, device: device) }
            }
        }
        // Only names still waiting to be learned: nothing to keep yet, and nothing wrong either.
        if header.valuesPresent == 0, waiting { return nil }
        guard header.valuesPresent > 0 else {
            return Rejection(.noKnownValues, table.names.isEmpty ? "no sensor values" : "none of the sensors \(table.names) has a value", device: device)
        }
        guard hasRoom else {
            return Rejection(.tooManyDevices, "already learning from maximumDevices = \(maximumDevices) devices", device: device)
        }
        devices.insert(device)
        // Full: training is due at the next tick; what comes until then is not kept.
        guard messages < Self.maximumReadings else { return nil }
        readings[device, default: []].append(values)
        messages += 1
        return nil
    }

    /// Counts one message of `device` and its unknown names; returns those that join the table now, and
    /// whether any of them is still waiting.
    private mutating func admit(_ names: [String], device: String) -> (added: [String], waiting: Bool) {
        var pending = candidates[device] ?? SensorCandidates()
        pending.messages += 1
        for (name, seen) in pending.names {
            if table.names.contains(name) {
                pending.names[name] = nil  // another device's messages taught it meanwhile
            } else if pending.messages - seen.since >= Self.admissionMessages {
                pending.names[name] = nil  // not repeated in time: a one-off
                ignore(name)
            }
        }
        var added: [String] = []
        for name in names {
            guard table.count + added.count < Self.maximumSensors else {
                ignore(name)
                continue
            }
            if let seen = pending.names[name] {
                if seen.count + 1 >= Self.admission {
                    pending.names[name] = nil
                    ignoredSensors.remove(name)  // it waited once for want of room; learned now
                    added.append(name)
                } else {
                    pending.names[name] = (seen.count + 1, seen.since)
                }
            } else if pending.names.count < Self.maximumCandidates {
                pending.names[name] = (1, pending.messages)
            } else {
                ignore(name)
            }
        }
        let waiting = names.contains { pending.names[$0] != nil }
        candidates[device] = pending.names.isEmpty ? nil : pending
        return (added, waiting)
    }

    private mutating func ignore(_ name: String) {
        if ignoredSensors.count < Self.maximumSensors { ignoredSensors.insert(name) }
    }

    private mutating func parse(_ payload: [UInt8]) throws(TelemetryParseError) -> TelemetryParser.Header {
        for index in values.indices { values[index] = .nan }
        let table = self.table
        return try payload.withUnsafeBytes { bytes in
            Result { () throws(TelemetryParseError) in try TelemetryParser().parse(bytes, values: &values) { table.slot(for: $0) } }
        }.get()
    }

    /// Trains on what was collected.
    func train() throws(DetectionError) -> AnomalyModel {
        guard !table.names.isEmpty else { throw DetectionError("learn mode saw no sensor values in \(messages) messages") }
        // The model's sensors in name order (as before); readings from before a sensor was first seen lack it.
        // A name seen only ever without a number (null) is no sensor to learn: training would refuse it,
        // and learning would start over for ever.
        var numeric = [Bool](repeating: false, count: table.count)
        if configuration.sensors.isEmpty {
            for reading in readings.values.joined() {
                for (slot, value) in reading.enumerated() where value.isFinite { numeric[slot] = true }
            }
        }
        let sensors = configuration.sensors.isEmpty ? table.names.indices.filter { numeric[$0] }.map { table.names[$0] }.sorted()
                                                     : configuration.sensors
        guard !sensors.isEmpty else { throw DetectionError("learn mode saw no sensor with a number in \(messages) messages") }
        let columns = sensors.map { table.slot(for: $0)! }
        let rows = readings.mapValues { list in list.map { reading in columns.map { $0 < reading.count ? reading[$0] : .nan } } }
        let trainer = ModelTrainer(
            sensors: sensors, derived: configuration.derived, window: configuration.window,
            forest: IsolationForest.Configuration(treeCount: configuration.trees, contamination: .fraction(configuration.contamination),
                                                  seed: configuration.seed))
        return try trainer.train(readings: rows)
    }
}

/// One device's names waiting to be learned (`Learner.admission`).
struct SensorCandidates: Sendable {
    /// The device's messages since a name of it began to wait.
    var messages = 0
    var names: [String: (count: Int, since: Int)] = [:]
}
