import Detection
import Foundation
import IsolationForest
import MQTT
import MQTTTesting
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `anomaly-agent` executable, built next to the test bundle, run as a child process.
final class AgentProcess: Sendable {
    let process: Process
    let log: URL

    static var executable: URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("anomaly-agent")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return bundle.appendingPathComponent("anomaly-agent")
    }

    init(arguments: [String], directory: URL, environment: [String: String] = [:]) throws {
        process = Process()
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, given in given } }
        process.executableURL = Self.executable
        // Each agent its own journal unless the test names one (a restart test reuses it), in the test's folder.
        let journal = arguments.contains("--store-path") ? [] : ["--store-path", directory.appendingPathComponent("journal-\(UUID().uuidString.prefix(8)).jsonl").path]
        process.arguments = ["run"] + arguments + journal
        process.currentDirectoryURL = directory
        log = directory.appendingPathComponent("agent-\(UUID().uuidString.prefix(6)).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Event ids the agent logged as opened, in order (each is journaled before it is logged).
    var openedEventIDs: [String] {
        output.split(separator: "\n").filter { $0.contains("anomaly event") && $0.contains("state=open") }.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("event_id=") }.map { String($0.dropFirst("event_id=".count)) }
        }
    }

    /// Waits for the process to exit (SIGKILL after `seconds`); returns its status.
    @discardableResult
    func wait(seconds: Double = 10) -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }
}

let sensors = ["temperature", "vibration", "current", "pressure"]

/// Normal readings: current drives temperature and pressure, vibration is noise (deterministic).
func normalReading(_ index: Int, device: Int = 0) -> [Double] {
    var state = UInt64(truncatingIfNeeded: index &* 2_654_435_761 &+ device &* 97 &+ 1)
    func uniform() -> Double {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return Double(state >> 11) / Double(1 << 53)
    }
    func noise() -> Double { uniform() + uniform() + uniform() - 1.5 }
    let load = 0.6 + 0.2 * sin(Double(index) / 50)
    return [60 + 20 * load + noise(), 0.03 + 0.01 * noise(), 10 + 5 * load + 0.2 * noise(), 5 + load + 0.05 * noise()]
}

func telemetry(device: String, seq: Int, _ values: [Double]) -> [UInt8] {
    let body = zip(sensors, values).map { "\"\($0)\":\($1)" }.joined(separator: ",")
    let ts = Int64(Date().timeIntervalSince1970 * 1000)
    return Array("{\"device\":\"\(device)\",\"ts\":\(ts),\"seq\":\(seq),\"values\":{\(body)}}".utf8)
}

/// Trains a model on normal readings and writes it into `directory`.
func writeModel(in directory: URL, name: String = "model.json", seed: UInt64 = 3) throws -> URL {
    let trainer = ModelTrainer(sensors: sensors, forest: IsolationForest.Configuration(treeCount: 100, contamination: .fraction(0.002), seed: seed))
    let model = try trainer.train(readings: ["train": (0..<3000).map { normalReading($0, device: 9) }], date: "2026-01-01T00:00:00Z")
    let url = directory.appendingPathComponent(name)
    try model.write(toFile: url.path)
    return url
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("agent-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Collects every message on `filter` in the background.
final class Collector: Sendable {
    let client: MQTTClient
    private let task: Task<Void, Never>
    private let store = Store()

    final class Store: Sendable {
        private let messages = Mutex<[MQTTMessage]>([])
        func append(_ message: MQTTMessage) { messages.withLock { $0.append(message) } }
        var all: [MQTTMessage] { messages.withLock { $0 } }
    }

    /// `cleanSession: false` with a fixed `clientID` makes a persistent subscriber: the broker queues for it while it is away.
    init(_ broker: MosquittoBroker, filter: String, clientID: String? = nil, cleanSession: Bool = true) async throws {
        client = try MQTTClient(configuration: MQTTConfiguration(port: broker.port, clientID: clientID ?? "collector-\(UUID().uuidString.prefix(6))",
                                                                 cleanSession: cleanSession, reconnectDelay: 1...1))
        try await client.connect()
        try await client.subscribe(filter, qos: .atLeastOnce)
        let messages = client.messages
        let store = self.store
        task = Task { for await message in messages { store.append(message) } }
    }

    var messages: [MQTTMessage] { store.all }

    func payloads(on suffix: String) -> [[String: Any]] {
        messages.filter { $0.topic.hasSuffix(suffix) }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.payload)) as? [String: Any] }
    }

    /// Waits until `condition` holds or `seconds` pass.
    func wait(seconds: Double = 20, _ what: String, until condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            guard Date() < deadline else { throw CollectorTimeout(what: what, seen: messages.map { "\($0.topic) \($0.payloadString.prefix(200))" }) }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func close() async {
        await client.shutdown()
        task.cancel()
    }
}

struct CollectorTimeout: Error, CustomStringConvertible {
    let what: String
    let seen: [String]
    var description: String { "timed out waiting for \(what); saw \(seen.count) messages: \(seen.suffix(8))" }
}
