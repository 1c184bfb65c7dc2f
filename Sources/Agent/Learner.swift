import Detection
import Foundation
import IsolationForest
import Telemetry

/// Learn mode: collects normal telemetry per device for a while, then trains a model with the same
/// feature code the detector uses. Runs before there is a model, so speed matters less than clarity.
struct Learner: Sendable {
    let configuration: AgentConfiguration.Learn
    let startedAt: ContinuousClock.Instant
    private var readings: [String: [[String: Double]]] = [:]
    private(set) var messages = 0

    init(configuration: AgentConfiguration.Learn, startedAt: ContinuousClock.Instant = .now) {
        self.configuration = configuration
        self.startedAt = startedAt
    }

    var isDue: Bool { ContinuousClock.now - startedAt >= .seconds(configuration.seconds) }

    /// Keeps one message; refuses what the detector would refuse.
    mutating func collect(payload: [UInt8], topicDevice: String?) -> Rejection? {
        let message: TelemetryMessage
        do {
            message = try JSONDecoder().decode(TelemetryMessage.self, from: Data(payload))
        } catch {
            return Rejection(.malformedJSON, "not a telemetry message: \(error)", device: topicDevice)
        }
        guard let device = topicDevice ?? message.device, TopicLevel.problem(with: device) == nil else {
            return Rejection(.invalidDevice, "no valid device id", device: topicDevice)
        }
        var values: [String: Double] = [:]
        for (sensor, value) in message.values {
            if let value, value.isFinite { values[sensor] = value }
        }
        readings[device, default: []].append(values)
        messages += 1
        return nil
    }

    /// Trains on what was collected.
    func train() throws(DetectionError) -> AnomalyModel {
        let sensors = configuration.sensors.isEmpty
            ? Array(Set(readings.values.flatMap { $0.flatMap(\.keys) })).sorted()
            : configuration.sensors
        guard !sensors.isEmpty else { throw DetectionError("learn mode saw no sensor values in \(messages) messages") }
        let rows = readings.mapValues { list in list.map { reading in sensors.map { reading[$0] ?? .nan } } }
        let trainer = ModelTrainer(
            sensors: sensors, derived: configuration.derived, window: configuration.window,
            forest: IsolationForest.Configuration(treeCount: configuration.trees, contamination: .fraction(configuration.contamination),
                                                  seed: configuration.seed))
        return try trainer.train(readings: rows)
    }
}
