// Measures `sensor-emulator publish --max-rate` through a local mosquitto next to the broker's own
// ceiling measured in the same run, and how fast `sensor-emulator generate` writes rows.
//
//   make bench-emulator, or:
//   swift build -c release --product sensor-emulator && swift build -c release --product bench-emulator
//   .build/release/bench-emulator [messages] [rows] [runs]
//
// Publish: messages per second from the first publish to the last message received by
// `mosquitto_sub -C N`. The ceiling publishes the same kind of payload lines (real emulator
// telemetry) with `mosquitto_pub -l`; our figure runs the real command line. Every figure is the
// median of `runs` runs. The goal is at least 80 % of the ceiling, and 1 million rows in under 5 s.
import Foundation
import MQTTTesting
import Simulation
import Telemetry

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let messages = arguments.count > 0 ? arguments[0] : 200_000
let rows = arguments.count > 1 ? arguments[1] : 1_000_000
let runs = arguments.count > 2 ? arguments[2] : 3
let devices = 10

struct BenchError: Error, CustomStringConvertible { let description: String }

let emulator = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    .appendingPathComponent("sensor-emulator")
guard FileManager.default.isExecutableFile(atPath: emulator.path) else {
    throw BenchError(description: "\(emulator.path) is missing: swift build -c release --product sensor-emulator (or make bench-emulator)")
}

func launch(_ executable: String, _ arguments: [String], stdin: URL? = nil, stdout: FileHandle? = nil) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = stdout ?? FileHandle.nullDevice
    process.standardError = FileHandle.standardError
    process.standardInput = try stdin.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
    try process.run()
    return process
}

func tool(_ name: String) throws -> String {
    guard let path = MosquittoBroker.findExecutable(name) else { throw BenchError(description: "\(name) not found (apt-get install mosquitto-clients)") }
    return path
}

/// Real telemetry payloads, one per line, as the emulator would publish them.
func writePayloadLines(count: Int) throws -> URL {
    var emulation = try Emulation(.init(deviceCount: devices, rate: 10, seed: 42, origin: .now()))
    let encoder = TelemetryEncoder(emulation: emulation)
    var text: [UInt8] = []
    var buffer: [UInt8] = []
    var written = 0
    while written < count {
        let reading = emulation.next().reading
        guard !reading.isMissing else { continue }
        encoder.encode(reading, into: &buffer)
        text += buffer
        text.append(10)
        written += 1
    }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("bench-emulator-\(getpid()).txt")
    try Data(text).write(to: url)
    return url
}

func subscriber(_ broker: MosquittoBroker, filter: String, count: Int) throws -> Process {
    try launch(try tool("mosquitto_sub"), ["-h", broker.host, "-p", "\(broker.port)", "-t", filter, "-C", "\(count)"])
}

func ceiling(_ broker: MosquittoBroker, lines: URL) async throws -> Double {
    let topic = "sensors/ceiling-\(UUID().uuidString.prefix(6))/telemetry"
    let sub = try subscriber(broker, filter: topic, count: messages)
    try await Task.sleep(for: .milliseconds(400))  // let it subscribe
    let start = ContinuousClock.now
    let pub = try launch(try tool("mosquitto_pub"), ["-h", broker.host, "-p", "\(broker.port)", "-t", topic, "-l"], stdin: lines)
    sub.waitUntilExit()
    let elapsed = ContinuousClock.now - start
    pub.waitUntilExit()
    return Double(messages) / elapsed.seconds
}

/// From the first publish (the emulator prints its "publishing …" line right before its loop starts,
/// after start-up and connect) to the last message received.
func publish(_ broker: MosquittoBroker) async throws -> Double {
    let sub = try subscriber(broker, filter: "sensors/+/telemetry", count: messages)
    try await Task.sleep(for: .milliseconds(400))
    let errors = Pipe()
    let run = Process()
    run.executableURL = emulator
    run.arguments = ["publish", "--max-rate", "--count", "\(messages)", "--devices", "\(devices)", "--rate", "10", "--qos", "0",
                     "--port", "\(broker.port)", "--no-truth-log", "--progress-interval", "0", "--client-id", "bench-\(UUID().uuidString.prefix(6))"]
    run.standardOutput = FileHandle.nullDevice
    run.standardError = errors
    try run.run()
    var seen: [UInt8] = []
    while !seen.contains(UInt8(ascii: "\n")) {
        let chunk = errors.fileHandleForReading.availableData
        guard !chunk.isEmpty else { throw BenchError(description: "sensor-emulator publish ended before publishing") }
        seen += chunk
    }
    let start = ContinuousClock.now
    sub.waitUntilExit()
    let elapsed = ContinuousClock.now - start
    run.waitUntilExit()
    let rest = errors.fileHandleForReading.readDataToEndOfFile()
    guard run.terminationStatus == 0 else {
        throw BenchError(description: "sensor-emulator publish failed (\(run.terminationStatus)): \(String(decoding: seen + rest, as: UTF8.self))")
    }
    return Double(messages) / elapsed.seconds
}

/// `generate` with half the rows in the training set and half in the test set (anomalies, labels,
/// ground truth and the HTML report included). Returns (rows written, seconds).
func generate() throws -> (rows: Int, seconds: Double) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-generate-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let half = rows / devices / 2
    // Dropouts leave a few test rows out; 1 % more test time keeps the total at or above `rows`.
    let test = half + half / 100
    let output = Pipe()
    let start = ContinuousClock.now
    let run = try launch(emulator.path, ["generate", "--devices", "\(devices)", "--training-duration", "\(half)s", "--duration", "\(test)s",
                                         "--output-dir", directory.path], stdout: output.fileHandleForWriting)
    run.waitUntilExit()
    let elapsed = ContinuousClock.now - start
    try output.fileHandleForWriting.close()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    guard run.terminationStatus == 0, let line = text.split(separator: "\n").last(where: { $0.hasSuffix("rows/s)") }),
          let written = Int(line.prefix { $0.isNumber }) else {
        throw BenchError(description: "sensor-emulator generate failed (\(run.terminationStatus)): \(text)")
    }
    return (written, elapsed.seconds)
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

let broker = try await MosquittoBroker.start(.init(extraConfiguration: ["max_queued_messages 0"]))
let lines = try writePayloadLines(count: messages)
let payloadBytes = (try Data(contentsOf: lines).count) / messages - 1
print("bench-emulator: mosquitto on 127.0.0.1:\(broker.port); \(messages) messages of ~\(payloadBytes) bytes, \(devices) devices; medians of \(runs) runs")
var ceilings: [Double] = [], ours: [Double] = []
for _ in 0..<runs {
    ceilings.append(try await ceiling(broker, lines: lines))
    ours.append(try await publish(broker))
}
let c = median(ceilings), o = median(ours)
print(String(format: "  ceiling  mosquitto_pub -l -> mosquitto_sub        %9.0f msg/s   runs: %@", c, ceilings.map { String(Int($0)) }.joined(separator: ", ")))
print(String(format: "  publish  sensor-emulator --max-rate -> mosquitto_sub %9.0f msg/s   runs: %@", o, ours.map { String(Int($0)) }.joined(separator: ", ")))
print(String(format: "  ratio    %.1f %% of the ceiling (goal: at least 80 %%)  %@", 100 * o / c, o >= 0.8 * c ? "PASS" : "FAIL"))
broker.stop()
try? FileManager.default.removeItem(at: lines)

var generated: [(rows: Int, seconds: Double)] = []
for _ in 0..<runs { generated.append(try generate()) }
let seconds = median(generated.map(\.seconds))
let written = generated[0].rows
print(String(format: "  generate %d rows (train + test, labels, truth, report) in %.2f s = %.0f rows/s (goal: 1 million rows in under 5 s)  %@",
             written, seconds, Double(written) / seconds, Double(written) / seconds >= 200_000 ? "PASS" : "FAIL"))
print("           runs: " + generated.map { String(format: "%.2f s", $0.seconds) }.joined(separator: ", "))
