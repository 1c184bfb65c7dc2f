import Agent
import Detection
import Foundation
import IsolationForest
import Logging
import MQTT
import Synchronization
import Telemetry

/// One SKAB file end to end: its rows published as telemetry through a broker, scored by a real
/// `AgentService` (in this process, on its own MQTT connection); the anomaly events a separate
/// subscriber receives come back.
struct SKABOverMQTT {
    let port: Int
    let detection: DetectorConfiguration

    /// Every anomaly event message the agent published about `table`, as received.
    func events(table: TelemetryTable, model: AnomalyModel, device: String) async throws -> [AnomalyEvent] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skab-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let modelPath = directory.appendingPathComponent("\(device).json").path
        try model.write(toFile: modelPath)
        // The model, the journal and its lock file go with the folder.
        defer { try? FileManager.default.removeItem(at: directory) }

        var configuration = AgentConfiguration()
        configuration.agent = "skab"
        configuration.broker.port = port
        configuration.broker.telemetryQoS = 1
        configuration.model.path = modelPath
        configuration.model.watchSeconds = 0
        // A journal per file, like the agent each file gets.
        configuration.store.path = directory.appendingPathComponent("\(device)-journal.jsonl").path
        configuration.http.enabled = false
        configuration.detection = detection
        configuration.detection.maximumPayloadBytes = 65_536
        var logger = Logger(label: "skab")
        logger.logLevel = .error
        let agent = try AgentService(configuration: configuration, logger: logger)
        let running = Task { try await agent.run() }

        let events = Mutex<[AnomalyEvent]>([])
        var listen = MQTTConfiguration(port: port, clientID: "skab-events-\(getpid())")
        listen.delivery = .handler
        let listener = try MQTTClient(configuration: listen) { message in
            if let event = try? JSONDecoder().decode(AnomalyEvent.self, from: Data(message.payload)) { events.withLock { $0.append(event) } }
        }
        try await listener.connect()
        try await listener.subscribe("alerts/\(device)/anomaly", qos: .atLeastOnce)
        let publisher = try MQTTClient(configuration: MQTTConfiguration(port: port, clientID: "skab-replay-\(getpid())"))
        try await publisher.connect()
        while agent.mqttStatistics.connects == 0 { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(200))  // subscribed

        for (index, row) in table.rows.enumerated() {
            let values = zip(table.sensors, row.values).map { name, value in "\(jsonString(name)):\(value.isFinite ? "\(value)" : "null")" }
            let payload = "{\"ts\":\(row.ts),\"seq\":\(index),\"values\":{\(values.joined(separator: ","))}}"
            // QoS 1 end to end: the broker neither drops nor reorders; awaiting every 100th bounds the backlog.
            if index % 100 == 99 {
                try await publisher.publish("sensors/\(device)/telemetry", payload: Array(payload.utf8), qos: .atLeastOnce)
            } else {
                try publisher.publishWithoutWaiting("sensors/\(device)/telemetry", payload: Array(payload.utf8), qos: .atLeastOnce)
            }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while agent.counters.received < table.rows.count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let opened = agent.counters.eventsOpened
        while events.withLock({ $0.count { $0.state == .open } }) < opened && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .milliseconds(200))  // the last closed events
        agent.shutdown()
        try await running.value
        await publisher.shutdown()
        await listener.shutdown()
        return events.withLock { $0 }
    }

    private func jsonString(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
