import Detection
import Evaluation
import Foundation
import IsolationForest
import Telemetry

/// `anomaly-agent evaluate --data test.csv --model m.json`: the agent's own pipeline (features, forest,
/// envelope, events) over a labelled CSV, with point-wise and event-wise figures.
struct OfflineEvaluation {
    /// Labelled rows the pipeline flagged.
    var points = PointMetrics()
    /// Labelled rows inside the events, from their onset to their end: what the agent publishes, read row by row.
    var pointsInsideEvents = PointMetrics()
    var episodes = EpisodeCollector()
    /// Every anomaly event message the pipeline raised, in order: what the agent would have published.
    var events: [AnomalyEvent] = []
    /// Per device, the time its events cover from their onsets.
    var eventSpans: [String: EventSpans] = [:]
    /// What the HTML report draws.
    var series: [String: EvaluationHTML.DeviceSeries] = [:]
    /// Rows the pipeline refused, by reason (they count as not flagged, as they would live).
    var rejections: [String: Int] = [:]
    var firstRejection: String?
    /// Ground-truth records from the log that fall outside the time span of the data.
    var truthOutsideData = 0
    var truthRecords = 0
    /// The longest pause in any device's data, and whose, when it is most of the span (a stray timestamp).
    var longestGap: (device: String, milliseconds: Int64)?

    /// What the user should know about the figures, for stderr.
    var notes: [String] {
        var notes: [String] = []
        if !rejections.isEmpty, let firstRejection {
            let counts = rejections.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            let total = rejections.values.reduce(0, +)
            notes.append("the pipeline refused \(total == 1 ? "1 row" : "\(total) rows") (\(counts)), counted as not flagged, as live; the first: \(firstRejection)")
        }
        if let longestGap {
            notes.append(String(format: "device %@ has no data for %.1f hours, most of the time span: false events per device-hour count that time as monitored (a stray timestamp?)",
                                longestGap.device, Double(longestGap.milliseconds) / 3_600_000))
        }
        if truthOutsideData > 0 {
            notes.append("\(truthOutsideData) of \(truthRecords) ground-truth records lie outside the time span of the data: is it the log of this data set?")
        }
        return notes
    }

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
            if case .rejected(let rejection) = outcome.status {
                rejections[rejection.reason.rawValue, default: 0] += 1
                if firstRejection == nil { firstRejection = "device \(row.device) at \(row.ts): \(rejection.detail)" }
            }
            series[row.device, default: .init()].ts.append(row.ts)
            series[row.device, default: .init()].values.append(values)
            series[row.device, default: .init()].scores.append(score)
            if let event = outcome.event {
                episodes.add(event)
                events.append(event)
            }
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
            if let previous = lastTs[row.device], row.ts - previous > (longestGap?.milliseconds ?? 0) { longestGap = (row.device, row.ts - previous) }
            lastTs[row.device] = row.ts
        }
        for (device, open) in labelled {
            truthCount += 1
            episodes.add(GroundTruthRecord(device: device, id: "\(device)-label-\(truthCount)", kind: open.kind, state: .start, sensors: [],
                                           ts: Timestamp(milliseconds: open.start)))
        }
        eventSpans = Dictionary(grouping: events, by: \.device).mapValues { EventSpans(events: $0, from: .onset) }
        for row in table.rows {
            if let label = row.label { pointsInsideEvents.add(predicted: eventSpans[row.device]?.covers(row.ts) ?? false, actual: label) }
        }
        let span = (table.rows.map(\.ts).min() ?? 0)...(table.rows.map(\.ts).max() ?? 0)
        if let gap = longestGap, gap.milliseconds * 2 <= span.upperBound - span.lowerBound { longestGap = nil }
        for record in truth ?? [] {
            episodes.add(record)
            truthRecords += 1
            if !span.contains(record.ts.milliseconds) { truthOutsideData += 1 }
        }
    }

    /// Per device, the time its events cover from their onsets (`EventSpans`), an event still open ending at `end`: what
    /// the report shades as detected.
    func detectedSpans(end: Int64) -> [String: [Interval]] {
        eventSpans.mapValues { $0.spans.map { Interval(start: $0.lowerBound, end: min($0.upperBound, end)) } }
    }

    static func readTruth(_ path: String) throws -> [GroundTruthRecord] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw TableError("cannot read \(path)") }
        let decoder = JSONDecoder()
        // Lines end in LF or CRLF (one Character in Swift, so split on any newline); blank lines are skipped.
        return try text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated().compactMap { index, line in
            guard !line.allSatisfy(\.isWhitespace) else { return nil }
            do { return try decoder.decode(GroundTruthRecord.self, from: Data(line.utf8)) } catch {
                throw TableError("\(path) line \(index + 1) is not a ground-truth record: \(error)")
            }
        }
    }
}
