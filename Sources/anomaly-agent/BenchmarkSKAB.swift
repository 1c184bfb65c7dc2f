import Agent
import ArgumentParser
import Detection
import Evaluation
import Foundation
import IsolationForest
import Telemetry

/// SKAB's outlier-detection protocol with the agent's own streaming pipeline: each labelled file on
/// its own, train on its first 400 rows, score the rest row by row, pool the confusion matrices.
struct BenchmarkSKAB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark-skab",
        abstract: "Run SKAB's outlier protocol through the agent's pipeline and print F1, FAR and MAR next to the leaderboard.",
        discussion: "Example: anomaly-agent benchmark-skab --dir ../shared/datasets/skab (the 34 labelled files; anomaly-free is not used).")

    @Option(help: "The SKAB data folder (with valve1/, valve2/, other/).")
    var dir: String

    @Option(help: "Derived features per sensor, comma-separated: mean, std, diff, dev.")
    var derived = "dev,std"

    @Option(help: "Rolling window in rows (1 Hz).")
    var window = 10

    @Option(help: "Fraction of the 400 training rows above the threshold.")
    var contamination = 0.01

    @Option(help: "Rows that a detection counts for: the anomalous flag of each scored row (point), or rows inside detected events (event).")
    var prediction = "point"

    @Option(help: "An agent configuration file whose detection settings (event policy, envelope) to use.")
    var config: String?

    func run() async throws {
        let derivedKinds = try derived.split(separator: ",").map { name -> FeatureSpec.Derived in
            guard let kind = FeatureSpec.Derived(rawValue: String(name)) else { throw ValidationError("--derived: \(name) is not one of mean, std, diff, dev") }
            return kind
        }
        let detection = try config.map { try AgentConfiguration.load(file: $0).detection } ?? DetectorConfiguration()
        var files: [String] = []
        for folder in ["valve1", "valve2", "other"] {
            let path = (dir as NSString).appendingPathComponent(folder)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { throw ValidationError("\(path) is not readable") }
            files += names.filter { $0.hasSuffix(".csv") }.sorted { (Int($0.dropLast(4)) ?? 0) < (Int($1.dropLast(4)) ?? 0) }.map { "\(path)/\($0)" }
        }
        var pooled = PointMetrics()
        for file in files {
            let table = try TelemetryTable(path: file, sensors: nil, labelColumn: "anomaly")
            let training = Array(table.rows.prefix(400)), test = table.rows.dropFirst(400)
            let trainer = ModelTrainer(sensors: table.sensors, derived: derivedKinds, window: derivedKinds.isEmpty ? 1 : window,
                                       forest: IsolationForest.Configuration(treeCount: 100, contamination: .fraction(contamination), seed: 0))
            let model = try trainer.train(readings: ["skab": training.map(\.values)])
            var detector = try Detector(model: model, configuration: detection)
            // Warm the windows with the training rows, as a running agent would have them.
            for row in training { _ = detector.process(device: "skab", ts: Timestamp(milliseconds: row.ts), seq: nil, sensorValues: row.values) }
            var metrics = PointMetrics()
            var inEvent = false
            for row in test {
                let outcome = detector.process(device: "skab", ts: Timestamp(milliseconds: row.ts), seq: nil, sensorValues: row.values)
                if let event = outcome.event { inEvent = event.state != .closed }
                var anomalous = false
                if case .scored(_, let flagged) = outcome.status { anomalous = flagged }
                metrics.add(predicted: prediction == "event" ? (inEvent || outcome.event?.state == .closed) : anomalous, actual: row.label ?? false)
            }
            pooled = pooled + metrics
            FileHandle.standardError.write(Data(String(format: "%-14@ F1 %.3f  FAR %5.1f %%  MAR %5.1f %%\n",
                                                       URL(fileURLWithPath: file).deletingLastPathComponent().lastPathComponent + "/" + URL(fileURLWithPath: file).lastPathComponent,
                                                       metrics.f1 ?? 0, (metrics.falseAlarmRate ?? 0) * 100, (metrics.missedAlarmRate ?? 0) * 100).utf8))
        }
        func row(_ name: String, _ f1: Double?, _ far: Double?, _ mar: Double?) -> String {
            let format = { (value: Double?, scale: Double, suffix: String) in value.map { String(format: "%.2f", $0 * scale) + suffix } ?? "n/a" }
            return "  " + name.padding(toLength: 44, withPad: " ", startingAt: 0)
                + "F1 " + format(f1, 1, "").padding(toLength: 6, withPad: " ", startingAt: 0)
                + "  FAR " + format(far, 100, " %").padding(toLength: 9, withPad: " ", startingAt: 0) + "  MAR " + format(mar, 100, " %")
        }
        print("SKAB outlier protocol, \(files.count) files, \(pooled.count) test rows (\(pooled.truePositives + pooled.falseNegatives) anomalous), pooled:")
        print(row("edge-anomaly (\(derived.isEmpty ? "raw" : derived), window \(window), \(prediction))", pooled.f1, pooled.falseAlarmRate, pooled.missedAlarmRate))
        print(row("leaderboard: Isolation Forest", 0.29, 0.0256, 0.8289))
        print(row("leaderboard: Conv-AE", 0.78, 0.1355, 0.2802))
        print(row("leaderboard: MSET", 0.78, 0.3973, nil))
        print(row("leaderboard: T-squared+Q", 0.76, 0.2662, nil))
        print(row("alarm on every row", pooled.count > 0 ? Double(pooled.truePositives + pooled.falseNegatives) / (Double(pooled.truePositives + pooled.falseNegatives) + Double(pooled.falsePositives + pooled.trueNegatives) / 2) : nil, 1, 0))
    }
}
