import Foundation
import MQTT
import MQTTTesting
import Testing

@Suite("MQTT against a real mosquitto", .timeLimit(.minutes(1)))
struct MQTTRoundTripTests {
    @Test("Round trip", arguments: MQTTQoS.allCases)
    func roundTrip(qos: MQTTQoS) async throws {
        try await MosquittoBroker.with { broker in
            let subscriber = try await connectedClient(broker)
            let publisher = try await connectedClient(broker)
            let topic = unique("roundtrip") + "/data"
            let granted = try await subscriber.subscribe(topic, qos: qos)
            #expect(granted == qos)
            for index in 0..<10 {
                try await publisher.publish(topic, payload: Array("message \(index)".utf8), qos: qos)
            }
            let messages = try await receive(10, from: subscriber)
            #expect(messages.map(\.payloadString) == (0..<10).map { "message \($0)" })
            #expect(messages.allSatisfy { $0.topic == topic && $0.qos == qos && !$0.retain })
            #expect(subscriber.statistics.received == 10)
            await publisher.shutdown()
            await subscriber.shutdown()
        }
    }

    @Test("A retained message reaches a late subscriber")
    func retained() async throws {
        try await MosquittoBroker.with { broker in
            let topic = unique("retained") + "/status"
            let publisher = try await connectedClient(broker)
            try await publisher.publish(topic, payload: Array("online".utf8), qos: .atLeastOnce, retain: true)
            let late = try await connectedClient(broker)
            try await late.subscribe(topic)
            let message = try #require(try await receive(1, from: late).first)
            #expect(message.payloadString == "online")
            #expect(message.retain)
            await publisher.shutdown()
            await late.shutdown()
        }
    }

    @Test("A 256 KiB payload arrives intact")
    func largePayload() async throws {
        try await MosquittoBroker.with { broker in
            let topic = unique("large")
            let payload = (0..<(256 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let subscriber = try await connectedClient(broker)
            try await subscriber.subscribe(topic, qos: .exactlyOnce)
            let publisher = try await connectedClient(broker)
            try await publisher.publish(topic, payload: payload, qos: .exactlyOnce)
            let message = try #require(try await receive(1, from: subscriber).first)
            #expect(message.payload == payload)
            await publisher.shutdown()
            await subscriber.shutdown()
        }
    }

    @Test("Unsubscribe stops delivery")
    func unsubscribe() async throws {
        try await MosquittoBroker.with { broker in
            let prefix = unique("unsub")
            let client = try await connectedClient(broker)
            try await client.subscribe("\(prefix)/a")
            try await client.subscribe("\(prefix)/b")
            try await client.unsubscribe("\(prefix)/a")
            try await client.publish("\(prefix)/a", payload: Array("not for us".utf8), qos: .atLeastOnce)
            try await client.publish("\(prefix)/b", payload: Array("for us".utf8), qos: .atLeastOnce)
            let message = try #require(try await receive(1, from: client).first)
            #expect(message.topic == "\(prefix)/b")
            await client.shutdown()
        }
    }

    @Test("Many concurrent publishing tasks lose nothing")
    func concurrentPublishers() async throws {
        // mosquitto drops QoS 1 messages for a subscriber more than max_queued_messages (1000) behind.
        try await MosquittoBroker.with(.init(extraConfiguration: ["max_queued_messages 0"])) { broker in
            let topic = unique("concurrent")
            let subscriber = try await connectedClient(broker) { $0.delivery = .stream(capacity: 100_000) }
            try await subscriber.subscribe("\(topic)/#", qos: .atLeastOnce)
            let publisher = try await connectedClient(broker)
            let tasks = 32, perTask = 50
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<tasks {
                    group.addTask {
                        for index in 0..<perTask {
                            let qos: MQTTQoS = index % 2 == 0 ? .atLeastOnce : .exactlyOnce
                            try await publisher.publish("\(topic)/\(task)", payload: Array("\(task):\(index)".utf8), qos: qos)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let messages = try await receive(tasks * perTask, from: subscriber, within: 40)
            // QoS 1 is at least once: a duplicate is allowed, a loss is not.
            let expected = Set((0..<tasks).flatMap { task in (0..<perTask).map { "\(task):\($0)" } })
            #expect(Set(messages.map(\.payloadString)) == expected)
            await publisher.shutdown()
            await subscriber.shutdown()
        }
    }

    @Test("The synchronous handler receives every message on the network thread")
    func handlerDelivery() async throws {
        try await MosquittoBroker.with { broker in
            let topic = unique("handler")
            let (stream, continuation) = AsyncStream.makeStream(of: String.self)
            var configuration = MQTTConfiguration(port: broker.port, clientID: unique("handler"))
            configuration.delivery = .handler
            let subscriber = try MQTTClient(configuration: configuration) { message in
                continuation.yield(message.payloadString)
            }
            try await subscriber.connect()
            try await subscriber.subscribe(topic)
            let publisher = try await connectedClient(broker)
            for index in 0..<100 { try publisher.publishWithoutWaiting(topic, payload: Array("\(index)".utf8)) }
            let received = try await within(10, "100 handler calls") {
                var values: [String] = []
                for await value in stream {
                    values.append(value)
                    if values.count == 100 { break }
                }
                return values
            }
            #expect(received == (0..<100).map(String.init))
            await publisher.shutdown()
            await subscriber.shutdown()
        }
    }

    @Test("A full buffer drops the oldest messages and counts them")
    func boundedBuffer() async throws {
        try await MosquittoBroker.with { broker in
            let topic = unique("bounded")
            let subscriber = try await connectedClient(broker) { $0.delivery = .stream(capacity: 10) }
            try await subscriber.subscribe(topic, qos: .atLeastOnce)
            let publisher = try await connectedClient(broker)
            // Bounded, so that a lost acknowledgement says so instead of running into the suite's time limit.
            try await within(20, "200 acknowledged publishes") {
                for index in 0..<200 {
                    try await publisher.publish(topic, payload: Array("\(index)".utf8), qos: .atLeastOnce)
                }
            }
            // Wait until the subscriber has seen all 200, without reading the stream.
            _ = try await within(10, "200 received") {
                while subscriber.statistics.received < 200 { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(subscriber.statistics.dropped == 190)
            let kept = try await receive(10, from: subscriber)
            #expect(kept.map(\.payloadString) == (190..<200).map(String.init))
            await publisher.shutdown()
            await subscriber.shutdown()
        }
    }

    @Test("An MQTT 5 connection works end to end")
    func mqtt5() async throws {
        try await MosquittoBroker.with { broker in
            let topic = unique("v5")
            let subscriber = try await connectedClient(broker) { $0.protocolVersion = .v5 }
            try await subscriber.subscribe(topic, qos: .exactlyOnce)
            let publisher = try await connectedClient(broker) { $0.protocolVersion = .v5 }
            try await publisher.publish(topic, payload: Array("five".utf8), qos: .exactlyOnce)
            #expect(try await receive(1, from: subscriber).first?.payloadString == "five")
            let log = try String(contentsOf: broker.directory.appendingPathComponent("mosquitto.log"), encoding: .utf8)
            #expect(log.contains("p5"), "the broker log names the protocol of each connection (p2 = 3.1.1, p5 = 5)")
            await publisher.shutdown()
            await subscriber.shutdown()
        }
    }
}
