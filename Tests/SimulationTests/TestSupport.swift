import Foundation
import MQTT
import MQTTTesting
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A client id or topic suffix unique to this test, so tests share nothing and can run in parallel.
func unique(_ name: String) -> String { "\(name)-\(UUID().uuidString.prefix(8))" }

enum Paths {
    /// The package root (three levels above this file).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let config = repository.appendingPathComponent("config")
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    /// The SKAB benchmark, when the shared folder is next to the repository (never copied into it).
    static let skab = repository.appendingPathComponent("../shared/datasets/skab").standardizedFileURL

    /// The `sensor-emulator` built with the tests: next to the test binary, in the products folder.
    static var emulator: URL {
        get throws {
            let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            for folder in [besideTests, besideTests.deletingLastPathComponent(), repository.appendingPathComponent(".build/debug")] {
                let candidate = folder.appendingPathComponent("sensor-emulator")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            throw TestFailure("sensor-emulator was not found next to the test binary; build it with `swift build --product sensor-emulator`")
        }
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("simulation-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body`, failing with `TestFailure` if it takes longer than `seconds` (a guard against hangs,
/// not an assertion about speed).
func within<T: Sendable>(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw TestFailure("timed out after \(seconds) s waiting for \(what)")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// A subscriber on a test broker that keeps every message it receives.
final class Recorder: Sendable {
    let client: MQTTClient
    private let received = Mutex<[MQTTMessage]>([])

    private init(client: MQTTClient) { self.client = client }

    static func subscribe(_ broker: MosquittoBroker, to filters: [String], tls caFile: String? = nil,
                          user: (name: String, password: String)? = nil) async throws -> Recorder {
        var configuration = MQTTConfiguration(host: broker.host, port: broker.port, clientID: unique("recorder"), connectTimeout: 5)
        configuration.tls = caFile.map { .init(caFile: $0) }
        configuration.username = user?.name
        configuration.password = user?.password
        configuration.delivery = .handler
        configuration.reconnectDelay = 1...2
        let holder = Mutex<Recorder?>(nil)
        let client = try MQTTClient(configuration: configuration) { message in
            holder.withLock { $0 }?.received.withLock { $0.append(message) }
        }
        let recorder = Recorder(client: client)
        holder.withLock { $0 = recorder }
        try await client.connect()
        for filter in filters { try await client.subscribe(filter, qos: .atLeastOnce) }
        return recorder
    }

    var messages: [MQTTMessage] { received.withLock { $0 } }

    func messages(matching suffix: String) -> [MQTTMessage] { messages.filter { $0.topic.hasSuffix(suffix) } }

    /// Waits until `condition` holds for the messages so far.
    func wait(for what: String, seconds: Double = 15, until condition: @escaping @Sendable ([MQTTMessage]) -> Bool) async throws {
        try await within(seconds, what) {
            while !condition(self.messages) { try await Task.sleep(for: .milliseconds(20)) }
        }
    }
}

/// The emulator binary, running, with its standard error captured.
final class EmulatorProcess: Sendable {
    private let process: Process
    private let errorText = Mutex<String>("")
    private let outputText = Mutex<String>("")

    private init(process: Process) { self.process = process }

    static func launch(_ arguments: [String]) throws -> EmulatorProcess {
        let process = Process()
        process.executableURL = try Paths.emulator
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let errorPipe = Pipe(), outputPipe = Pipe()
        process.standardError = errorPipe
        process.standardOutput = outputPipe
        let running = EmulatorProcess(process: process)
        errorPipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            running.errorText.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        outputPipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            running.outputText.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        return running
    }

    /// Runs to the end and returns (status, standard output, standard error).
    static func run(_ arguments: [String], seconds: Double = 30) async throws -> (status: Int32, output: String, error: String) {
        let running = try launch(arguments)
        let status = try await running.waitForExit(seconds: seconds)
        return (status, running.standardOutput, running.standardError)
    }

    var standardError: String { errorText.withLock { $0 } }
    var standardOutput: String { outputText.withLock { $0 } }

    /// Waits until standard error contains `text`.
    func waitFor(_ text: String, seconds: Double = 15) async throws {
        try await within(seconds, "\(text.debugDescription) on the emulator's standard error") {
            while !self.standardError.contains(text) {
                guard self.process.isRunning || self.standardError.contains(text) else {
                    throw TestFailure("the emulator exited before printing \(text.debugDescription):\n\(self.standardError)")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the process to end (killing it after `seconds`) and returns its status.
    func waitForExit(seconds: Double = 30) async throws -> Int32 {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                throw TestFailure("the emulator did not exit within \(seconds) s:\n\(standardError)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(50))  // let the pipes deliver their last bytes
        return process.terminationStatus
    }

    /// The `key=value` fields of the summary line.
    var summary: [String: String] {
        guard let line = standardError.split(separator: "\n").last(where: { $0.hasPrefix("summary:") }) else { return [:] }
        var fields: [String: String] = [:]
        for word in line.split(separator: " ") where word.contains("=") {
            let parts = word.split(separator: "=", maxSplits: 1)
            fields[String(parts[0])] = String(parts[1])
        }
        return fields
    }

    deinit { if process.isRunning { process.terminate() } }
}
