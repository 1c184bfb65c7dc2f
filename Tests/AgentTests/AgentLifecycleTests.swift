@testable import Agent
import Foundation
import Logging
import MQTT
import MQTTTesting
import Synchronization
import Testing

@Suite("Agent lifecycle in one process")
struct AgentLifecycleTests {
    /// An agent on `port` with `model`, its journal in `directory`, no dashboard.
    static func configuration(port: Int, model: URL, directory: URL) -> AgentConfiguration {
        var configuration = AgentConfiguration()
        configuration.broker.port = port
        configuration.model.path = model.path
        configuration.store.path = directory.appendingPathComponent("journal.jsonl").path
        configuration.http.enabled = false
        return configuration
    }

    @Test("An agent that ran and stopped lets go of everything, its journal lock included, so the next one can start at once")
    func releasedAfterRun() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try writeModel(in: directory)
        try await MosquittoBroker.with { broker in
            let configuration = Self.configuration(port: broker.port, model: model, directory: directory)
            var logger = Logger(label: "lifecycle")
            logger.logLevel = .error
            weak var released: EventJournal?
            do {
                let agent = try AgentService(configuration: configuration, logger: logger)
                released = agent.outbox.journal
                let running = Task { try await agent.run() }
                try await eventually(10, "connected") { agent.mqttStatistics.connects > 0 }
                agent.shutdown()
                try await running.value
            }
            // The MQTT client's connect timer (10 s) used to keep the client, its handler and the journal alive.
            // The last release may still be finishing on another thread: the lock is free within moments.
            try await eventually(5, "the journal released and its lock free") {
                released == nil && (try? EventJournal(path: configuration.store.path)) != nil
            }
        }
    }

    @Test("An agent started while the broker is down keeps trying, connects when it comes up, and keeps running")
    func waitsForBroker() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try writeModel(in: directory)
        let broker = try await MosquittoBroker.start()
        defer { broker.stop() }
        broker.stop()
        var configuration = Self.configuration(port: broker.port, model: model, directory: directory)
        configuration.broker.reconnectMinSeconds = 1
        configuration.broker.reconnectMaxSeconds = 2
        var logger = Logger(label: "waits")
        logger.logLevel = .critical
        let agent = try AgentService(configuration: configuration, logger: logger)
        let finished = Mutex(false)
        let running = Task {
            defer { finished.withLock { $0 = true } }
            try await agent.run()
        }
        // Three failed tries (1 s, 2 s, 2 s apart): it used to give up after the second, with exit status 0.
        try await Task.sleep(for: .seconds(4))
        #expect(!finished.withLock { $0 }, "the agent gave up while the broker was down")
        try await broker.restart()
        try await eventually(10, "connected") { agent.mqttStatistics.connects > 0 }
        try await Task.sleep(for: .seconds(1))
        #expect(!finished.withLock { $0 }, "the agent stopped after connecting")
        agent.shutdown()
        try await running.value
    }

    @Test("A model file the agent cannot use is named in the error, so it is not mistaken for the configuration file")
    func brokenModelNamed() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("model.json")
        try Data("hello".utf8).write(to: model)
        var configuration = AgentConfiguration()
        configuration.model.path = model.path
        configuration.store.path = directory.appendingPathComponent("journal.jsonl").path
        let error = #expect(throws: ModelFileProblem.self) { try AgentService(configuration: configuration, logger: Logger(label: "broken")) }
        #expect(error?.description.hasPrefix("model file \(model.path): ") == true, "\(String(describing: error))")
    }

    @Test("Telemetry that matches none of the model's sensors is said in the log once, not only on the errors topic")
    func sensorMismatchLogged() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try writeModel(in: directory)
        try await MosquittoBroker.with { broker in
            var configuration = Self.configuration(port: broker.port, model: model, directory: directory)
            configuration.health.intervalSeconds = 1
            let lines = LogLines()
            let agent = try AgentService(configuration: configuration, logger: Logger(label: "mismatch") { _ in lines })
            let running = Task { try await agent.run() }
            try await eventually(10, "connected") { agent.mqttStatistics.connects > 0 }
            var configurationOfSender = MQTTConfiguration(host: broker.host, port: broker.port, clientID: "sender-\(UUID().uuidString.prefix(6))")
            configurationOfSender.connectTimeout = 5
            let sender = try MQTTClient(configuration: configurationOfSender)
            try await sender.connect()
            for index in 0..<40 {
                try sender.publishWithoutWaiting("sensors/pump-01/telemetry", payload: Array("{\"ts\":\(index),\"values\":{\"humidity\":40}}".utf8), qos: .atMostOnce)
                try await Task.sleep(for: .milliseconds(100))
            }
            try await eventually(5, "the warning") { lines.contains("none of the last") }
            #expect(lines.count(of: "none of the last") == 1, "said once per spell")
            await sender.shutdown()
            agent.shutdown()
            try await running.value
        }
    }
}

/// The agent's log lines, for tests that check what it says.
final class LogLines: LogHandler, Sendable {
    private let lines = Mutex<[String]>([])
    func contains(_ text: String) -> Bool { lines.withLock { $0.contains { $0.contains(text) } } }
    func count(of text: String) -> Int { lines.withLock { $0.count { $0.contains(text) } } }
    var metadata: Logger.Metadata { get { [:] } set {} }
    var logLevel: Logger.Level { get { .info } set {} }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? { get { nil } set {} }
    func log(event: LogEvent) { lines.withLock { $0.append("\(event.message)") } }
}
