import Detection
import Evaluation
import Foundation
import IsolationForest
import Telemetry

/// `anomaly-agent evaluate --data test.csv --model m.json`: the agent's own pipeline (features, forest,
/// envelope, events) over a labelled CSV, with point-wise and event-wise figures.
struct OfflineEvaluation {
    var points = PointMetrics()
    var episodes = EpisodeCollector()
    /// What the HTML report draws.
    var series: [String: EvaluationHTML.DeviceSeries] = [:]

    init(table: TelemetryTable, model: AnomalyModel, detection: DetectorConfiguration, truth: [GroundTruthRecord]?) throws {
        let spec = try FeatureSpec.from(model: model)
        guard let slots = Optional(spec.sensors.map { table.sensors.firstIndex(of: $0) }), !slots.contains(nil) else {
            throw TableError("the model needs sensors \(spec.sensors); the file has \(table.sensors)")
        }
        var detector = try Detector(model: model, configuration: detection)
        var labelled: [String: (start: Int64, kind: String)] = [:]
        var lastTs: [String: Int64] = [:]
        var truthCount = 0
        for row in table.rows {
            let values = slots.map { row.values[$0!] }
            let outcome = detector.process(device: row.device, ts: Timestamp(milliseconds: row.ts), seq: row.seq, sensorValues: values)
            var predicted = false
            var score = Double.nan
            if case .scored(let value, let anomalous) = outcome.status { predicted = anomalous; score = value }
            series[row.device, default: .init()].ts.append(row.ts)
            series[row.device, default: .init()].values.append(values)
            series[row.device, default: .init()].scores.append(score)
            if let event = outcome.event { episodes.add(event) }
            episodes.observe(device: row.device, ts: row.ts)
            if let label = row.label {
                points.add(predicted: predicted, actual: label)
                // Without a truth log, label runs become the true anomalies.
                if truth == nil {
                    if label, labelled[row.device] == nil { labelled[row.device] = (row.ts, row.kind ?? "anomaly") }
                    if !label, let open = labelled.removeValue(forKey: row.device) {
                        truthCount += 1
                        episodes.add(GroundTruthRecord(device: row.device, id: "\(row.device)-label-\(truthCount)", kind: open.kind, state: .start,
                                                       sensors: [], ts: Timestamp(milliseconds: open.start)))
                        episodes.add(GroundTruthRecord(device: row.device, id: "\(row.device)-label-\(truthCount)", kind: open.kind, state: .end,
                                                       sensors: [], ts: Timestamp(milliseconds: lastTs[row.device] ?? row.ts)))
                    }
                }
            }
            lastTs[row.device] = row.ts
        }
        for (device, open) in labelled {
            truthCount += 1
            episodes.add(GroundTruthRecord(device: device, id: "\(device)-label-\(truthCount)", kind: open.kind, state: .start, sensors: [],
                                           ts: Timestamp(milliseconds: open.start)))
        }
        for record in truth ?? [] { episodes.add(record) }
    }

    static func readTruth(_ path: String) throws -> [GroundTruthRecord] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw TableError("cannot read \(path)") }
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").enumerated().map { index, line in
            do { return try decoder.decode(GroundTruthRecord.self, from: Data(line.utf8)) } catch {
                throw TableError("\(path) line \(index + 1) is not a ground-truth record: \(error)")
            }
        }
    }
}
