// Measures how fast the MQTT client receives and publishes through a local mosquitto, next to the
// broker's own ceiling measured in the same run with the C clients mosquitto_pub and mosquitto_sub.
//
//   swift run -c release bench-mqtt [messages-qos0] [messages-qos1] [runs]
//
// Every figure is messages per second from the first publish to the last message received, the
// median of `runs` runs. The same publisher (mosquitto_pub -l) feeds every subscriber, so the
// subscriber is the only thing that differs between the ceiling and our figures.
import Foundation
import MQTT
import MQTTTesting
import Synchronization

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let countQoS0 = arguments.count > 0 ? arguments[0] : 200_000
let countQoS1 = arguments.count > 1 ? arguments[1] : 50_000
let runs = arguments.count > 2 ? arguments[2] : 3

let payload = #"{"device":"pump-01","ts":1763794800125,"seq":1042,"values":{"temperature":71.2,"vibration":0.031,"current":12.4,"pressure":5.61}}"#
let linesFile = FileManager.default.temporaryDirectory.appendingPathComponent("bench-mqtt-\(getpid()).txt")

func writeLines(_ count: Int) throws {
    let text = String(repeating: payload + "\n", count: count)
    try text.write(to: linesFile, atomically: true, encoding: .utf8)
}

func launch(_ tool: String, _ arguments: [String], stdin: URL? = nil) throws -> Process {
    guard let path = MosquittoBroker.findExecutable(tool) else { throw BrokerError_("\(tool) not found (apt-get install mosquitto-clients)") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.standardError
    process.standardInput = try stdin.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
    try process.run()
    return process
}

struct BrokerError_: Error, CustomStringConvertible { let description: String; init(_ d: String) { description = d } }

/// Feeds `count` lines through mosquitto_pub and returns when it has sent them all.
func publishWithMosquittoPub(_ broker: MosquittoBroker, topic: String, qos: Int) throws -> Process {
    try launch("mosquitto_pub", ["-h", broker.host, "-p", "\(broker.port)", "-q", "\(qos)", "-t", topic, "-l"], stdin: linesFile)
}

func ceiling(_ broker: MosquittoBroker, count: Int, qos: Int) async throws -> Double {
    let topic = "bench/ceiling/\(UUID().uuidString.prefix(6))"
    let subscriber = try launch("mosquitto_sub", ["-h", broker.host, "-p", "\(broker.port)", "-q", "\(qos)", "-t", topic, "-C", "\(count)"])
    try await Task.sleep(for: .milliseconds(400))  // let it subscribe
    let start = ContinuousClock.now
    let publisher = try publishWithMosquittoPub(broker, topic: topic, qos: qos)
    subscriber.waitUntilExit()
    let elapsed = ContinuousClock.now - start
    publisher.waitUntilExit()
    return Double(count) / elapsed.seconds
}

func ours(_ broker: MosquittoBroker, count: Int, qos: Int, handler: Bool) async throws -> Double {
    let topic = "bench/ours/\(UUID().uuidString.prefix(6))"
    var configuration = MQTTConfiguration(port: broker.port, clientID: "bench-\(UUID().uuidString.prefix(6))")
    let received = Atomic<Int>(0)
    let done = Mutex<CheckedContinuation<Void, Never>?>(nil)
    let client: MQTTClient
    if handler {
        configuration.delivery = .handler
        client = try MQTTClient(configuration: configuration) { _ in
            if received.add(1, ordering: .relaxed).newValue == count { done.withLock { $0?.resume(); $0 = nil } }
        }
    } else {
        configuration.delivery = .stream(capacity: 100_000)
        client = try MQTTClient(configuration: configuration)
    }
    try await client.connect()
    try await client.subscribe(topic, qos: MQTTQoS(rawValue: Int32(qos))!)
    let start = ContinuousClock.now
    let publisher = try publishWithMosquittoPub(broker, topic: topic, qos: qos)
    if handler {
        await withCheckedContinuation { continuation in
            done.withLock { $0 = continuation }
            if received.load(ordering: .relaxed) >= count { done.withLock { $0?.resume(); $0 = nil } }
        }
    } else {
        var seen = 0
        for await _ in client.messages {
            seen += 1
            if seen == count { break }
        }
    }
    let elapsed = ContinuousClock.now - start
    publisher.waitUntilExit()
    let dropped = client.statistics.dropped
    await client.shutdown()
    if dropped > 0 { print("  (stream dropped \(dropped))") }
    return Double(count) / elapsed.seconds
}

/// Our publisher, fire-and-forget at QoS 0 / awaited in a window at QoS 1, into mosquitto_sub.
func oursPublishing(_ broker: MosquittoBroker, count: Int, qos: Int) async throws -> Double {
    let topic = "bench/pub/\(UUID().uuidString.prefix(6))"
    let subscriber = try launch("mosquitto_sub", ["-h", broker.host, "-p", "\(broker.port)", "-q", "\(qos)", "-t", topic, "-C", "\(count)"])
    try await Task.sleep(for: .milliseconds(400))
    let client = try MQTTClient(configuration: MQTTConfiguration(port: broker.port, clientID: "bench-pub-\(UUID().uuidString.prefix(6))"))
    try await client.connect()
    let bytes = Array(payload.utf8)
    let start = ContinuousClock.now
    let qosLevel = MQTTQoS(rawValue: Int32(qos))!
    // No await per message: at QoS 1 libmosquitto queues what exceeds the in-flight window and sends it as acks return.
    for _ in 0..<count { try client.publishWithoutWaiting(topic, payload: bytes, qos: qosLevel) }
    subscriber.waitUntilExit()
    let elapsed = ContinuousClock.now - start
    await client.shutdown()
    return Double(count) / elapsed.seconds
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

func format(_ rate: Double) -> String { String(format: "%9.0f msg/s", rate) }

let broker = try await MosquittoBroker.start(.init(extraConfiguration: ["max_queued_messages 0", "max_inflight_messages 20"]))
print("bench-mqtt: mosquitto on 127.0.0.1:\(broker.port), \(runs) runs each, medians; payload \(payload.utf8.count) bytes")
for (qos, count) in [(0, countQoS0), (1, countQoS1)] {
    try writeLines(count)
    var ceilingRates: [Double] = [], handlerRates: [Double] = [], streamRates: [Double] = [], publishRates: [Double] = []
    for _ in 0..<runs {
        ceilingRates.append(try await ceiling(broker, count: count, qos: qos))
        handlerRates.append(try await ours(broker, count: count, qos: qos, handler: true))
        streamRates.append(try await ours(broker, count: count, qos: qos, handler: false))
        publishRates.append(try await oursPublishing(broker, count: count, qos: qos))
    }
    let c = median(ceilingRates)
    print("QoS \(qos), \(count) messages:")
    print("  ceiling  mosquitto_pub -> mosquitto_sub   \(format(c))   runs: \(ceilingRates.map { Int($0) })")
    print("  receive  MQTTClient, synchronous handler  \(format(median(handlerRates)))   \(String(format: "%5.1f", 100 * median(handlerRates) / c)) % of ceiling   runs: \(handlerRates.map { Int($0) })")
    print("  receive  MQTTClient, AsyncSequence        \(format(median(streamRates)))   \(String(format: "%5.1f", 100 * median(streamRates) / c)) % of ceiling   runs: \(streamRates.map { Int($0) })")
    print("  publish  MQTTClient -> mosquitto_sub      \(format(median(publishRates)))   \(String(format: "%5.1f", 100 * median(publishRates) / c)) % of ceiling   runs: \(publishRates.map { Int($0) })")
}
broker.stop()
try? FileManager.default.removeItem(at: linesFile)
