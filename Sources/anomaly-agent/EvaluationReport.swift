import Evaluation
import Foundation

/// Prints event-wise (and point-wise, when there are labels) figures as a table or JSON.
enum EvaluationReport {
    static func percent(_ value: Double?) -> String { value.map { String(format: "%6.1f %%", $0 * 100) } ?? "     n/a" }
    static func number(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "n/a" }
    static func seconds(_ milliseconds: Double?) -> String { milliseconds.map { String(format: "%.1f s", $0 / 1000) } ?? "n/a" }

    static func table(events: EventMetrics, deviceHours: Double, points: PointMetrics? = nil) -> String {
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
        if let points {
            lines.append("point-wise (SKAB's definitions)")
            lines.append("  TP \(points.truePositives)  FP \(points.falsePositives)  TN \(points.trueNegatives)  FN \(points.falseNegatives)")
            lines.append("  precision \(percent(points.precision))  recall \(percent(points.recall))  F1 \(number(points.f1))"
                         + "  FAR \(percent(points.falseAlarmRate))  MAR \(percent(points.missedAlarmRate))")
        }
        return lines.joined(separator: "\n")
    }

    static func json(events: EventMetrics, deviceHours: Double, points: PointMetrics? = nil) -> String {
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
        if let points {
            object["points"] = ["tp": points.truePositives, "fp": points.falsePositives, "tn": points.trueNegatives, "fn": points.falseNegatives,
                                "precision": points.precision as Any, "recall": points.recall as Any, "f1": points.f1 as Any,
                                "far": points.falseAlarmRate as Any, "mar": points.missedAlarmRate as Any]
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
