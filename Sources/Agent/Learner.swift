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
    /// Sensors seen after the table was full (the first 64 names), for the log.
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
        do {
            header = try parse(payload)
            // Sensors not seen before join the table (when learning every sensor), and the payload is read
            // again to keep their values: rare, a device's first messages.
            if configuration.sensors.isEmpty, !header.unknownSensors.isEmpty {
                let room = Self.maximumSensors - table.count
                let added = header.unknownSensors.prefix(max(0, room))
                for name in header.unknownSensors.dropFirst(added.count) where ignoredSensors.count < Self.maximumSensors {
                    ignoredSensors.insert(name)
                }
                if !added.isEmpty {
                    table = SensorTable(table.names + added)
                    values = Array(repeating: .nan, count: table.count)
                    header = try parse(payload)
                }
            }
        } catch {
            return Rejection(RejectReason(error.reason), error.detail, device: topicDevice)
        }
        let device: String
        switch Detector.device(topicDevice: topicDevice, payloadDevice: header.device) {
        case .success(let named): device = named
        case .failure(let rejection): return rejection
        }
        guard header.valuesPresent > 0 else {
            return Rejection(.noKnownValues, table.names.isEmpty ? "no sensor values" : "none of the sensors \(table.names) has a value", device: device)
        }
        guard readings[device] != nil || readings.count < maximumDevices else {
            return Rejection(.tooManyDevices, "already learning from maximumDevices = \(maximumDevices) devices", device: device)
        }
        // Full: training is due at the next tick; what comes until then is not kept.
        guard messages < Self.maximumReadings else { return nil }
        readings[device, default: []].append(values)
        messages += 1
        return nil
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
        let sensors = configuration.sensors.isEmpty ? table.names.sorted() : configuration.sensors
        let columns = sensors.map { table.slot(for: $0)! }
        let rows = readings.mapValues { list in list.map { reading in columns.map { $0 < reading.count ? reading[$0] : .nan } } }
        let trainer = ModelTrainer(
            sensors: sensors, derived: configuration.derived, window: configuration.window,
            forest: IsolationForest.Configuration(treeCount: configuration.trees, contamination: .fraction(configuration.contamination),
                                                  seed: configuration.seed))
        return try trainer.train(readings: rows)
    }
}
