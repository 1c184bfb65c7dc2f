import Foundation
import MQTT
import MQTTTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The shipped ACL (deploy/mosquitto/edge-anomaly.acl) on a TLS broker with passwords: wrong writes are
/// refused, and the agent works through it over TLS with authentication.
@Suite("TLS, passwords and the shipped ACL", .timeLimit(.minutes(1)))
struct SecureDeploymentTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let users = ["agent": "agent-secret", "emulator": "emulator-secret", "consumer": "consumer-secret"]

    func client(_ broker: MosquittoBroker, user: String) async throws -> MQTTClient {
        var configuration = MQTTConfiguration(host: "localhost", port: broker.port, clientID: "\(user)-\(UUID().uuidString.prefix(6))")
        configuration.username = user
        configuration.password = Self.users[user]
        configuration.tls = .init(caFile: broker.certificates!.caFile)
        let client = try MQTTClient(configuration: configuration)
        try await client.connect()
        return client
    }

    @Test("The ACL refuses the wrong writes and reads; the agent scores and alerts over TLS with a password")
    func aclAndAgent() async throws {
        let acl = Self.repository.appendingPathComponent("deploy/mosquitto/edge-anomaly.acl").path
        try await MosquittoBroker.with(.init(authentication: .passwords(Self.users), tls: true, extraConfiguration: ["acl_file \(acl)"])) { broker in
            let consumer = try await client(broker, user: "consumer")
            let emulator = try await client(broker, user: "emulator")
            try await consumer.subscribe("alerts/#", qos: .atLeastOnce)
            // A consumer may not read telemetry. mosquitto grants the subscription (MQTT 3.1.1 has no way to
            // say "not yet") but checks the ACL on every delivery: no telemetry reaches it (checked below).
            try await consumer.subscribe("sensors/#")
            // Forged alerts from the emulator or the consumer are dropped by the broker; the marker from
            // a permitted client arrives first, so nothing forged came before it.
            try await emulator.publish("alerts/pump-01/anomaly", payload: Array("forged by emulator".utf8), qos: .atLeastOnce)
            try await consumer.publish("alerts/pump-01/anomaly", payload: Array("forged by consumer".utf8), qos: .atLeastOnce)
            let agentClient = try await client(broker, user: "agent")
            try await agentClient.publish("alerts/marker", payload: Array("marker".utf8), qos: .atLeastOnce)
            #expect(try await receive(1, from: consumer).first?.payloadString == "marker")
            await agentClient.shutdown()

            // The real agent, through TLS and the ACL.
            let directory = try temporaryDirectory()
            let model = try writeModel(in: directory)
            let passwordFile = directory.appendingPathComponent("password")
            try Data("agent-secret\n".utf8).write(to: passwordFile)
            let config = directory.appendingPathComponent("agent.json")
            try Data("""
                {"broker": {"host": "localhost", "port": \(broker.port), "username": "agent", "passwordFile": "\(passwordFile.path)",
                            "tls": {"caFile": "\(broker.certificates!.caFile)"}},
                 "model": {"path": "\(model.path)"}}
                """.utf8).write(to: config)
            let agent = try AgentProcess(arguments: ["--config", config.path], directory: directory)
            var online = false
            for _ in 0..<100 where !online {
                try await Task.sleep(for: .milliseconds(50))
                online = consumer.statistics.received >= 2
            }
            for index in 0..<60 {
                var reading = normalReading(index)
                if (30..<34).contains(index) { reading[1] += 0.5 }
                try emulator.publishWithoutWaiting("sensors/pump-01/telemetry", payload: telemetry(device: "pump-01", seq: index, reading))
                try await Task.sleep(for: .milliseconds(5))
            }
            let messages = try await within(15, "an anomaly event through TLS and the ACL") {
                var seen: [MQTTMessage] = []
                for await message in consumer.messages {
                    seen.append(message)
                    if message.topic == "alerts/pump-01/anomaly" { break }
                }
                return seen
            }
            #expect(messages.last?.payloadString.contains("\"state\":\"open\"") == true, "\(agent.output)")
            #expect(!messages.contains { $0.payloadString.hasPrefix("forged") })
            #expect(!messages.contains { $0.topic.hasPrefix("sensors/") }, "the consumer read telemetry")
            agent.signal(SIGTERM)
            #expect(agent.wait() == 0)
            await emulator.shutdown()
            await consumer.shutdown()
        }
    }
}
