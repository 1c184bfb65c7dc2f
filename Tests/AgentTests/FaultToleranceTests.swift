@testable import Agent
import Foundation
import MQTT
import MQTTTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Faults against a real broker and the real agent binary: the broker killed and restarted, the agent
/// killed and restarted, a consumer that stops reading. What the agent opened must arrive; what the
/// broker drops must be counted.
@Suite("Nothing lost: broker and agent killed, persistent sessions, slow consumers", .timeLimit(.minutes(3)))
struct FaultToleranceTests {
    func openedEvents(_ agent: AgentProcess) -> Set<String> { Set(agent.openedEventIDs) }

    /// A subscriber that keeps its session (clean session off, fixed id) and re-subscribes on every connect.
    func persistentCollector(_ broker: MosquittoBroker) async throws -> Collector {
        try await Collector(broker, filter: "alerts/#", clientID: "durable-\(UUID().uuidString.prefix(6))", cleanSession: false)
    }

    func anomalyIDs(_ collector: Collector) -> [String] { collector.payloads(on: "/anomaly").compactMap { $0["event_id"] as? String } }

    /// One line for the fault table: what was opened, what arrived, how much of it late or twice.
    func report(_ fault: String, opened: Set<String>, _ collector: Collector) {
        let events = collector.payloads(on: "/anomaly")
        let opens = events.filter { $0["state"] as? String == "open" }.compactMap { $0["event_id"] as? String }
        print("fault table: \(fault): opened \(opened.count), lost \(opened.subtracting(opens).count), event messages \(events.count), "
              + "historical \(events.count { $0["historical"] as? Bool == true }), duplicate opens \(opens.count - Set(opens).count)")
    }

    /// Normal readings, then a vibration spike that opens an event on `device`, at QoS 1.
    func burst(_ publisher: MQTTClient, device: String, from seq: Int, normal: Int = 20, spike: Int = 8) async throws -> Int {
        var next = seq
        for index in 0..<(normal + spike) {
            var reading = normalReading(next)
            if index >= normal { reading[1] += 0.5 }
            try await publisher.publish("sensors/\(device)/telemetry", payload: telemetry(device: device, seq: next, reading), qos: .atLeastOnce)
            next += 1
        }
        return next
    }

    /// A broker that saves its state after every change (a SIGKILL must not cost the subscriber its
    /// session), the agent on it with health every second, and a persistent subscriber to `alerts/#`.
    func withKillableBroker(_ body: (MosquittoBroker, AgentProcess, Collector) async throws -> Void) async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try writeModel(in: directory)
        try await MosquittoBroker.with(.init(persistence: true, extraConfiguration: ["autosave_interval 1", "autosave_on_changes true"])) { broker in
            let agent = try AgentProcess(arguments: ["--broker-port", "\(broker.port)", "--model", model.path, "--no-http", "--health-interval", "1"],
                                         directory: directory)
            let alerts = try await persistentCollector(broker)
            try await body(broker, agent, alerts)
            agent.signal(SIGTERM)
            #expect(agent.wait() == 0)
            await alerts.close()
        }
    }

    @Test("Events left in the journal by a killed agent go out after the restart, in order, historical, with their ids")
    func journalAfterCrash() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let journalPath = directory.appendingPathComponent("journal.jsonl").path
        do {  // What a killed agent leaves: three events written, none acknowledged.
            let journal = try EventJournal(path: journalPath)
            for number in 1...3 {
                let event = #"{"event_id":"pump-09-00000\#(number)","device":"pump-09","state":"open"}"#
                journal.append(topic: "alerts/pump-09/anomaly", payload: Array(event.utf8), historical: false, at: Int64(Date().timeIntervalSince1970 * 1000))
            }
        }
        let model = try writeModel(in: directory)
        try await MosquittoBroker.with { broker in
            let alerts = try await Collector(broker, filter: "alerts/+/anomaly")
            let agent = try AgentProcess(arguments: ["--broker-port", "\(broker.port)", "--model", model.path, "--store-path", journalPath, "--no-http"],
                                         directory: directory)
            try await alerts.wait("three journaled events") { alerts.payloads(on: "/anomaly").count >= 3 }
            let events = alerts.payloads(on: "/anomaly")
            #expect(events.compactMap { $0["event_id"] as? String } == ["pump-09-000001", "pump-09-000002", "pump-09-000003"])
            #expect(events.allSatisfy { $0["historical"] as? Bool == true })
            try await eventually(10, "the journal to be compacted") {
                (try? FileManager.default.attributesOfItem(atPath: journalPath)[.size] as? Int) == 0
            }
            agent.signal(SIGTERM)
            #expect(agent.wait() == 0)
            await alerts.close()
        }
    }

    @Test("A journal entry the broker can never take (a topic with a wildcard) is dropped and counted; those around it go out in order")
    func unpublishableEntry() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let journalPath = directory.appendingPathComponent("journal.jsonl").path
        do {  // A hand-edited or damaged journal: the second entry names a topic no client may publish to.
            let journal = try EventJournal(path: journalPath)
            for (number, topic) in ["alerts/pump-09/anomaly", "alerts/+/anomaly", "alerts/pump-09/anomaly"].enumerated() {
                let event = #"{"event_id":"pump-09-00000\#(number)","device":"pump-09","state":"open"}"#
                journal.append(topic: topic, payload: Array(event.utf8), historical: false, at: Int64(Date().timeIntervalSince1970 * 1000))
            }
        }
        let model = try writeModel(in: directory)
        try await MosquittoBroker.with { broker in
            let alerts = try await Collector(broker, filter: "alerts/#")
            let agent = try AgentProcess(arguments: ["--broker-port", "\(broker.port)", "--model", model.path, "--store-path", journalPath, "--no-http",
                                                     "--health-interval", "1"], directory: directory)
            try await alerts.wait("two events and the publish failure in health") {
                anomalyIDs(alerts).count >= 2 && alerts.payloads(on: "/health").contains { ($0["events"] as? [String: Any])?["publish_failures"] as? Int == 1 }
            }
            #expect(anomalyIDs(alerts) == ["pump-09-000000", "pump-09-000002"])
            try await eventually(10, "the journal to be emptied") {
                (try? FileManager.default.attributesOfItem(atPath: journalPath)[.size] as? Int) == 0
            }
            agent.signal(SIGTERM)
            #expect(agent.wait() == 0)
            await alerts.close()
        }
    }

    @Test("The agent killed with SIGKILL mid-stream and restarted: every event it opened arrives")
    func agentKilled() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try writeModel(in: directory)
        let journal = directory.appendingPathComponent("journal.jsonl").path
        let arguments = { (port: Int) in ["--broker-port", "\(port)", "--model", model.path, "--store-path", journal, "--no-http"] }
        try await MosquittoBroker.with(.init(persistence: true)) { broker in
            let alerts = try await persistentCollector(broker)
            let publisher = try MQTTClient(configuration: MQTTConfiguration(port: broker.port, clientID: "publisher-killed-agent"))
            try await publisher.connect()
            var opened: Set<String> = []
            var seq = 0
            for round in 0..<3 {
                let agent = try AgentProcess(arguments: arguments(broker.port), directory: directory)
                try await alerts.wait("agent online") { alerts.payloads(on: "/status").last?["state"] as? String == "online" }
                seq = try await burst(publisher, device: "pump-0\(round)", from: seq)
                try await eventually(10, "round \(round): an event opened") { openedEvents(agent).contains { $0.hasPrefix("pump-0\(round)") } }
                agent.signal(SIGKILL)  // right after the event, before anything else
                _ = agent.wait()
                opened.formUnion(openedEvents(agent))
                try await alerts.wait("offline will") { alerts.payloads(on: "/status").last?["state"] as? String == "offline" }
            }
            let last = try AgentProcess(arguments: arguments(broker.port), directory: directory)
            try await alerts.wait("the last agent online") { alerts.payloads(on: "/status").last?["state"] as? String == "online" }
            try await alerts.wait(seconds: 20, "every opened event, at least once") { opened.isSubset(of: Set(anomalyIDs(alerts))) }
            #expect(opened.count == 3)
            report("agent SIGKILL x3", opened: opened, alerts)
            last.signal(SIGTERM)
            #expect(last.wait() == 0)
            await publisher.shutdown()
            await alerts.close()
        }
    }

    @Test("The broker killed with SIGKILL and restarted three times during a stream: every event the agent opened arrives")
    func brokerKilled() async throws {
        try await withKillableBroker { broker, agent, alerts in
            var seq = 0
            for round in 0..<3 {
                // Connected again: a fresh health report counts this connection (a restored retained one does not).
                try await alerts.wait(seconds: 40, "agent connected (round \(round))") {
                    alerts.payloads(on: "/health").contains { (($0["broker"] as? [String: Any])?["connects"] as? Int ?? 0) == round + 1 }
                }
                let publisher = try MQTTClient(configuration: MQTTConfiguration(port: broker.port, clientID: "publisher-\(round)"))
                try await publisher.connect()
                seq = try await burst(publisher, device: "pump-0\(round)", from: seq)
                await publisher.shutdown()
                // Kill the broker the moment the agent has opened the event: its publication races the kill.
                try await eventually(10, "round \(round): an event opened") { openedEvents(agent).contains { $0.hasPrefix("pump-0\(round)") } }
                broker.kill()
                try await Task.sleep(for: .milliseconds(500))
                try await broker.restart()
            }
            let opened = openedEvents(agent)
            #expect(opened.count >= 3)
            try await alerts.wait(seconds: 30, "every opened event, at least once") { opened.isSubset(of: Set(anomalyIDs(alerts))) }
            let received = anomalyIDs(alerts)
            #expect(Set(received).isSuperset(of: opened), "opened \(opened.sorted()), received \(received)")
            report("broker SIGKILL x3", opened: opened, alerts)
        }
    }

    @Test("Events the agent produced while the broker was down go out after it returns, with their ids, in order")
    func eventsDuringOutage() async throws {
        try await withKillableBroker { broker, agent, alerts in
            try await alerts.wait("agent online") { alerts.payloads(on: "/status").last?["state"] as? String == "online" }
            // The agent is frozen while the telemetry reaches its socket; then the broker dies. When the agent
            // thaws it scores what was already delivered and opens events with no broker to take them.
            agent.signal(SIGSTOP)
            let publisher = try MQTTClient(configuration: MQTTConfiguration(port: broker.port, clientID: "publisher-outage"))
            try await publisher.connect()
            var seq = 0
            for device in ["pump-01", "pump-02", "pump-03"] { seq = try await burst(publisher, device: device, from: seq) }
            await publisher.shutdown()
            try await Task.sleep(for: .milliseconds(300))  // the broker writes the bursts into the frozen agent's socket
            broker.kill()
            agent.signal(SIGCONT)
            // Under load the broker may not have passed on every burst before it died: what matters is what was opened.
            try await eventually(10, "events opened while the broker was down") { !openedEvents(agent).isEmpty }
            try await Task.sleep(for: .milliseconds(500))
            try await Task.sleep(for: .seconds(1))
            try await broker.restart()
            let opened = openedEvents(agent)
            try await alerts.wait(seconds: 30, "the events from the outage") { opened.isSubset(of: Set(anomalyIDs(alerts))) }
            // In order. Those already handed to MQTT when the connection broke come back as MQTT retransmissions,
            // unmarked; the rest from the journal marked historical, after them (docs/wire-contract.md).
            let opens = alerts.payloads(on: "/anomaly").filter { $0["state"] as? String == "open" }
            let devices = opens.compactMap { $0["device"] as? String }
            #expect(devices == ["pump-01", "pump-02", "pump-03"].filter(devices.contains))
            let marked = opens.map { $0["historical"] as? Bool == true }
            #expect(marked == marked.sorted { !$0 && $1 }, "an unmarked event after a historical one: \(opens)")
            report("events produced during a broker outage", opened: opened, alerts)
        }
    }

    @Test("Persistent session: QoS 1 telemetry published while the agent was down is scored after it restarts")
    func persistentSession() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try writeModel(in: directory)
        let config = directory.appendingPathComponent("agent.json")
        try #"{"broker": {"cleanSession": false, "clientID": "edge-anomaly-durable", "telemetryQoS": 1}, "health": {"intervalSeconds": 1}}"#
            .write(to: config, atomically: true, encoding: .utf8)
        let journal = directory.appendingPathComponent("journal.jsonl").path
        let arguments = { (port: Int) in ["--config", config.path, "--broker-port", "\(port)", "--model", model.path, "--store-path", journal, "--no-http"] }
        try await MosquittoBroker.with(.init(persistence: true)) { broker in
            let alerts = try await Collector(broker, filter: "alerts/#")
            let first = try AgentProcess(arguments: arguments(broker.port), directory: directory)
            try await alerts.wait("agent online") { alerts.payloads(on: "/status").last?["state"] as? String == "online" }
            first.signal(SIGTERM)
            #expect(first.wait() == 0)
            // The agent is down: the broker keeps its session and queues these for it.
            let publisher = try MQTTClient(configuration: MQTTConfiguration(port: broker.port, clientID: "publisher-durable"))
            try await publisher.connect()
            let sent = try await burst(publisher, device: "pump-07", from: 0, normal: 40, spike: 6)
            let second = try AgentProcess(arguments: arguments(broker.port), directory: directory)
            try await alerts.wait("the spike sent while the agent was down, as an event") {
                alerts.payloads(on: "/anomaly").contains { $0["device"] as? String == "pump-07" && $0["state"] as? String == "open" }
            }
            let event = try #require(alerts.payloads(on: "/anomaly").first { $0["device"] as? String == "pump-07" })
            #expect((40..<46).contains(event["trigger_seq"] as? Int ?? -1))
            try await alerts.wait("health counting every queued message") {
                alerts.payloads(on: "/health").contains { (($0["messages"] as? [String: Any])?["received"] as? Int ?? 0) == sent }
            }
            second.signal(SIGTERM)
            #expect(second.wait() == 0)
            await publisher.shutdown()
            await alerts.close()
        }
    }

    @Test("A consumer too slow to keep up: the broker drops beyond its queue, the agent counts the gap, memory stays bounded")
    func slowConsumer() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try writeModel(in: directory)
        let config = directory.appendingPathComponent("agent.json")
        try #"{"broker": {"telemetryQoS": 1}, "health": {"intervalSeconds": 1}}"#.write(to: config, atomically: true, encoding: .utf8)
        try await MosquittoBroker.with(.init(extraConfiguration: ["max_queued_messages 200"])) { broker in
            let alerts = try await Collector(broker, filter: "alerts/agent/#")
            let agent = try AgentProcess(arguments: ["--config", config.path, "--broker-port", "\(broker.port)", "--model", model.path, "--no-http"],
                                         directory: directory)
            try await alerts.wait("agent online") { alerts.payloads(on: "/status").last?["state"] as? String == "online" }
            agent.signal(SIGSTOP)  // the agent stops reading: the broker queues 200 (plus what is in flight), then drops
            let publisher = try MQTTClient(configuration: MQTTConfiguration(port: broker.port, clientID: "publisher-slow"))
            try await publisher.connect()
            let total = 3_000
            for seq in 0..<total {
                try await publisher.publish("sensors/pump-05/telemetry", payload: telemetry(device: "pump-05", seq: seq, normalReading(seq)), qos: .atLeastOnce)
            }
            agent.signal(SIGCONT)
            try await Task.sleep(for: .seconds(1))
            // One more after the backlog: its seq reveals how many never arrived.
            try await publisher.publish("sensors/pump-05/telemetry", payload: telemetry(device: "pump-05", seq: total, normalReading(total)), qos: .atLeastOnce)
            func messages(_ health: [String: Any]) -> [String: Any] { health["messages"] as? [String: Any] ?? [:] }
            try await alerts.wait("health accounting for every message sent") {
                alerts.payloads(on: "/health").contains { health in
                    let counts = messages(health)
                    return (counts["received"] as? Int ?? 0) + (counts["missing_by_seq"] as? Int ?? 0) == total + 1
                }
            }
            let health = try #require(alerts.payloads(on: "/health").last { (messages($0)["received"] as? Int ?? 0) > 0 })
            let received = messages(health)["received"] as? Int ?? 0
            let missing = messages(health)["missing_by_seq"] as? Int ?? 0
            #expect(received < total && missing > 0, "received \(received), missing \(missing)")
            #expect((health["resident_memory_bytes"] as? Int ?? .max) < 200 << 20)
            agent.signal(SIGTERM)
            #expect(agent.wait() == 0)
            await publisher.shutdown()
            await alerts.close()
        }
    }
}
