import Foundation
import MQTT
import MQTTTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("anomaly-agent against a real mosquitto", .timeLimit(.minutes(2)))
struct AgentEndToEndTests {
    /// Publishes `count` readings per device at about 200 Hz, with `spike` applied to pump-01 in `spikeRange`.
    func stream(_ publisher: MQTTClient, devices: [String], range: Range<Int>, spikeRange: Range<Int> = 0..<0,
                extra: (Int) async throws -> Void = { _ in }) async throws {
        for index in range {
            for (number, device) in devices.enumerated() {
                var reading = normalReading(index, device: number)
                if device == "pump-01" && spikeRange.contains(index) { reading[1] += 0.5 }
                try publisher.publishWithoutWaiting("sensors/\(device)/telemetry", payload: telemetry(device: device, seq: index, reading))
            }
            try await extra(index)
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test("A spike on one sensor gives exactly one open and one closed event naming it; garbage is reported while scoring goes on")
    func spikeAndGarbage() async throws {
        try await MosquittoBroker.with { broker in
            let directory = try temporaryDirectory()
            let model = try writeModel(in: directory)
            let alerts = try await Collector(broker, filter: "alerts/#")
            let agent = try AgentProcess(arguments: ["--broker-port", "\(broker.port)", "--model", model.path, "--health-interval", "1"],
                                         directory: directory)
            try await alerts.wait("online status") { alerts.payloads(on: "/status").contains { $0["state"] as? String == "online" } }
            let publisher = try await connectedPublisher(broker)
            try await stream(publisher, devices: ["pump-01", "pump-02"], range: 0..<400, spikeRange: 200..<206) { index in
                if index == 100 { try publisher.publishWithoutWaiting("sensors/pump-03/telemetry", payload: Array("{not json".utf8)) }
                if index == 101 {
                    try publisher.publishWithoutWaiting("sensors/pump-02/telemetry", payload: Array(#"{"ts":1,"values":{"current":NaN}}"#.utf8))
                }
                if index == 102 {  // scored, but with a sensor the model does not know: reported, not rejected
                    try publisher.publishWithoutWaiting("sensors/pump-04/telemetry", payload: Array(#"{"ts":1,"seq":1,"values":{"current":12,"humidity":40}}"#.utf8))
                }
            }
            try await alerts.wait("closed event") { alerts.payloads(on: "/anomaly").contains { $0["state"] as? String == "closed" } }
            try await alerts.wait("health with all messages") {
                alerts.payloads(on: "/health").contains { (($0["messages"] as? [String: Any])?["received"] as? Int ?? 0) >= 803 }
            }
            let events = alerts.payloads(on: "/anomaly")
            #expect(events.compactMap { $0["state"] as? String } == ["open", "closed"], "\(events)")
            #expect(Set(events.compactMap { $0["device"] as? String }) == ["pump-01"])
            let contributors = try #require(events.first?["contributors"] as? [[String: Any]])
            #expect(contributors.first?["sensor"] as? String == "vibration")
            let errors = alerts.payloads(on: "/errors").compactMap { $0["reason"] as? String }
            #expect(errors.contains("malformed_json") && errors.contains("non_finite_value") && errors.contains("unknown_sensor"), "\(errors)")
            let health = try #require(alerts.payloads(on: "/health").last)
            let messages = try #require(health["messages"] as? [String: Any])
            #expect(messages["rejected"] as? Int == 2)
            #expect(messages["scored"] as? Int == 801)
            #expect(messages["with_unknown_sensors"] as? Int == 1)
            #expect(messages["dropped_internally"] as? Int == 0)
            #expect((health["devices"] as? [String: Any])?["active"] as? Int == 3)
            // SIGTERM: offline status, exit 0.
            agent.signal(SIGTERM)
            #expect(agent.wait() == 0, "\(agent.output)")
            try await alerts.wait("offline status") { alerts.payloads(on: "/status").last?["state"] as? String == "offline" }
            await publisher.shutdown()
            await alerts.close()
        }
    }

    @Test("A sensor null for several messages and lost messages arrive as events marked missing_data")
    func dropoutEvents() async throws {
        try await MosquittoBroker.with { broker in
            let directory = try temporaryDirectory()
            let model = try writeModel(in: directory)
            let alerts = try await Collector(broker, filter: "alerts/#")
            let agent = try AgentProcess(arguments: ["--broker-port", "\(broker.port)", "--model", model.path], directory: directory)
            try await alerts.wait("online status") { alerts.payloads(on: "/status").contains { $0["state"] as? String == "online" } }
            let publisher = try await connectedPublisher(broker)
            for index in 0..<120 {
                // pump-01: current null in messages 40…49; pump-02: messages 80…89 never sent (a gap in seq).
                var body = String(decoding: telemetry(device: "pump-01", seq: index, normalReading(index)), as: UTF8.self)
                if (40..<50).contains(index) {
                    body = body.replacingOccurrences(of: #""current":[^,}]*"#, with: #""current":null"#, options: .regularExpression)
                }
                try publisher.publishWithoutWaiting("sensors/pump-01/telemetry", payload: Array(body.utf8))
                if !(80..<90).contains(index) {
                    try publisher.publishWithoutWaiting("sensors/pump-02/telemetry", payload: telemetry(device: "pump-02", seq: index, normalReading(index, device: 1)))
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            try await alerts.wait("two closed events") { alerts.payloads(on: "/anomaly").count { $0["state"] as? String == "closed" } >= 2 }
            let opened = alerts.payloads(on: "/anomaly").filter { $0["state"] as? String == "open" }
            #expect(opened.count == 2, "\(opened)")
            #expect(opened.allSatisfy { $0["finding"] as? String == "missing_data" }, "\(opened)")
            let pump01 = try #require(opened.first { $0["device"] as? String == "pump-01" })
            #expect(pump01["trigger_seq"] as? Int == 42)
            #expect((pump01["contributors"] as? [[String: Any]])?.first?["sensor"] as? String == "current")
            #expect(opened.first { $0["device"] as? String == "pump-02" }?["trigger_seq"] as? Int == 90)
            agent.signal(SIGTERM)
            #expect(agent.wait() == 0, "\(agent.output)")
            await publisher.shutdown()
            await alerts.close()
        }
    }

    @Test("The last will says offline when the agent is killed with SIGKILL")
    func lastWill() async throws {
        try await MosquittoBroker.with { broker in
            let directory = try temporaryDirectory()
            let model = try writeModel(in: directory)
            let alerts = try await Collector(broker, filter: "alerts/agent/+/status")
            let agent = try AgentProcess(arguments: ["--broker-port", "\(broker.port)", "--model", model.path, "--agent-id", "edge-7"],
                                         directory: directory)
            try await alerts.wait("online") { alerts.payloads(on: "/status").last?["state"] as? String == "online" }
            agent.signal(SIGKILL)
            agent.wait()
            try await alerts.wait("offline from the will") { alerts.payloads(on: "/status").last?["state"] as? String == "offline" }
            #expect(alerts.messages.last?.topic == "alerts/agent/edge-7/status")
            await alerts.close()
        }
    }

    @Test("After a broker restart the agent reconnects, says online again and keeps scoring")
    func brokerRestart() async throws {
        try await MosquittoBroker.with { broker in
            let directory = try temporaryDirectory()
            let model = try writeModel(in: directory)
            let agent = try AgentProcess(arguments: ["--broker-port", "\(broker.port)", "--model", model.path, "--health-interval", "1"],
                                         directory: directory)
            var alerts = try await Collector(broker, filter: "alerts/#")
            try await alerts.wait("online") { alerts.payloads(on: "/status").last?["state"] as? String == "online" }
            broker.stop()
            await alerts.close()
            try await broker.restart()
            alerts = try await Collector(broker, filter: "alerts/#")
            let current = alerts
            try await current.wait(seconds: 40, "online after restart") { current.payloads(on: "/status").last?["state"] as? String == "online" }
            let publisher = try await connectedPublisher(broker)
            try await stream(publisher, devices: ["pump-01"], range: 0..<300, spikeRange: 150..<156)
            try await current.wait("an event after the restart") { current.payloads(on: "/anomaly").contains { $0["state"] as? String == "open" } }
            agent.signal(SIGTERM)
            #expect(agent.wait() == 0)
            await publisher.shutdown()
            await current.close()
        }
    }

    @Test("A bad model file on SIGHUP keeps the old model and says why")
    func badReload() async throws {
        try await MosquittoBroker.with { broker in
            let directory = try temporaryDirectory()
            let model = try writeModel(in: directory)
            let alerts = try await Collector(broker, filter: "alerts/#")
            let agent = try AgentProcess(arguments: ["--broker-port", "\(broker.port)", "--model", model.path, "--health-interval", "1"],
                                         directory: directory)
            try await alerts.wait("health") { !alerts.payloads(on: "/health").isEmpty }
            let modelID = alerts.payloads(on: "/health").last?["model"] as? String
            try Data("{\"format\": \"edge-anomaly/isolation-forest\", \"trees\": [".utf8).write(to: model)
            agent.signal(SIGHUP)
            try await alerts.wait("reload failure report") { alerts.payloads(on: "/errors").contains { $0["reason"] as? String == "model_reload_failed" } }
            let publisher = try await connectedPublisher(broker)
            try await stream(publisher, devices: ["pump-02"], range: 0..<50)
            try await alerts.wait("scoring with the old model") {
                alerts.payloads(on: "/health").contains { ($0["messages"] as? [String: Any])?["scored"] as? Int == 50 && $0["model"] as? String == modelID }
            }
            agent.signal(SIGTERM)
            #expect(agent.wait() == 0)
            await publisher.shutdown()
            await alerts.close()
        }
    }

    func connectedPublisher(_ broker: MosquittoBroker) async throws -> MQTTClient {
        let client = try MQTTClient(configuration: MQTTConfiguration(port: broker.port, clientID: "publisher-\(UUID().uuidString.prefix(6))"))
        try await client.connect()
        return client
    }
}

@Suite("anomaly-agent learn mode and stale devices", .timeLimit(.minutes(2)))
struct AgentLearnModeTests {
    @Test("With no model file the agent learns from live telemetry, saves the model, then detects; a silent device goes stale")
    func learnThenDetect() async throws {
        try await MosquittoBroker.with { broker in
            let directory = try temporaryDirectory()
            let modelPath = directory.appendingPathComponent("learned.json").path
            let config = directory.appendingPathComponent("agent.json")
            // A few seconds of data make a narrow envelope: widen it so the test is about learning, not strays.
            try Data(#"{"health": {"intervalSeconds": 0.5, "staleAfterSeconds": 1}, "learn": {"contamination": 0.0005}, "detection": {"envelopeTolerance": 1.0, "events": {"closeAfter": 3}}}"#.utf8).write(to: config)
            let alerts = try await Collector(broker, filter: "alerts/#")
            let agent = try AgentProcess(arguments: ["--broker-port", "\(broker.port)", "--model", modelPath, "--learn", "3s", "--config", config.path],
                                         directory: directory)
            try await alerts.wait("online") { alerts.payloads(on: "/status").last?["state"] as? String == "online" }
            let publisher = try MQTTClient(configuration: MQTTConfiguration(port: broker.port, clientID: "learn-publisher"))
            try await publisher.connect()
            var index = 0
            // Normal data until the model exists.
            while !FileManager.default.fileExists(atPath: modelPath) {
                try publisher.publishWithoutWaiting("sensors/pump-01/telemetry", payload: telemetry(device: "pump-01", seq: index, normalReading(index)))
                try publisher.publishWithoutWaiting("sensors/quiet-01/telemetry", payload: telemetry(device: "quiet-01", seq: index, normalReading(index, device: 1)))
                index += 1
                try await Task.sleep(for: .milliseconds(4))
                if index > 5_000 { Issue.record("no model after \(index) messages: \(agent.output)"); break }
            }
            // Delivery to the collector is asynchronous: on a loaded machine the last reports may still be on their way.
            try await alerts.wait("a health report saying learning") { alerts.payloads(on: "/health").contains { $0["state"] as? String == "learning" } }
            for offset in 0..<500 {
                var reading = normalReading(index + offset)
                if (100..<106).contains(offset) { reading[3] += 3 }  // pressure jump
                try publisher.publishWithoutWaiting("sensors/pump-01/telemetry", payload: telemetry(device: "pump-01", seq: index + offset, reading))
                if offset < 20 {  // quiet-01 falls silent soon after scoring starts, while pump-01 goes on
                    try publisher.publishWithoutWaiting("sensors/quiet-01/telemetry",
                                                        payload: telemetry(device: "quiet-01", seq: index + offset, normalReading(index + offset, device: 1)))
                }
                try await Task.sleep(for: .milliseconds(4))
            }
            // The learned model is small (a few seconds of data), so it may raise a stray event as well, which
            // the jump can fall into; the jump must show up with pressure among the contributors.
            try await alerts.wait("an event (open or update) for the pressure jump from the learned model") {
                alerts.payloads(on: "/anomaly").contains { message in
                    (message["contributors"] as? [[String: Any]] ?? []).contains { $0["sensor"] as? String == "pressure" }
                }
            }
            try await alerts.wait("quiet-01 reported stale") {
                alerts.payloads(on: "/errors").contains { $0["reason"] as? String == "stale_device" && $0["device"] as? String == "quiet-01" }
            }
            agent.signal(SIGINT)
            #expect(agent.wait() == 0)
            await publisher.shutdown()
            await alerts.close()
        }
    }
}

@Suite("anomaly-agent model reload", .timeLimit(.minutes(1)))
struct AgentReloadTests {
    @Test("A changed model file is picked up without a restart, and scoring continues without losing a message")
    func watchReload() async throws {
        try await MosquittoBroker.with { broker in
            let directory = try temporaryDirectory()
            let model = try writeModel(in: directory)
            let alerts = try await Collector(broker, filter: "alerts/agent/+/health")
            let config = directory.appendingPathComponent("agent.json")
            try Data(#"{"model": {"watchSeconds": 0.5}, "health": {"intervalSeconds": 0.5}}"#.utf8).write(to: config)
            let agent = try AgentProcess(arguments: ["--broker-port", "\(broker.port)", "--model", model.path, "--config", config.path],
                                         directory: directory)
            try await alerts.wait("first health") { !alerts.payloads(on: "/health").isEmpty }
            let firstModel = try #require(alerts.payloads(on: "/health").last?["model"] as? String)
            let publisher = try MQTTClient(configuration: MQTTConfiguration(port: broker.port, clientID: "reload-publisher"))
            try await publisher.connect()
            for index in 0..<600 {
                if index == 200 {
                    // Another valid model (different data), written atomically over the old one.
                    let other = try writeModel(in: directory, name: "other.json", seed: 11)
                    #expect(rename(other.path, model.path) == 0)
                }
                try publisher.publishWithoutWaiting("sensors/pump-01/telemetry", payload: telemetry(device: "pump-01", seq: index, normalReading(index)))
                try await Task.sleep(for: .milliseconds(3))
            }
            try await alerts.wait("all 600 scored under the new model") {
                alerts.payloads(on: "/health").contains {
                    ($0["messages"] as? [String: Any])?["scored"] as? Int == 600 && $0["model"] as? String != firstModel
                }
            }
            agent.signal(SIGTERM)
            #expect(agent.wait() == 0)
            #expect(agent.output.contains("model reloaded"))
            await publisher.shutdown()
            await alerts.close()
        }
    }
}

@Suite("Scaling out with a shared subscription", .timeLimit(.minutes(1)))
struct SharedSubscriptionTests {
    @Test("Two agents on a shared subscription split the load: every message scored once, none missed")
    func twoAgents() async throws {
        try await MosquittoBroker.with { broker in
            let directory = try temporaryDirectory()
            let model = try writeModel(in: directory)
            let health = try await Collector(broker, filter: "alerts/agent/+/health")
            let agents = try ["agent-a", "agent-b"].map { id in
                try AgentProcess(arguments: ["--broker-port", "\(broker.port)", "--model", model.path, "--agent-id", id,
                                             "--shared-group", "scorers", "--health-interval", "0.5"], directory: directory)
            }
            try await health.wait("both agents report") { Set(health.messages.map(\.topic)).count == 2 }
            let publisher = try MQTTClient(configuration: MQTTConfiguration(port: broker.port, clientID: "shared-publisher"))
            try await publisher.connect()
            let total = 2_000
            for index in 0..<total {
                let device = "pump-\(index % 20)"
                try publisher.publishWithoutWaiting("sensors/\(device)/telemetry", payload: telemetry(device: device, seq: index / 20, normalReading(index)))
                if index % 100 == 99 { try await Task.sleep(for: .milliseconds(10)) }
            }
            func scored(_ agent: String) -> Int {
                health.messages.last { $0.topic == "alerts/agent/\(agent)/health" }
                    .flatMap { try? JSONSerialization.jsonObject(with: Data($0.payload)) as? [String: Any] }
                    .flatMap { ($0["messages"] as? [String: Any])?["received"] as? Int } ?? 0
            }
            try await health.wait("all messages received between the two") { scored("agent-a") + scored("agent-b") >= total }
            try await Task.sleep(for: .seconds(1))  // one more report: a duplicate would show as a sum above the total
            let (a, b) = (scored("agent-a"), scored("agent-b"))
            #expect(a + b == total, "agent-a \(a) + agent-b \(b)")
            #expect(a > total / 10 && b > total / 10, "the load is split: agent-a \(a), agent-b \(b)")
            for agent in agents { agent.signal(SIGTERM); #expect(agent.wait() == 0) }
            await publisher.shutdown()
            await health.close()
        }
    }
}
