// Measures the agent: throughput next to the broker's ceiling, latency at a steady rate, memory with
// many devices, and start-up time. All in one run, on this machine, against a local mosquitto.
//
//   swift run -c release bench-agent [--messages N] [--memory-seconds S] [--devices D]
//
// Throughput: mosquitto_pub -l feeds N telemetry lines; the ceiling is what mosquitto_sub receives, the
// agent figure is what the agent scores (in this process, delivery on the MQTT thread), both from the
// first publish to the last message. Latency: 100 devices at 100 Hz (10,000 msg/s) with frequent short
// spikes; a subscriber measures from the telemetry timestamp of the message that opened each event to
// the event's arrival. Memory and start-up use the anomaly-agent executable as a separate process.
import Agent
import Detection
import Foundation
import IsolationForest
import Logging
import MQTT
import MQTTTesting
import Synchronization
import Telemetry

#if canImport(Glibc)
import Glibc
#endif

var options: [String: Double] = ["messages": 300_000, "memory-seconds": 60, "devices": 1_000, "runs": 3, "http": 1]
var argumentIterator = CommandLine.arguments.dropFirst().makeIterator()
while let name = argumentIterator.next() {
    guard name.hasPrefix("--"), let value = argumentIterator.next().flatMap(Double.init) else {
        print("usage: bench-agent [--messages N] [--memory-seconds S] [--devices D] [--runs R] [--http 1|0 (dashboard on, the default, or off)]"); exit(2)
    }
    options[String(name.dropFirst(2))] = value
}
let messageCount = Int(options["messages"]!)
let runs = Int(options["runs"]!)

let sensors = ["temperature", "vibration", "current", "pressure"]
func reading(_ index: Int, device: Int) -> [Double] {
    var state = UInt64(truncatingIfNeeded: index &* 2_654_435_761 &+ device &* 97 &+ 1)
    func uniform() -> Double { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return Double(state >> 11) / Double(1 << 53) }
    func noise() -> Double { uniform() + uniform() + uniform() - 1.5 }
    let load = 0.6 + 0.2 * sin(Double(index) / 50)
    return [60 + 20 * load + noise(), 0.03 + 0.01 * noise(), 10 + 5 * load + 0.2 * noise(), 5 + load + 0.05 * noise()]
}
func payload(device: String?, seq: Int, ts: Int64, _ values: [Double]) -> String {
    let body = zip(sensors, values).map { "\"\($0)\":\((($1 * 1000).rounded() / 1000))" }.joined(separator: ",")
    return "{\(device.map { "\"device\":\"\($0)\"," } ?? "")\"ts\":\(ts),\"seq\":\(seq),\"values\":{\(body)}}"
}
func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
func seconds(_ duration: Duration) -> Double { Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18 }
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}
func launch(_ tool: String, _ arguments: [String], stdin: URL? = nil, stdout: FileHandle = .nullDevice) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: MosquittoBroker.findExecutable(tool) ?? tool)
    process.arguments = arguments
    process.standardOutput = stdout
    process.standardError = FileHandle.standardError
    process.standardInput = try stdin.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
    try process.run()
    return process
}

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-agent-\(getpid())")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
let modelPath = directory.appendingPathComponent("model.json").path
let trainer = ModelTrainer(sensors: sensors, forest: IsolationForest.Configuration(treeCount: 100, contamination: .fraction(0.002), seed: 1))
try trainer.train(readings: ["train": (0..<5_000).map { reading($0, device: 999) }]).write(toFile: modelPath)

// MARK: The detector alone: parse, features, forest, events, per message, no MQTT
do {
    let model = try AnomalyModel(contentsOfFile: modelPath)
    var detector = try Detector(model: model)
    let payloads = (0..<20_000).map { Array(payload(device: nil, seq: $0, ts: 1_763_794_800_000 + Int64($0), reading($0, device: 0)).utf8) }
    var scored = 0
    let start = ContinuousClock.now
    for round in 0..<5 {
        for (index, bytes) in payloads.enumerated() {
            let outcome = bytes.withUnsafeBytes { detector.process(payload: $0, topicDevice: "d\(round)-\(index % 100)") }
            if case .scored = outcome.status { scored += 1 }
        }
    }
    let elapsed = seconds(ContinuousClock.now - start)
    print(String(format: "detector    parse + features + forest + events, one thread: %.2f µs per message (%.0f msg/s), %d scored",
                 elapsed * 1e6 / 100_000, 100_000 / elapsed, scored))
    // What the hand-written parser saves: Foundation's JSONDecoder on the same payloads.
    let decoder = JSONDecoder()
    var decoded = 0
    let decodeStart = ContinuousClock.now
    for bytes in payloads where (try? decoder.decode(TelemetryMessage.self, from: Data(bytes))) != nil { decoded += 1 }
    let decodeElapsed = seconds(ContinuousClock.now - decodeStart)
    print(String(format: "            for comparison, JSONDecoder alone: %.2f µs per message (%d decoded)", decodeElapsed * 1e6 / Double(payloads.count), decoded))
}

// mosquitto's default leaves Nagle's algorithm on for its clients, which adds tens of milliseconds to small
// messages such as events; the deploy configuration turns it off too.
let broker = try await MosquittoBroker.start(.init(extraConfiguration: ["max_queued_messages 0", "set_tcp_nodelay true"]))
print("bench-agent: mosquitto on 127.0.0.1:\(broker.port); model: 100 trees, 4 features; \(ProcessInfo.processInfo.activeProcessorCount) cores")

// MARK: Throughput
let linesFile = directory.appendingPathComponent("lines.txt")
try (0..<messageCount).map { payload(device: nil, seq: $0, ts: 1_763_794_800_000 + Int64($0), reading($0, device: 0)) + "\n" }.joined()
    .write(to: linesFile, atomically: true, encoding: .utf8)
// The same load spread over 1,000 devices named in the payload (mosquitto_pub -l has one topic): the cost of
// per-device state must not grow with the number of devices.
let fleetDevices = 1_000
let fleetLinesFile = directory.appendingPathComponent("fleet-lines.txt")
try (0..<messageCount).map { index in
    payload(device: "fleet-\(index % fleetDevices)", seq: index / fleetDevices, ts: 1_763_794_800_000 + Int64(index), reading(index / fleetDevices, device: index % fleetDevices)) + "\n"
}.joined().write(to: fleetLinesFile, atomically: true, encoding: .utf8)

func ceilingRate() async throws -> Double {
    let subscriber = try launch("mosquitto_sub", ["-p", "\(broker.port)", "-t", "sensors/ceiling/telemetry", "-C", "\(messageCount)"])
    try await Task.sleep(for: .milliseconds(400))
    let start = ContinuousClock.now
    let publisher = try launch("mosquitto_pub", ["-p", "\(broker.port)", "-t", "sensors/ceiling/telemetry", "-l"], stdin: linesFile)
    subscriber.waitUntilExit()
    let elapsed = ContinuousClock.now - start
    publisher.waitUntilExit()
    return Double(messageCount) / seconds(elapsed)
}

/// An agent in this process on the benchmark's broker and model, with its own journal and no dashboard.
func inProcessAgent(id: String, healthInterval: Double, telemetryTopic: String? = nil, maxInFlight: Int = 20) throws -> AgentService {
    var configuration = AgentConfiguration()
    configuration.agent = id
    configuration.store.maxInFlight = maxInFlight
    if let telemetryTopic { configuration.topics.telemetry = try TopicTemplate(telemetryTopic) }
    configuration.broker.port = broker.port
    configuration.model.path = modelPath
    configuration.model.watchSeconds = 0
    configuration.store.path = directory.appendingPathComponent("journal-\(id).jsonl").path
    configuration.http.enabled = false
    configuration.health.intervalSeconds = healthInterval
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    return try AgentService(configuration: configuration, logger: logger)
}

func agentRate(run: Int, fleet: Bool) async throws -> (rate: Double, scored: Int, rejected: Int, dropped: Int) {
    let topic = fleet ? "bench/fleet-\(run)" : "sensors/tp\(run)/telemetry"
    let service = try inProcessAgent(id: "bench-\(fleet ? "fleet-" : "")\(run)", healthInterval: 60, telemetryTopic: fleet ? topic : nil)
    let running = Task { try await service.run() }
    while service.mqttStatistics.connects == 0 { try await Task.sleep(for: .milliseconds(10)) }
    try await Task.sleep(for: .milliseconds(400))  // subscribed
    let start = ContinuousClock.now
    let publisher = try launch("mosquitto_pub", ["-p", "\(broker.port)", "-t", topic, "-l"], stdin: fleet ? fleetLinesFile : linesFile)
    let deadline = ContinuousClock.now + .seconds(120)
    var lastCount = 0
    var lastChange = ContinuousClock.now
    while service.counters.received < messageCount && ContinuousClock.now < deadline {
        let count = service.counters.received
        if count != lastCount { lastCount = count; lastChange = .now }
        if ContinuousClock.now - lastChange > .seconds(3) { break }  // the broker dropped some: stop waiting
        try await Task.sleep(for: .microseconds(500))
    }
    let elapsed = ContinuousClock.now - start
    publisher.waitUntilExit()
    let counters = service.counters
    service.shutdown()
    try await running.value
    return (Double(counters.received) / seconds(elapsed), counters.scored, counters.rejected, service.mqttStatistics.dropped)
}

let warmUp = try Detector(model: AnomalyModel(contentsOfFile: modelPath)).spec.warmUpMessages
var ceilings: [Double] = [], agents: [Double] = [], fleets: [Double] = []
var scoredAll = true, fleetScoredAll = true
for run in 0..<runs {
    ceilings.append(try await ceilingRate())
    let result = try await agentRate(run: run, fleet: false)
    agents.append(result.rate)
    if result.scored != messageCount || result.dropped != 0 { scoredAll = false; print("  run \(run): scored \(result.scored) of \(messageCount), dropped \(result.dropped)") }
    let fleet = try await agentRate(run: run, fleet: true)
    fleets.append(fleet.rate)
    // Each device's first messages warm its features up; every other message is scored.
    if fleet.dropped != 0 || fleet.rejected != 0 || fleet.scored < messageCount - fleetDevices * warmUp {
        fleetScoredAll = false
        print("  run \(run), \(fleetDevices) devices: scored \(fleet.scored) of \(messageCount), rejected \(fleet.rejected), dropped \(fleet.dropped)")
    }
}
let ceiling = median(ceilings), agent = median(agents), fleet = median(fleets)
print(String(format: "throughput  ceiling mosquitto_pub -> mosquitto_sub %9.0f msg/s   runs %@", ceiling, "\(ceilings.map { Int($0) })"))
print(String(format: "throughput  anomaly agent (scored), 1 device       %9.0f msg/s   %.1f %% of ceiling   runs %@   every message scored, none dropped: %@",
             agent, 100 * agent / ceiling, "\(agents.map { Int($0) })", scoredAll ? "yes" : "NO"))
print(String(format: "throughput  anomaly agent, %d devices            %9.0f msg/s   %.1f %% of ceiling   runs %@   every message scored or warming up, none dropped: %@",
             fleetDevices, fleet, 100 * fleet / ceiling, "\(fleets.map { Int($0) })", fleetScoredAll ? "yes" : "NO"))

// MARK: Latency at a steady 10,000 msg/s
func latency() async throws -> [Double] {
    let service = try inProcessAgent(id: "bench-latency", healthInterval: 1)
    let running = Task { try await service.run() }
    let latencies = Mutex<[Double]>([])
    var consumerConfiguration = MQTTConfiguration(port: broker.port, clientID: "bench-consumer")
    consumerConfiguration.delivery = .handler
    let consumer = try MQTTClient(configuration: consumerConfiguration) { message in
        let received = Date().timeIntervalSince1970 * 1000
        guard let object = try? JSONSerialization.jsonObject(with: Data(message.payload)) as? [String: Any],
              object["state"] as? String == "open", let ts = object["ts"] as? Double else { return }
        latencies.withLock { $0.append(received - ts) }
    }
    try await consumer.connect()
    try await consumer.subscribe("alerts/+/anomaly", qos: .atLeastOnce)
    let health = Mutex<Data?>(nil)
    var healthConfiguration = MQTTConfiguration(port: broker.port, clientID: "bench-health")
    healthConfiguration.delivery = .handler
    let healthWatcher = try MQTTClient(configuration: healthConfiguration) { message in
        guard let object = try? JSONSerialization.jsonObject(with: Data(message.payload)) as? [String: Any],
              let latency = object["latency_ms"] as? [String: Any], (latency["end_to_end"] as? [String: Any])?["count"] as? Int ?? 0 > 0 else { return }
        health.withLock { $0 = try? JSONSerialization.data(withJSONObject: latency) }
    }
    try await healthWatcher.connect()
    try await healthWatcher.subscribe("alerts/agent/bench-latency/health", qos: .atLeastOnce)
    let publisher = try MQTTClient(configuration: MQTTConfiguration(port: broker.port, clientID: "bench-steady"))
    try await publisher.connect()
    try await Task.sleep(for: .milliseconds(500))
    let devices = 100, perSecond = 10_000, duration = 10
    let start = ContinuousClock.now
    for tick in 0..<(perSecond * duration / devices) {
        // 100 Hz per device; every 2 s each device has a 3-message spike, which opens (and later closes) an event.
        let target = start + .microseconds(tick * 10_000)
        if target > .now { try await Task.sleep(until: target) }
        for device in 0..<devices {
            var values = reading(tick, device: device)
            if (tick + device) % 200 < 3 { values[1] += 0.5 }
            try publisher.publishWithoutWaiting("sensors/lat-\(device)/telemetry",
                                                payload: Array(payload(device: nil, seq: tick, ts: nowMilliseconds(), values).utf8))
        }
    }
    try await Task.sleep(for: .seconds(2))
    service.shutdown()
    try await running.value
    await consumer.shutdown()
    await publisher.shutdown()
    await healthWatcher.shutdown()
    // The agent's own view (its last health interval): ts -> scored, and ts -> event handed to libmosquitto.
    let latency = health.withLock { $0 }.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
    func describe(_ key: String) -> String {
        guard let figures = latency[key] as? [String: Any] else { return "n/a" }
        return "p50 \(figures["p50"] ?? "-") ms, p99 \(figures["p99"] ?? "-") ms"
    }
    print("latency     inside the agent (last health interval): ts -> scored \(describe("ingest")); ts -> event published \(describe("end_to_end")); scoring \(describe("scoring"))")
    return latencies.withLock { $0 }
}
let measured = try await latency()
if measured.isEmpty {
    print("latency     no events arrived")
} else {
    print(String(format: "latency     telemetry ts -> event received, 100 devices x 100 Hz: p50 %.1f ms  p99 %.1f ms  max %.1f ms  (%d events; ts has 1 ms resolution)",
                 percentile(measured, 0.5), percentile(measured, 0.99), measured.max()!, measured.count))
}

// MARK: A backlog of journaled events after an outage: one in flight next to the default window
/// Events per second from the first to the last that reaches a subscriber, for a journal the agent finds
/// full of pending events when it starts.
func backlogRate(maxInFlight: Int, events: Int) async throws -> Double? {
    let id = "bench-backlog-\(maxInFlight)"
    do {
        let journal = try EventJournal(path: directory.appendingPathComponent("journal-\(id).jsonl").path)
        for number in 0..<events {
            journal.append(topic: "alerts/backlog-\(number % 100)/anomaly", payload: Array(#"{"event_id":"backlog-\#(number)","state":"open"}"#.utf8),
                           historical: true, at: nowMilliseconds())
        }
    }  // closed here: the agent takes the journal's lock
    let arrivals = Mutex<(count: Int, first: ContinuousClock.Instant?, last: ContinuousClock.Instant?)>((0, nil, nil))
    var watcherConfiguration = MQTTConfiguration(port: broker.port, clientID: "\(id)-watch")
    watcherConfiguration.delivery = .handler
    let watcher = try MQTTClient(configuration: watcherConfiguration) { message in
        guard message.topic.hasPrefix("alerts/backlog-") else { return }
        let now = ContinuousClock.now
        arrivals.withLock { $0.count += 1; $0.first = $0.first ?? now; $0.last = now }
    }
    try await watcher.connect()
    try await watcher.subscribe("alerts/+/anomaly", qos: .atLeastOnce)
    let service = try inProcessAgent(id: id, healthInterval: 60, maxInFlight: maxInFlight)
    let running = Task { try await service.run() }
    let deadline = ContinuousClock.now + .seconds(120)
    while arrivals.withLock({ $0.count }) < events && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    service.shutdown()
    try await running.value
    await watcher.shutdown()
    let (count, first, last) = arrivals.withLock { $0 }
    guard count >= events, let first, let last, last > first else { print("backlog     only \(count) of \(events) events arrived"); return nil }
    return Double(events - 1) / seconds(last - first)
}
let backlogEvents = 5_000
if let one = try await backlogRate(maxInFlight: 1, events: backlogEvents), let window = try await backlogRate(maxInFlight: 20, events: backlogEvents) {
    print(String(format: "backlog     %d journaled events after an outage: %.0f events/s one in flight, %.0f events/s with store.maxInFlight 20 (%.1fx)",
                 backlogEvents, one, window, window / one))
}

// MARK: Memory with many devices, and start-up, with the executable
let agentBinary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("anomaly-agent").path
func residentBytes(_ pid: Int32) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8), let pages = Int(text.split(separator: " ")[1]) else { return nil }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
let configPath = directory.appendingPathComponent("agent.json").path
try #"{"detection": {"events": {"openCount": 1, "openWindow": 1}}, "health": {"intervalSeconds": 60}}"#.write(toFile: configPath, atomically: true, encoding: .utf8)
let opened = Mutex<ContinuousClock.Instant?>(nil)
var watcherConfiguration = MQTTConfiguration(port: broker.port, clientID: "bench-watch")
watcherConfiguration.delivery = .handler
let watcher = try MQTTClient(configuration: watcherConfiguration) { _ in opened.withLock { if $0 == nil { $0 = .now } } }
try await watcher.connect()
try await watcher.subscribe("alerts/+/anomaly", qos: .atLeastOnce)
let feeder = try MQTTClient(configuration: MQTTConfiguration(port: broker.port, clientID: "bench-feeder"))
try await feeder.connect()
// A device sending far-out values every millisecond: with openCount 1 its first scored message opens an event.
let feeding = Task {
    var seq = 0
    while !Task.isCancelled {
        seq += 1
        var values = reading(seq, device: 1)
        values[2] = 1_000
        try? feeder.publishWithoutWaiting("sensors/startup/telemetry", payload: Array(payload(device: nil, seq: seq, ts: nowMilliseconds(), values).utf8))
        try? await Task.sleep(for: .milliseconds(1))
    }
}
let launchedAt = ContinuousClock.now
// The dashboard is on by default (its live view records every scored point); on a free port.
let httpArguments = options["http"] == 0 ? ["--no-http"] : ["--http-port", "0"]
let agentProcess = try launch(agentBinary, ["run", "--broker-port", "\(broker.port)", "--model", modelPath, "--config", configPath, "--log-level", "error",
                                            "--store-path", directory.appendingPathComponent("journal-process.jsonl").path] + httpArguments)
while opened.withLock({ $0 }) == nil && ContinuousClock.now - launchedAt < .seconds(20) { try await Task.sleep(for: .milliseconds(1)) }
feeding.cancel()
if let first = opened.withLock({ $0 }) {
    print(String(format: "start-up    process launch -> first event received (model loaded, connected, subscribed, scored): %.0f ms", seconds(first - launchedAt) * 1000))
}

let deviceCount = Int(options["devices"]!)
let memorySeconds = options["memory-seconds"]!
var samples: [(Double, Int)] = []
let memoryStart = ContinuousClock.now
var tick = 0
while seconds(ContinuousClock.now - memoryStart) < memorySeconds {
    tick += 1
    // Every device once a second (1,000 devices: 1,000 msg/s), sample the agent's resident memory every 5 s.
    for device in 0..<deviceCount {
        try feeder.publishWithoutWaiting("sensors/dev-\(device)/telemetry",
                                         payload: Array(payload(device: nil, seq: tick, ts: nowMilliseconds(), reading(tick, device: device)).utf8))
        if device % 100 == 99 { try await Task.sleep(for: .milliseconds(100)) }
    }
    if tick % 5 == 0, let rss = residentBytes(agentProcess.processIdentifier) { samples.append((seconds(ContinuousClock.now - memoryStart), rss)) }
}
kill(agentProcess.processIdentifier, SIGTERM)
agentProcess.waitUntilExit()
if let first = samples.first, let last = samples.last {
    let afterWarmUp = samples.filter { $0.0 >= min(20, memorySeconds / 3) }
    let low = afterWarmUp.map(\.1).min() ?? first.1, high = afterWarmUp.map(\.1).max() ?? last.1
    print(String(format: "memory      %d devices, %.0f s: resident %.1f MB at %.0f s, %.1f MB at the end; after warm-up min %.1f MB max %.1f MB",
                 deviceCount, memorySeconds, Double(first.1) / 1e6, first.0, Double(last.1) / 1e6, Double(low) / 1e6, Double(high) / 1e6))
}
await watcher.shutdown()
await feeder.shutdown()
broker.stop()
try? FileManager.default.removeItem(at: directory)
