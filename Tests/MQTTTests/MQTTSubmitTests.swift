import Foundation
import MQTT
import MQTTTesting
import Testing

@Suite("MQTT submit now, await the acknowledgement later", .timeLimit(.minutes(1)))
struct MQTTSubmitTests {
    @Test("Many QoS 1 messages in flight at once arrive in order; acknowledgements that came before the wait are kept")
    func inOrder() async throws {
        // mosquitto drops QoS 1 messages for a subscriber more than max_queued_messages (1000) behind.
        try await MosquittoBroker.with(.init(extraConfiguration: ["max_queued_messages 0"])) { broker in
            let topic = unique("submit")
            let subscriber = try await connectedClient(broker)
            try await subscriber.subscribe(topic, qos: .atLeastOnce)
            let publisher = try await connectedClient(broker)
            // More than libmosquitto's 20 in flight: the rest wait in its queue, still in order.
            let pending = try (0..<200).map { try publisher.submit(topic, payload: Array("m\($0)".utf8), qos: .atLeastOnce) }
            let messages = try await receive(200, from: subscriber)
            // Every PUBACK has arrived by now, before anyone waited for it.
            for message in pending { try await within(5, "a PUBACK that came early") { try await publisher.acknowledgement(of: message) } }
            #expect(messages.map(\.payloadString) == (0..<200).map { "m\($0)" })
            await publisher.shutdown()
            await subscriber.shutdown()
        }
    }

    @Test("Abandoned acknowledgements are not kept, later ones still arrive, and a handle is awaited at most once")
    func abandon() async throws {
        try await MosquittoBroker.with { broker in
            let topic = unique("abandon")
            let subscriber = try await connectedClient(broker)
            try await subscriber.subscribe(topic, qos: .atLeastOnce)
            let publisher = try await connectedClient(broker)
            for index in 0..<50 { publisher.abandon(try publisher.submit(topic, payload: Array("a\(index)".utf8), qos: .atLeastOnce)) }
            let last = try publisher.submit(topic, payload: Array("last".utf8), qos: .exactlyOnce)
            try await within(5, "the PUBCOMP of the last") { try await publisher.acknowledgement(of: last) }
            // A second wait, or a wait after abandon, would otherwise wait for an ack that was already taken.
            let twice = await #expect(throws: MQTTError.self) { try await within(5, "a second wait") { try await publisher.acknowledgement(of: last) } }
            #expect(twice?.code == .invalidArgument)
            let abandoned = try publisher.submit(topic, payload: Array("gone".utf8), qos: .atLeastOnce)
            publisher.abandon(abandoned)
            publisher.abandon(abandoned)  // twice is harmless
            let afterAbandon = await #expect(throws: MQTTError.self) { try await within(5, "a wait after abandon") { try await publisher.acknowledgement(of: abandoned) } }
            #expect(afterAbandon?.code == .invalidArgument)
            let messages = try await receive(52, from: subscriber)
            #expect(messages.map(\.payloadString) == (0..<50).map { "a\($0)" } + ["last", "gone"])
            await publisher.shutdown()
            await subscriber.shutdown()
        }
    }

    @Test("QoS 0 cannot be submitted; a submitted message whose client shut down fails instead of waiting forever")
    func refusals() async throws {
        try await MosquittoBroker.with { broker in
            let client = try await connectedClient(broker)
            #expect(throws: MQTTError.self) { try client.submit(unique("t"), payload: [1], qos: .atMostOnce) }
            broker.stop()
            _ = try await waitForEvent(client, "disconnect") { if case .disconnected = $0 { true } else { false } }
            // Queued for a reconnect that never comes: shutdown ends the wait.
            let stranded = try client.submit(unique("t"), payload: [1], qos: .atLeastOnce)
            await client.shutdown()
            let error = await #expect(throws: MQTTError.self) { try await client.acknowledgement(of: stranded) }
            #expect(error?.code == .shutDown)
        }
    }
}

/// 65,535 round trips, under ThreadSanitizer too: more time than the suite above gives.
@Suite("MQTT message ids that come round again", .timeLimit(.minutes(5)))
struct MQTTMessageIDReuseTests {
    @Test("A handle dropped without a wait does not lend its acknowledgement to the message that gets its id next")
    func droppedHandle() async throws {
        try await MosquittoBroker.with { broker in
            let topic = unique("dropped")
            let subscriber = try await connectedClient(broker)
            try await subscriber.subscribe(topic, qos: .atLeastOnce)
            let publisher = try await connectedClient(broker)
            _ = try publisher.submit(topic, payload: Array("dropped".utf8), qos: .atLeastOnce)  // never awaited nor abandoned
            _ = try await receive(1, from: subscriber)
            // Its PUBACK comes before the fillers' (one TCP stream), kept for a wait that never comes.
            // libmosquitto numbers messages 1…65535 and starts again: 65,534 more bring the next one to the same id.
            var remaining = 65_534
            while remaining > 0 {
                let batch = try (0..<min(1000, remaining)).map { _ in try publisher.submit(topic + "/filler", payload: [1], qos: .atLeastOnce) }
                for message in batch { try await publisher.acknowledgement(of: message) }
                remaining -= batch.count
            }
            // With the broker stopped, no acknowledgement can come for the new message: its wait must wait.
            kill(broker.pid, SIGSTOP)
            defer { kill(broker.pid, SIGCONT) }
            let reused = try publisher.submit(topic, payload: Array("reused".utf8), qos: .atLeastOnce)
            await #expect(throws: TimedOut.self, "the old message's PUBACK was taken for the new one") {
                try await within(1, "an acknowledgement from a stopped broker") { try await publisher.acknowledgement(of: reused) }
            }
            kill(broker.pid, SIGCONT)
            await publisher.shutdown()
            await subscriber.shutdown()
        }
    }
}
