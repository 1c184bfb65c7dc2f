import Evaluation
import Foundation

/// Prints event-wise (and point-wise, when there are labels) figures as a table or JSON.
enum EvaluationReport {
    static func percent(_ value: Double?) -> String { value.map { String(format: "%6.1f %%", $0 * 100) } ?? "     n/a" }
    static func number(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "n/a" }
    static func seconds(_ milliseconds: Double?) -> String { milliseconds.map { String(format: "%.1f s", $0 / 1000) } ?? "n/a" }

    static func table(events: EventMetrics, deviceHours: Double, points: PointMetrics? = nil, insideEvents: PointMetrics? = nil) -> String {
        var lines: [String] = []
        lines.append("event-wise (an anomaly counts as found when a detected event overlaps it)")
        lines.append("  true anomalies      \(events.trueAnomalies)")
        lines.append("  found               \(events.detectedAnomalies)    recall    \(percent(events.recall))")
        lines.append("  events raised       \(events.alarms)    precision \(percent(events.precision))    F1 \(number(events.f1))")
        lines.append(String(format: "  false events        %d    %@ per device-hour over %.2f device-hours", events.falseAlarms,
                            number(events.falseAlarmsPerDeviceHour(deviceHours: deviceHours)), deviceHours))
        lines.append("  detection delay     mean \(seconds(events.meanDelayMilliseconds)), median \(seconds(events.medianDelayMilliseconds.map(Double.init)))")
        if !events.byKind.isEmpty {
            lines.append("  per kind             total  found   recall   mean delay")
            for kind in events.byKind {
                let name = kind.kind.padding(toLength: max(18, kind.kind.count), withPad: " ", startingAt: 0)
                lines.append(String(format: "    %@ %5d  %5d  %@   %@", name, kind.total, kind.detected,
                                    percent(kind.recall), seconds(kind.meanDelayMilliseconds)))
            }
        }
        for (title, figures) in [("point-wise, flagged rows (SKAB's definitions)", points),
                                 ("point-wise, rows inside events from their onset (what the agent publishes)", insideEvents)] {
            guard let figures else { continue }
            lines.append(title)
            lines.append("  TP \(figures.truePositives)  FP \(figures.falsePositives)  TN \(figures.trueNegatives)  FN \(figures.falseNegatives)")
            lines.append("  precision \(percent(figures.precision))  recall \(percent(figures.recall))  F1 \(number(figures.f1))"
                         + "  FAR \(percent(figures.falseAlarmRate))  MAR \(percent(figures.missedAlarmRate))")
        }
        return lines.joined(separator: "\n")
    }

    static func json(events: EventMetrics, deviceHours: Double, points: PointMetrics? = nil, insideEvents: PointMetrics? = nil) -> String {
        var object: [String: Any] = [
            "events": [
                "true_anomalies": events.trueAnomalies, "found": events.detectedAnomalies, "raised": events.alarms,
                "false_events": events.falseAlarms, "recall": events.recall as Any, "precision": events.precision as Any,
                "f1": events.f1 as Any, "mean_delay_ms": events.meanDelayMilliseconds as Any,
                "false_events_per_device_hour": events.falseAlarmsPerDeviceHour(deviceHours: deviceHours) as Any,
                "device_hours": deviceHours,
                "by_kind": events.byKind.map { ["kind": $0.kind, "total": $0.total, "found": $0.detected, "recall": $0.recall as Any,
                                                "mean_delay_ms": $0.meanDelayMilliseconds as Any] },
            ],
        ]
        for (key, figures) in [("points", points), ("points_inside_events", insideEvents)] {
            guard let figures else { continue }
            object[key] = ["tp": figures.truePositives, "fp": figures.falsePositives, "tn": figures.trueNegatives, "fn": figures.falseNegatives,
                           "precision": figures.precision as Any, "recall": figures.recall as Any, "f1": figures.f1 as Any,
                           "far": figures.falseAlarmRate as Any, "mar": figures.missedAlarmRate as Any]
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
