import CMosquitto
import Foundation
import Logging
@testable import MQTT
import MQTTTesting
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("MQTT connections, failures and recovery", .timeLimit(.minutes(1)))
struct MQTTConnectionTests {
    @Test("Username and password: accepted when right, refused as bad credentials when wrong")
    func passwordAuthentication() async throws {
        try await MosquittoBroker.with(.init(authentication: .password(user: "agent", password: "s3cret"))) { broker in
            let good = try await connectedClient(broker) { $0.username = "agent"; $0.password = "s3cret" }
            #expect(good.isConnected)
            await good.shutdown()

            for version in MQTTConfiguration.ProtocolVersion.allCases {
                let bad = try makeClient(broker) { $0.username = "agent"; $0.password = "wrong"; $0.protocolVersion = version }
                let error = await #expect(throws: MQTTError.self) { try await bad.connect() }
                // mosquitto answers a wrong password with "not authorised" (CONNACK 5 / reason 0x87), not 4 / 0x86.
                #expect(error?.code == .notAuthorized || error?.code == .badCredentials, "\(version): \(String(describing: error))")
                #expect(!bad.isConnected)
                await bad.shutdown()
            }
            let anonymous = try makeClient(broker)
            let error = await #expect(throws: MQTTError.self) { try await anonymous.connect() }
            #expect(error?.code == .notAuthorized || error?.code == .badCredentials, "\(String(describing: error))")
            await anonymous.shutdown()
        }
    }

    @Test("TLS: accepted with the right CA, refused with a wrong one")
    func tls() async throws {
        try await MosquittoBroker.with(.init(tls: true)) { broker in
            let certificates = try #require(broker.certificates)
            let good = try await connectedClient(broker) { $0.tls = .init(caFile: certificates.caFile) }
            let topic = unique("tls")
            try await good.subscribe(topic)
            try await good.publish(topic, payload: Array("secret".utf8), qos: .atLeastOnce)
            #expect(try await receive(1, from: good).first?.payloadString == "secret")
            await good.shutdown()

            let wrong = try makeClient(broker) { $0.tls = .init(caFile: certificates.wrongCAFile) }
            let error = await #expect(throws: MQTTError.self) { try await wrong.connect() }
            #expect(error?.code == .tls, "\(String(describing: error))")
            await wrong.shutdown()

            let plain = try makeClient(broker)
            await #expect(throws: MQTTError.self) { try await plain.connect() }
            await plain.shutdown()
        }
    }

    @Test("A TLS file that does not exist is refused before connecting")
    func missingTLSFile() throws {
        let error = #expect(throws: MQTTError.self) {
            _ = try MQTTClient(configuration: .init(clientID: "x", tls: .init(caFile: "/nonexistent/ca.crt")))
        }
        #expect(error?.code == .tls)
    }

    @Test("Nothing listening: the error says unreachable")
    func unreachable() async throws {
        let port = try await MosquittoBroker.with { $0.port }  // a port that was free a moment ago and is closed now
        let client = try MQTTClient(configuration: .init(port: port, clientID: unique("nobody"), connectTimeout: 5))
        let error = await #expect(throws: MQTTError.self) { try await client.connect() }
        #expect(error?.code == .unreachable, "\(String(describing: error))")
        await client.shutdown()
    }

    @Test("The last will is published when a client vanishes without DISCONNECT")
    func lastWill() async throws {
        try await MosquittoBroker.with { broker in
            let willTopic = unique("will") + "/status"
            let watcher = try await connectedClient(broker)
            try await watcher.subscribe(willTopic)
            let doomed = try await connectedClient(broker) {
                $0.will = .init(topic: willTopic, payload: Array(#"{"state":"offline"}"#.utf8), qos: .atLeastOnce, retain: true)
                $0.keepAlive = 5
            }
            // Cut the TCP connection under libmosquitto, as a network failure would: no DISCONNECT is sent.
            let socket = mosquitto_socket(doomed.core.handle)
            #expect(socket >= 0)
            _ = Glibc.shutdown(socket, Int32(SHUT_RDWR))
            let will = try #require(try await receive(1, from: watcher).first)
            #expect(will.payloadString == #"{"state":"offline"}"#)
            // The doomed client reconnects by itself.
            _ = try await waitForEvent(doomed, "reconnect") { if case .connected = $0 { true } else { false } }
            await doomed.shutdown()
            await watcher.shutdown()
        }
    }

    @Test("No will after an orderly shutdown")
    func noWillAfterShutdown() async throws {
        try await MosquittoBroker.with { broker in
            let willTopic = unique("will")
            let watcher = try await connectedClient(broker)
            try await watcher.subscribe(willTopic)
            let client = try await connectedClient(broker) { $0.will = .init(topic: willTopic, payload: Array("gone".utf8)) }
            await client.shutdown()
            try await watcher.publish(willTopic, payload: Array("marker".utf8), qos: .atLeastOnce)
            #expect(try await receive(1, from: watcher).first?.payloadString == "marker")
            await watcher.shutdown()
        }
    }

    @Test("After the broker restarts the client reconnects, re-subscribes and messages flow again")
    func reconnectAndResubscribe() async throws {
        try await MosquittoBroker.with { broker in
            let topic = unique("restart")
            let subscriber = try await connectedClient(broker) { $0.reconnectDelay = 1...2 }
            try await subscriber.subscribe(topic, qos: .atLeastOnce)
            let events = subscriber.connectionEvents
            broker.stop()
            let lost = try await within(10, "disconnect") {
                for await event in events { if case .disconnected(let reason) = event { return reason } }
                return nil
            }
            #expect(lost != nil)
            #expect(!subscriber.isConnected)
            try await broker.restart()
            _ = try await within(15, "reconnect") {
                for await event in events { if case .connected = event { return } }
            }
            let publisher = try await connectedClient(broker)
            // The SUBSCRIBE sent in on_connect may still be in flight: retry until delivered.
            let received = try await within(10, "message after restart") {
                let messages = subscriber.messages
                async let first = { var iterator = messages.makeAsyncIterator(); return await iterator.next() }()
                while !Task.isCancelled {
                    try await publisher.publish(topic, payload: Array("after".utf8), qos: .atLeastOnce)
                    try await Task.sleep(for: .milliseconds(100))
                    if subscriber.statistics.received > 0 { break }
                }
                return await first
            }
            #expect(received?.payloadString == "after")
            // At least the one reconnect; on a loaded machine a first attempt may race the broker's start-up.
            #expect(subscriber.statistics.connects >= 2)
            await publisher.shutdown()
            await subscriber.shutdown()
        }
    }

    @Test("A QoS 1 publish made during an outage is delivered after the reconnect")
    func publishDuringOutage() async throws {
        try await MosquittoBroker.with(.init(persistence: true)) { broker in
            let topic = unique("outage")
            let durable = unique("durable-subscriber")
            let subscriber = try await connectedClient(broker, id: durable) { $0.cleanSession = false; $0.reconnectDelay = 1...1 }
            try await subscriber.subscribe(topic, qos: .atLeastOnce)
            let publisher = try await connectedClient(broker) { $0.reconnectDelay = 1...1 }
            broker.stop()
            // SIGTERM, not SIGKILL: the broker saved the durable session.
            #expect(FileManager.default.fileExists(atPath: broker.directory.appendingPathComponent("mosquitto.db").path))
            _ = try await waitForEvent(publisher, "publisher disconnect") { if case .disconnected = $0 { true } else { false } }
            let pending = Task { try await publisher.publish(topic, payload: Array("queued".utf8), qos: .atLeastOnce) }
            try await broker.restart()
            try await within(15, "PUBACK after reconnect") { try await pending.value }
            #expect(try await receive(1, from: subscriber, within: 15).first?.payloadString == "queued")
            await publisher.shutdown()
            await subscriber.shutdown()
        }
    }

    @Test("Interoperates both ways with mosquitto_pub and mosquitto_sub")
    func interoperability() async throws {
        try await MosquittoBroker.with { broker in
            let topic = unique("interop")
            // Theirs to ours.
            let client = try await connectedClient(broker)
            try await client.subscribe("\(topic)/in", qos: .atLeastOnce)
            let (pub, _) = try launch("mosquitto_pub", ["-h", broker.host, "-p", "\(broker.port)", "-q", "1", "-t", "\(topic)/in", "-m", "from mosquitto_pub"])
            pub.waitUntilExit()
            #expect(pub.terminationStatus == 0)
            #expect(try await receive(1, from: client).first?.payloadString == "from mosquitto_pub")
            // Ours to theirs.
            let (sub, output) = try launch("mosquitto_sub", ["-h", broker.host, "-p", "\(broker.port)", "-q", "1", "-t", "\(topic)/out", "-C", "1", "-W", "10"])
            // mosquitto_sub has subscribed once the broker counts a subscription from it; retained publish avoids the race.
            try await client.publish("\(topic)/out", payload: Array("from MQTTClient".utf8), qos: .atLeastOnce, retain: true)
            sub.waitUntilExit()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(sub.terminationStatus == 0)
            #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == "from MQTTClient")
            await client.shutdown()
        }
    }

    @Test("libmosquitto's log reaches the Logger at debug level")
    func logCallback() async throws {
        try await MosquittoBroker.with { broker in
            let recorder = LogRecorder()
            var logger = Logger(label: "test") { _ in recorder }
            logger.logLevel = .debug
            let client = try makeClient(broker, logger: logger)
            try await client.connect()
            await client.shutdown()
            #expect(recorder.messages.contains { $0.contains("CONNACK") }, "\(recorder.messages)")
        }
    }

    @Test("Shutdown is idempotent, ends the streams and refuses later work")
    func shutdown() async throws {
        try await MosquittoBroker.with { broker in
            let client = try await connectedClient(broker)
            await client.shutdown()
            await client.shutdown()
            var iterator = client.messages.makeAsyncIterator()
            #expect(await iterator.next() == nil)
            let error = await #expect(throws: MQTTError.self) { try await client.subscribe("x") }
            #expect(error?.code == .shutDown)
            let connectError = await #expect(throws: MQTTError.self) { try await client.connect() }
            #expect(connectError?.code == .shutDown)
            // The handle is freed: a publish must not reach libmosquitto.
            let publishError = #expect(throws: MQTTError.self) { try client.publishWithoutWaiting("x", payload: [1]) }
            #expect(publishError?.code == .shutDown)
        }
    }

    @Test("Tasks publishing while the client shuts down: each publish goes out or fails with shutDown")
    func shutdownWhilePublishing() async throws {
        try await MosquittoBroker.with { broker in
            let client = try await connectedClient(broker)
            let publishers = (0..<4).map { index in
                Task.detached {
                    var outcomes = (sent: 0, refused: 0)
                    while outcomes.refused == 0 {
                        do {
                            try client.publishWithoutWaiting("shutdown/\(index)", payload: [1], qos: .atLeastOnce)
                            outcomes.sent += 1
                        } catch let error as MQTTError where error.code == .shutDown {
                            outcomes.refused += 1
                        }
                        await Task.yield()  // the cooperative pool has as many threads as cores
                    }
                    return outcomes
                }
            }
            try await Task.sleep(for: .milliseconds(50))
            await client.shutdown()
            for publisher in publishers {
                let outcomes = try await within(5, "the publisher to see the shutdown") { try await publisher.value }
                #expect(outcomes.sent > 0 && outcomes.refused == 1)
            }
        }
    }

    @Test("Dropping a connected client without shutdown disconnects it cleanly")
    func deinitShutsDown() async throws {
        try await MosquittoBroker.with { broker in
            let willTopic = unique("deinit")
            let watcher = try await connectedClient(broker)
            try await watcher.subscribe(willTopic)
            do {
                let client = try await connectedClient(broker) { $0.will = .init(topic: willTopic, payload: Array("will".utf8)) }
                #expect(client.isConnected)
            }
            try await watcher.publish(willTopic, payload: Array("marker".utf8), qos: .atLeastOnce)
            #expect(try await receive(1, from: watcher).first?.payloadString == "marker")
            await watcher.shutdown()
        }
    }
}

/// Collects log messages, for the log-callback test.
final class LogRecorder: LogHandler, Sendable {
    private let storage = Mutex<[String]>([])
    var messages: [String] { storage.withLock { $0 } }
    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }
    func log(event: LogEvent) {
        storage.withLock { $0.append("\(event.message)") }
    }
}

@Suite("MQTT publishing while disconnected", .timeLimit(.minutes(1)))
struct MQTTOfflinePublishTests {
    @Test("publishWithoutWaiting at QoS 1 during an outage queues the message for the reconnect; QoS 0 says not connected")
    func queuedWhileDisconnected() async throws {
        try await MosquittoBroker.with(.init(persistence: true)) { broker in
            let topic = unique("offline")
            let subscriber = try await connectedClient(broker, id: unique("durable")) { $0.cleanSession = false; $0.reconnectDelay = 1...1 }
            try await subscriber.subscribe(topic, qos: .atLeastOnce)
            let publisher = try await connectedClient(broker) { $0.reconnectDelay = 1...1 }
            broker.stop()
            _ = try await waitForEvent(publisher, "publisher disconnect") { if case .disconnected = $0 { true } else { false } }
            try publisher.publishWithoutWaiting(topic, payload: Array("kept".utf8), qos: .atLeastOnce)
            let error = #expect(throws: MQTTError.self) { try publisher.publishWithoutWaiting(topic, payload: Array("lost".utf8)) }
            #expect(error?.code == .notConnected)
            try await broker.restart()
            #expect(try await receive(1, from: subscriber, within: 20).first?.payloadString == "kept")
            await publisher.shutdown()
            await subscriber.shutdown()
        }
    }

    @Test("A test broker keeps none of the test process's descriptors, so an orphaned one cannot hold our files")
    func brokerInheritsNoDescriptors() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(unique("inherited")).path
        let fd = open(path, O_CREAT | O_RDWR, 0o600)  // no O_CLOEXEC, like a lock file held by a build tool
        try #require(fd >= 0)
        defer { close(fd); unlink(path) }
        try await MosquittoBroker.with { broker in
            let directory = "/proc/\(broker.pid)/fd"
            let targets = try FileManager.default.contentsOfDirectory(atPath: directory).compactMap {
                try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\($0)")
            }
            #expect(!targets.isEmpty, "the broker's descriptors were not readable")
            #expect(!targets.contains(path), "the broker holds \(path): \(targets)")
        }
    }
}
