// Soak: the anomaly-agent executable under a steady load for a long time, sampling its resident memory
// and open file descriptors. Fails (exit 1) unless both stay flat after warm-up and every message was
// received.
//
//   swift run -c release soak [--seconds 600] [--rate 5000] [--devices 1000]
import Detection
import Foundation
import IsolationForest
import MQTT
import MQTTTesting
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

var options: [String: Double] = ["seconds": 600, "rate": 5_000, "devices": 1_000]
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let name = arguments.next() {
    guard name.hasPrefix("--"), let value = arguments.next().flatMap(Double.init), options[String(name.dropFirst(2))] != nil else {
        print("usage: soak [--seconds S] [--rate MSG_PER_S] [--devices N]"); exit(2)
    }
    options[String(name.dropFirst(2))] = value
}
let duration = options["seconds"]!, rate = Int(options["rate"]!), devices = Int(options["devices"]!)

func reading(_ index: Int, device: Int) -> [Double] {
    let load = 0.6 + 0.2 * sin(Double(index + device) / 50)
    let wobble = Double((index &* 31 &+ device &* 17) % 100) / 100 - 0.5
    return [60 + 20 * load + wobble, 0.03 + 0.005 * wobble, 10 + 5 * load + 0.1 * wobble, 5 + load + 0.02 * wobble]
}
func payload(seq: Int, values: [Double]) -> [UInt8] {
    let ts = Int64(Date().timeIntervalSince1970 * 1000)
    return Array("{\"ts\":\(ts),\"seq\":\(seq),\"values\":{\"temperature\":\(values[0]),\"vibration\":\(values[1]),\"current\":\(values[2]),\"pressure\":\(values[3])}}".utf8)
}
func statm(_ pid: Int32) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8), let pages = Int(text.split(separator: " ")[1]) else { return nil }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
/// User plus system CPU time of a process so far.
func cpuSeconds(_ pid: Int32) -> Double? {
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th of the whole line.
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
func openFiles(_ pid: Int32) -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1 }

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("soak-\(getpid())")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
let modelPath = directory.appendingPathComponent("model.json").path
try ModelTrainer(sensors: ["temperature", "vibration", "current", "pressure"], forest: .init(treeCount: 100, contamination: .fraction(0.001), seed: 1))
    .train(readings: ["train": (0..<5_000).map { reading($0, device: 7) }]).write(toFile: modelPath)
let broker = try await MosquittoBroker.start(.init(extraConfiguration: ["max_queued_messages 10000", "set_tcp_nodelay true"]))
let agent = Process()
agent.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("anomaly-agent")
// Dashboard on (its per-device rings are part of the memory that must stay flat), on a free port.
agent.arguments = ["run", "--broker-port", "\(broker.port)", "--model", modelPath, "--health-interval", "2", "--log-level", "warning",
                   "--http-port", "0", "--store-path", directory.appendingPathComponent("journal.jsonl").path]
try agent.run()
let received = Atomic<Int>(0)
var watchConfiguration = MQTTConfiguration(port: broker.port, clientID: "soak-health")
watchConfiguration.delivery = .handler
let watcher = try MQTTClient(configuration: watchConfiguration) { message in
    if let object = try? JSONSerialization.jsonObject(with: Data(message.payload)) as? [String: Any],
       let count = (object["messages"] as? [String: Any])?["received"] as? Int { received.store(count, ordering: .relaxed) }
}
try await watcher.connect()
try await watcher.subscribe("alerts/agent/+/health", qos: .atLeastOnce)
let publisher = try MQTTClient(configuration: MQTTConfiguration(port: broker.port, clientID: "soak-publisher"))
try await publisher.connect()
try await Task.sleep(for: .seconds(1))

print("soak: \(devices) devices, \(rate) msg/s, \(Int(duration)) s; anomaly-agent pid \(agent.processIdentifier)")
print("   time   resident MB   open fds   received")
var samples: [(t: Double, rss: Int, fds: Int)] = []
let start = ContinuousClock.now
var sent = 0
var nextSample = 0.0
while true {
    let elapsed = ContinuousClock.now - start
    let t = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    if t >= duration { break }
    // 10 ms slices: rate / 100 messages each, devices in turn.
    let target = Int(t * Double(rate))
    while sent < target {
        let device = sent % devices
        try publisher.publishWithoutWaiting("sensors/soak-\(device)/telemetry", payload: payload(seq: sent / devices, values: reading(sent / devices, device: device)))
        sent += 1
    }
    if t >= nextSample, let rss = statm(agent.processIdentifier) {
        samples.append((t, rss, openFiles(agent.processIdentifier)))
        print(String(format: "%7.0f s   %9.1f   %8d   %8d", t, Double(rss) / 1e6, samples.last!.fds, received.load(ordering: .relaxed)))
        nextSample += max(5, duration / 20)
    }
    try await Task.sleep(for: .milliseconds(10))
}
// Until the agent's health reports count every message, or stop growing (a report every 2 s): a slow machine
// may still be working through the broker's queue when the publisher stops, which is lag, not loss.
var lastCount = -1, lastChange = ContinuousClock.now
while received.load(ordering: .relaxed) < sent, ContinuousClock.now - lastChange < .seconds(6) {
    let count = received.load(ordering: .relaxed)
    if count != lastCount { (lastCount, lastChange) = (count, .now) }
    try await Task.sleep(for: .milliseconds(200))
}
let drainedFor = ContinuousClock.now - start
let drained = Double(drainedFor.components.seconds) + Double(drainedFor.components.attoseconds) / 1e18
let agentCPU = cpuSeconds(agent.processIdentifier)
kill(agent.processIdentifier, SIGTERM)
agent.waitUntilExit()
await publisher.shutdown()
await watcher.shutdown()
broker.stop()

let warm = samples.filter { $0.t >= min(20, duration / 3) }
let rssLow = warm.map(\.rss).min() ?? 0, rssHigh = warm.map(\.rss).max() ?? 0
let fdLow = warm.map(\.fds).min() ?? 0, fdHigh = warm.map(\.fds).max() ?? 0
let total = received.load(ordering: .relaxed)
let flatMemory = Double(rssHigh) <= Double(rssLow) * 1.05 + 2_000_000, flatFiles = fdHigh <= fdLow + 1, nothingLost = total >= sent
print(String(format: "after warm-up: resident %.1f–%.1f MB, open fds %d–%d; sent %d, received by the agent %d; exit status %d",
             Double(rssLow) / 1e6, Double(rssHigh) / 1e6, fdLow, fdHigh, sent, total, agent.terminationStatus))
if let agentCPU {
    print(String(format: "agent CPU %.1f s over %.0f s (%.0f %% of one core), %.1f µs per message received",
                 agentCPU, drained, 100 * agentCPU / drained, agentCPU * 1e6 / Double(max(total, 1))))
}
print("memory flat: \(flatMemory ? "yes" : "NO"), file descriptors flat: \(flatFiles ? "yes" : "NO"), nothing lost: \(nothingLost ? "yes" : "NO")")
exit(flatMemory && flatFiles && nothingLost && agent.terminationStatus == 0 ? 0 : 1)
