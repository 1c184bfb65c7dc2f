import Agent
import ArgumentParser
import Evaluation
import Foundation
import MQTT
import Telemetry

struct Evaluate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure detection quality against ground truth.",
        discussion: """
            --live subscribes to the anomaly and truth topics of a running agent and emulator and, after --duration \
            (or Ctrl-C), prints event-wise recall, precision, false events per device-hour and detection delay, \
            per anomaly kind. Example: anomaly-agent evaluate --live --duration 5m --broker-port 1883
            """)

    @Flag(help: "Evaluate live, from the anomaly and truth topics.")
    var live = false

    @Option(help: "How long to listen with --live, e.g. 90s, 5m.")
    var duration: String = "5m"

    @Option(help: "Broker host.")
    var brokerHost = "127.0.0.1"

    @Option(help: "Broker port.")
    var brokerPort = 1883

    @Option(help: "Seconds a detection may trail the end of an anomaly and still count.")
    var tolerance: Double = 5

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        guard live else { throw ValidationError("give --live (offline evaluation of CSV files: see 'anomaly-agent evaluate --help')") }
        guard DurationParser.seconds(duration) != nil else { throw ValidationError("--duration \(duration) is not a duration such as 90s or 5m") }
    }

    func run() async throws {
        let seconds = DurationParser.seconds(duration)!
        var configuration = MQTTConfiguration(host: brokerHost, port: brokerPort, clientID: "edge-anomaly-evaluate-\(getpid())")
        configuration.delivery = .stream(capacity: 100_000)
        let client = try MQTTClient(configuration: configuration)
        do {
            try await client.connect()
        } catch {
            throw ValidationError("cannot reach the broker at \(brokerHost):\(brokerPort): \(error)")
        }
        let topics = Topics.defaults
        try await client.subscribe(topics.anomaly.filter(), qos: .atLeastOnce)
        try await client.subscribe(topics.truth.filter(), qos: .atLeastOnce)
        FileHandle.standardError.write(Data("evaluating for \(duration) on \(brokerHost):\(brokerPort) …\n".utf8))
        let collector = try await Self.collect(client.messages, for: seconds, topics: topics)
        await client.shutdown()
        let metrics = collector.metrics(now: Timestamp.now().milliseconds, tolerance: Int64(tolerance * 1000))
        // Live, the monitored span is the listening time, not just the span of records seen.
        let hours = Double(max(collector.devices.count, 1)) * seconds / 3600
        print(json ? EvaluationReport.json(events: metrics, deviceHours: hours) : EvaluationReport.table(events: metrics, deviceHours: hours))
    }

    static func collect(_ messages: MQTTMessages, for seconds: Double, topics: Topics) async throws -> EpisodeCollector {
        try await withThrowingTaskGroup(of: EpisodeCollector?.self) { group in
            group.addTask {
                var collector = EpisodeCollector()
                let decoder = JSONDecoder()
                for await message in messages {
                    if Task.isCancelled { break }
                    if topics.truth.match(message.topic) != nil, let record = try? decoder.decode(GroundTruthRecord.self, from: Data(message.payload)) {
                        collector.add(record)
                    } else if topics.anomaly.match(message.topic) != nil, let event = try? decoder.decode(AnomalyEvent.self, from: Data(message.payload)) {
                        collector.add(event)
                    }
                }
                return collector
            }
            try await Task.sleep(for: .seconds(seconds))
            group.cancelAll()
            return try await group.next()!!
        }
    }
}
