import Agent
import ArgumentParser
import Evaluation
import Detection
import Foundation
import IsolationForest
import MQTT
import Telemetry

struct Evaluate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure detection quality against ground truth.",
        discussion: """
            Offline: --data test.csv --model model.json runs the agent's pipeline over a labelled CSV and prints \
            point-wise precision, recall, F1, FAR and MAR (SKAB's definitions) and event-wise recall, precision, false \
            events per device-hour and detection delay, per anomaly kind when --truth names kinds. \
            Live: --live subscribes to the anomaly and truth topics of a running agent and emulator and, after \
            --duration, prints the same event-wise figures. Example: anomaly-agent evaluate --live --duration 5m
            """)

    @Option(help: "Offline: a labelled telemetry CSV (the emulator's test.csv, or any CSV with a 0/1 label column).")
    var data: String?

    @Option(help: "Offline: the model file.")
    var model = "model.json"

    @Option(help: "Offline: the ground-truth log (JSON Lines); without it, runs of the label column are the true anomalies.")
    var truth: String?

    @Option(help: "Offline: the 0/1 label column.")
    var labelColumn = "anomaly"

    @Option(help: "Offline: an agent configuration file whose detection settings (event policy, envelope) to use.")
    var config: String?


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

    @Option(help: "Offline: also write a self-contained HTML report with the series, the score, the threshold, detected events and true anomalies.")
    var html: String?

    @Option(help: "Offline: also write the anomaly events the pipeline raised, as the agent would publish them (JSON Lines).")
    var events: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        guard live != (data != nil) else { throw ValidationError("give either --data (offline) or --live") }
        if live, html != nil || events != nil { throw ValidationError("--html and --events go with --data (offline)") }
        guard DurationParser.seconds(duration) != nil else { throw ValidationError("--duration \(duration) is not a duration such as 90s or 5m") }
        guard tolerance.isFinite, tolerance >= 0 else { throw ValidationError("--tolerance must be a number of seconds, 0 or more, not \(tolerance)") }
    }

    func run() async throws {
        if let data {
            let table = try TelemetryTable(path: data, sensors: nil, labelColumn: labelColumn)
            guard table.hasLabels || truth != nil else {
                throw TableError("\(data) has no label column \(labelColumn.debugDescription) and no --truth log was given: nothing to measure against (give --label-column NAME or --truth log.jsonl)")
            }
            for note in table.readingNotes { FileHandle.standardError.write(Data("evaluate: \(note)\n".utf8)) }
            let anomalyModel = try AnomalyModel(contentsOfFile: model)
            let detection = try config.map { try AgentConfiguration.load(file: $0).detection } ?? DetectorConfiguration()
            let evaluation = try OfflineEvaluation(table: table, model: anomalyModel, detection: detection,
                                                   truth: try truth.map(OfflineEvaluation.readTruth))
            for note in evaluation.notes { FileHandle.standardError.write(Data("evaluate: \(note)\n".utf8)) }
            let metrics = evaluation.episodes.metrics(tolerance: Int64(tolerance * 1000))
            let points = evaluation.points.count > 0 ? evaluation.points : nil
            let inside = evaluation.pointsInsideEvents.count > 0 ? evaluation.pointsInsideEvents : nil
            let figures = EvaluationReport.table(events: metrics, deviceHours: evaluation.episodes.deviceHours, points: points, insideEvents: inside)
            print(json ? EvaluationReport.json(events: metrics, deviceHours: evaluation.episodes.deviceHours, points: points, insideEvents: inside) : figures)
            if let html {
                let spec = try FeatureSpec.from(model: anomalyModel)
                let now = Timestamp.now().milliseconds
                let page = EvaluationHTML(title: "edge-anomaly evaluation: \(URL(fileURLWithPath: data).lastPathComponent)", sensors: spec.sensors,
                                          threshold: anomalyModel.threshold, series: evaluation.series,
                                          truth: evaluation.episodes.closedIntervals(now: now).truth,
                                          detected: evaluation.detectedSpans(end: now), summary: "model \(anomalyModel.id)\n" + figures)
                do { try OutputFile.write(Array(page.render().utf8), to: html) } catch { throw OutputError("--html: \(error)") }
                FileHandle.standardError.write(Data("wrote \(html)\n".utf8))
            }
            if let events {
                var lines: [UInt8] = []
                for event in evaluation.events { lines += AgentService.encode(event) + [UInt8(ascii: "\n")] }
                do { try OutputFile.write(lines, to: events) } catch { throw OutputError("--events: \(error)") }
                FileHandle.standardError.write(Data("wrote \(evaluation.events.count) event messages to \(events)\n".utf8))
            }
            return
        }
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
