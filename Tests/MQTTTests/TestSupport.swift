import Foundation
import Logging
import MQTT
import MQTTTesting
import Testing

/// A client id and topic prefix unique to this test, so tests can share nothing and run in parallel.
func unique(_ name: String) -> String { "\(name)-\(UUID().uuidString.prefix(8))" }

func makeClient(_ broker: MosquittoBroker, id: String = unique("client"), logger: Logger = Logger(label: "test"),
                _ configure: (inout MQTTConfiguration) -> Void = { _ in }) throws -> MQTTClient {
    var configuration = MQTTConfiguration(host: broker.host, port: broker.port, clientID: id, connectTimeout: 5)
    configure(&configuration)
    return try MQTTClient(configuration: configuration, logger: logger)
}

func connectedClient(_ broker: MosquittoBroker, id: String = unique("client"),
                     _ configure: (inout MQTTConfiguration) -> Void = { _ in }) async throws -> MQTTClient {
    let client = try makeClient(broker, id: id, configure)
    try await client.connect()
    return client
}

/// Waits for the first connection event that `matches`.
func waitForEvent(_ client: MQTTClient, within seconds: Double = 15, _ what: String,
                  _ matches: @escaping @Sendable (MQTTConnectionEvent) -> Bool) async throws -> MQTTConnectionEvent {
    let events = client.connectionEvents
    return try await within(seconds, what) {
        for await event in events where matches(event) { return event }
        throw TimedOut(description: "event stream ended before \(what)")
    }
}

/// Runs `tool` (mosquitto_pub, mosquitto_sub) in the background and returns its process.
func launch(_ tool: String, _ arguments: [String]) throws -> (Process, Pipe) {
    guard let path = MosquittoBroker.findExecutable(tool) else {
        throw BrokerError_("\(tool) not found: apt-get install mosquitto-clients (make test does)")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    return (process, output)
}

struct BrokerError_: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
