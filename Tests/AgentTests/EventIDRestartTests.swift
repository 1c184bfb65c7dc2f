import Foundation
import MQTT
import MQTTTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Event ids across an agent crash", .timeLimit(.minutes(1)))
struct EventIDRestartTests {
    static let episodes = 12

    /// Short episodes on one device within a second or two: far more events than seconds of uptime, so the
    /// clock alone would reuse numbers unless the restart took longer than `episodes` seconds.
    func burstOfEpisodes(_ publisher: MQTTClient, firstSeq: Int) async throws {
        for index in 0..<(Self.episodes * 20) {
            var reading = normalReading(firstSeq + index)
            if index % 20 < 6 { reading[1] += 0.5 }  // six anomalous, then fourteen normal (closes after ten)
            try await publisher.publish("sensors/pump-01/telemetry", payload: telemetry(device: "pump-01", seq: firstSeq + index, reading),
                                        qos: .atLeastOnce)
        }
    }

    @Test("An agent SIGKILLed right after a burst of episodes and restarted at once numbers its next episodes above the first run's")
    func noReuseAfterCrash() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try writeModel(in: directory)
        let journal = directory.appendingPathComponent("journal.jsonl").path
        try await MosquittoBroker.with { broker in
            let arguments = ["--broker-port", "\(broker.port)", "--model", model.path, "--store-path", journal, "--no-http"]
            let alerts = try await Collector(broker, filter: "alerts/#")
            let publisher = try MQTTClient(configuration: MQTTConfiguration(port: broker.port, clientID: "publisher-event-ids"))
            try await publisher.connect()
            var ids: [[String]] = []
            for run in 0..<2 {
                let agent = try AgentProcess(arguments: arguments, directory: directory)
                try await alerts.wait("agent \(run) online") {
                    alerts.payloads(on: "/status").filter { $0["state"] as? String == "online" }.count > run
                }
                try await burstOfEpisodes(publisher, firstSeq: run * 1_000)
                try await eventually(20, "every episode opened") { agent.openedEventIDs.count >= Self.episodes }
                ids.append(agent.openedEventIDs)
                agent.signal(run == 0 ? SIGKILL : SIGTERM)  // the first run dies without a word, the second is restarted at once
                let status = agent.wait()
                if run == 1 { #expect(status == 0) }
            }
            #expect(Set(ids[0]).isDisjoint(with: ids[1]), "the second run reused ids of the first: \(ids)")
            // Stronger: the second run's numbers all lie above the first run's.
            let numbers = ids.map { $0.compactMap { Int($0.split(separator: "-").last ?? "") } }
            #expect((numbers[1].min() ?? 0) > (numbers[0].max() ?? .max), "\(numbers)")
            await publisher.shutdown()
            await alerts.close()
        }
    }
}
