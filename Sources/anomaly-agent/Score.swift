import Agent
import ArgumentParser
import Detection
import Foundation
import IsolationForest
import Telemetry

struct Score: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score every row of a CSV with a model: batch scoring, and a way to compare with scikit-learn.",
        discussion: """
            Writes one row per input row, in time order: device, ts, anomaly score (scikit-learn's -score_samples), decision value \
            (decision_function), prediction (the forest's verdict: 1 anomalous, 0 normal; scikit-learn's predict gives \
            -1/1), the top contributor, and flagged (the agent's verdict, 1 or 0: the forest, the envelope check of values \
            beyond anything seen in training, or the data-quality checks of stuck or missing sensors). Rows whose \
            rolling windows are still filling have empty scores. Example: \
            anomaly-agent score --model model.json --data test.csv --format jsonl > scores.jsonl
            """)

    @Option(help: "The model file.")
    var model = "model.json"

    @Option(help: "The CSV to score (a timestamp column, optionally device, and the model's sensor columns).")
    var data: String

    @Option(help: "csv or jsonl.")
    var format = "csv"

    @Option(help: "An agent configuration file whose detection settings (envelope tolerance, data-quality checks) decide the flagged column.")
    var config: String?

    func validate() throws {
        guard ["csv", "jsonl"].contains(format) else { throw ValidationError("--format must be csv or jsonl") }
    }

    func run() async throws {
        let anomalyModel = try AnomalyModel(contentsOfFile: model)
        let spec = try FeatureSpec.from(model: anomalyModel)
        let table = try TelemetryTable(path: data, sensors: spec.sensors, labelColumn: nil)
        for note in table.readingNotes { FileHandle.standardError.write(Data("score: \(note)\n".utf8)) }
        var extractors: [String: FeatureExtractor] = [:]
        let detection = try config.map { try AgentConfiguration.load(file: $0).detection } ?? DetectorConfiguration()
        // The agent's own pipeline, for the flagged column; it sees every row, as the agent would.
        var detector = try Detector(model: anomalyModel, configuration: detection)
        var output = format == "csv" ? "device,ts,anomaly_score,decision_function,prediction,top_contributor,flagged\n" : ""
        output.reserveCapacity(table.rows.count * 80)
        for row in table.rows {
            var extractor = extractors[row.device] ?? FeatureExtractor(spec: spec)
            let features = extractor.push(row.values)
            let warming = extractor.isWarmingUp
            extractors[row.device] = extractor
            var score: Double?, top: String?
            if !warming {
                let attribution = anomalyModel.explain(features)
                score = attribution.anomalyScore
                top = attribution.rankedFeatures.first.map { anomalyModel.featureNames[$0] }
            }
            // decision_function = score_samples - offset = -score + threshold.
            let decision = score.map { anomalyModel.threshold - $0 }
            let prediction = score.map { $0 > anomalyModel.threshold ? 1 : 0 }
            var flagged: Int?
            if case .scored(_, let anomalous) = detector.process(device: row.device, ts: Timestamp(milliseconds: row.ts), seq: row.seq,
                                                                  sensorValues: row.values).status {
                flagged = anomalous ? 1 : 0
            }
            if format == "csv" {
                output += "\(row.device),\(row.ts),\(score.map { "\($0)" } ?? ""),\(decision.map { "\($0)" } ?? ""),"
                    + "\(prediction.map(String.init) ?? ""),\(top ?? ""),\(flagged.map(String.init) ?? "")\n"
            } else {
                output += "{\"device\":\(jsonString(row.device)),\"ts\":\(row.ts),\"anomaly_score\":\(score.map { "\($0)" } ?? "null"),"
                    + "\"decision_function\":\(decision.map { "\($0)" } ?? "null"),\"prediction\":\(prediction.map(String.init) ?? "null"),"
                    + "\"top_contributor\":\(top.map(jsonString) ?? "null"),\"flagged\":\(flagged.map(String.init) ?? "null")}\n"
            }
            if output.utf8.count > 1 << 20 {
                try emit(output)
                output.removeAll(keepingCapacity: true)
            }
        }
        try emit(output)
    }

    private func emit(_ text: String) throws {
        do { try FileHandle.standardOutput.write(contentsOf: Array(text.utf8)) } catch {
            throw OutputError("cannot write the scores: \((error as NSError).localizedFailureReason ?? "\(error)")")
        }
    }

    private func jsonString(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed])) ?? Data("[\"\"]".utf8)
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}
