import Foundation
import Telemetry

/// A self-contained HTML page (inline SVG and CSS, no script) that shows every sensor of every
/// device over the test span, with the injected anomalies shaded in the colour of their kind, so
/// that a person can see what a detector is asked to find.
struct SeriesReport {
    let title: String
    let sensors: [SensorSpec]
    let devices: [String]
    let collector: SeriesCollector
    let truth: [GroundTruthRecord]
    /// Name–value lines shown under the title.
    let facts: [(String, String)]

    static let colours: [AnomalyKind: String] = [
        .spike: "#d62728", .dip: "#1f77b4", .drift: "#ff7f0e", .levelShift: "#9467bd", .stuck: "#7f7f7f",
        .noise: "#bcbd22", .dropout: "#17becf", .correlationBreak: "#e377c2", .oscillation: "#2ca02c",
    ]

    /// One anomaly from its start and end records.
    struct Window {
        let id: String
        let device: String
        let kind: String
        let sensors: [String]
        let start: Int64
        let end: Int64
    }

    var windows: [Window] {
        var starts: [String: GroundTruthRecord] = [:]
        var result: [Window] = []
        for record in truth {
            switch record.state {
            case .start: starts[record.id] = record
            case .end:
                guard let start = starts.removeValue(forKey: record.id) else { continue }
                result.append(Window(id: record.id, device: record.device, kind: record.kind, sensors: record.sensors,
                                     start: start.ts.milliseconds, end: record.ts.milliseconds))
            }
        }
        return result.sorted { ($0.start, $0.id) < ($1.start, $1.id) }
    }

    func render() -> String {
        let windows = windows
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
        .facts td{padding:0 12px 0 0}.legend span{display:inline-block;margin:0 14px 4px 0}
        .swatch{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;opacity:.6}
        svg{display:block;margin:4px 0}svg text{font:11px system-ui,sans-serif;fill:#444}
        table.anomalies{border-collapse:collapse;margin-top:12px}table.anomalies td,table.anomalies th{border:1px solid #ddd;padding:2px 8px;text-align:left}
        </style></head><body>
        <h1>\(escape(title))</h1>
        <table class="facts">
        """
        let span = "\(UTCTime.format(collector.start)) – \(UTCTime.format(collector.end)) UTC"
        for (name, value) in facts + [("test span", span), ("anomalies", "\(windows.count)")] {
            html += "<tr><td>\(escape(name))</td><td>\(escape(value))</td></tr>"
        }
        html += "</table>\n<p class=\"legend\">"
        for kind in AnomalyKind.allCases {
            let count = windows.filter { $0.kind == kind.rawValue }.count
            html += "<span><i class=\"swatch\" style=\"background:\(Self.colours[kind]!)\"></i>\(kind.rawValue) (\(count))</span>"
        }
        html += "</p>\n<p>Shading marks each injected anomaly (darker on the sensors it affects). The band is the minimum–maximum of the readings in each pixel column, the line their mean; dashed lines are the normal range.</p>\n"
        for (deviceIndex, device) in devices.enumerated() {
            html += "<h2>\(escape(device))</h2>\n"
            let deviceWindows = windows.filter { $0.device == device }
            for (sensorIndex, sensor) in sensors.enumerated() {
                html += chart(device: deviceIndex, sensor: sensorIndex, spec: sensor, windows: deviceWindows)
            }
        }
        html += "<h2>Anomalies</h2>\n<table class=\"anomalies\"><tr><th>id</th><th>kind</th><th>sensors</th><th>start (UTC)</th><th>end (UTC)</th></tr>\n"
        for window in windows {
            html += "<tr><td>\(escape(window.id))</td><td>\(escape(window.kind))</td><td>\(escape(window.sensors.joined(separator: ", ")))</td>"
                + "<td>\(UTCTime.format(window.start, milliseconds: true))</td><td>\(UTCTime.format(window.end, milliseconds: true))</td></tr>\n"
        }
        html += "</table>\n</body></html>\n"
        return html
    }

    private func chart(device: Int, sensor: Int, spec: SensorSpec, windows: [Window]) -> String {
        let width = 960.0, height = 120.0, left = 70.0, right = 10.0, top = 16.0, bottom = 18.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let series = collector.series(device: device, sensor: sensor)
        var low = spec.normal.lowerBound, high = spec.normal.upperBound
        for cell in series.compactMap({ $0 }) {
            low = min(low, cell.min)
            high = max(high, cell.max)
        }
        let padding = (high - low) * 0.05
        low -= padding
        high += padding
        let columnWidth = plotWidth / Double(collector.columns)
        let x = { (timestamp: Int64) in left + plotWidth * Double(timestamp - collector.start) / Double(collector.end - collector.start) }
        let y = { (value: Double) in top + plotHeight * (high - value) / (high - low) }
        var svg = "<svg width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"#fafafa\" stroke=\"#ccc\"/>"
        for window in windows {
            let kind = AnomalyKind(rawValue: window.kind)
            let colour = kind.flatMap { Self.colours[$0] } ?? "#999"
            let affected = window.sensors.contains(spec.name)
            let x0 = max(left, x(window.start)), x1 = min(left + plotWidth, max(x(window.end), x0 + 1.5))
            svg += "<rect x=\(attribute(x0)) y=\"\(top)\" width=\(attribute(x1 - x0)) height=\"\(plotHeight)\" fill=\"\(colour)\" opacity=\"\(affected ? "0.35" : "0.1")\">"
            svg += "<title>\(escape(window.id)): \(escape(window.kind)) on \(escape(window.sensors.joined(separator: ", ")))</title></rect>"
        }
        for bound in [spec.normal.lowerBound, spec.normal.upperBound] {
            svg += "<line x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\(attribute(y(bound))) y2=\(attribute(y(bound))) stroke=\"#999\" stroke-dasharray=\"4 3\"/>"
        }
        var band = ""
        var line = ""
        var penDown = false
        for (column, cell) in series.enumerated() {
            guard let cell else {
                penDown = false
                continue
            }
            let cx = left + (Double(column) + 0.5) * columnWidth
            // A column whose readings are all equal still gets a visible sliver.
            let yTop = y(cell.max), yBottom = max(y(cell.min), yTop + 0.8)
            band += "M\(number(cx)) \(number(yTop))V\(number(yBottom))"
            line += (penDown ? "L" : "M") + "\(number(cx)) \(number(y(cell.mean)))"
            penDown = true
        }
        svg += "<path d=\"\(band)\" stroke=\"#7fa7d9\" stroke-width=\(attribute(max(columnWidth, 1)))/>"
        svg += "<path d=\"\(line)\" fill=\"none\" stroke=\"#1f4e8c\" stroke-width=\"1\"/>"
        let unit = spec.unit.isEmpty ? "" : " (\(escape(spec.unit)))"
        svg += "<text x=\"\(left)\" y=\"11\">\(escape(spec.name))\(unit)</text>"
        svg += "<text x=\"\(left - 4)\" y=\(attribute(top + 9)) text-anchor=\"end\">\(label(high))</text>"
        svg += "<text x=\"\(left - 4)\" y=\(attribute(top + plotHeight)) text-anchor=\"end\">\(label(low))</text>"
        svg += "<text x=\"\(left)\" y=\"\(Int(height - 4))\">\(UTCTime.format(collector.start))</text>"
        svg += "<text x=\"\(left + plotWidth)\" y=\"\(Int(height - 4))\" text-anchor=\"end\">\(UTCTime.format(collector.end))</text>"
        return svg + "</svg>\n"
    }

    /// Two decimals are plenty for pixels and axis labels, and keep the page small.
    private func number(_ value: Double) -> String {
        let scaled = (value * 100).rounded() / 100
        return scaled == scaled.rounded() ? "\(Int(scaled))" : "\(scaled)"
    }

    /// Axis labels: four significant digits, whatever the sensor's scale.
    private func label(_ value: Double) -> String { String(format: "%.4g", value) }

    private func attribute(_ value: Double) -> String { "\"\(number(value))\"" }

    private func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
