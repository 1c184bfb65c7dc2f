import Evaluation
import Foundation

/// A self-contained HTML page (inline SVG, no script) for `evaluate --html`: per device, each sensor and
/// the anomaly score with the threshold, detected events shaded orange, true anomalies shaded grey.
struct EvaluationHTML {
    struct DeviceSeries {
        var ts: [Int64] = []
        var values: [[Double]] = []  // per row, per sensor
        var scores: [Double] = []  // NaN while warming up
    }

    let title: String
    let sensors: [String]
    let threshold: Double
    let series: [String: DeviceSeries]
    let truth: [String: [Interval]]
    let detected: [String: [Interval]]
    let summary: String

    private static let width = 1000.0, height = 90.0, maximumPoints = 1500

    func render() -> String {
        var html = """
        <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title><style>
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}h2{font-size:16px;margin-top:28px}
        pre{background:#f6f6f6;padding:8px}svg{display:block;margin:2px 0}svg text{font:11px system-ui,sans-serif;fill:#444}
        .key span{margin-right:16px}.box{display:inline-block;width:12px;height:12px;vertical-align:-1px;margin-right:4px}
        </style></head><body><h1>\(escape(title))</h1>
        <p class="key"><span><i class="box" style="background:#bbb"></i>true anomaly</span><span><i class="box" style="background:#ff7f0e;opacity:.45"></i>detected event, shaded from its onset (event figures count from the alarm)</span>
        <span><i class="box" style="background:#d62728"></i>threshold</span></p><pre>\(escape(summary))</pre>
        """
        for device in series.keys.sorted() {
            let data = series[device]!
            guard let first = data.ts.first, let last = data.ts.last, last > first else { continue }
            html += "<h2>\(escape(device))</h2>\n"
            for (index, sensor) in sensors.enumerated() {
                html += chart(label: sensor, ts: data.ts, values: data.values.map { $0[index] }, span: first...last, device: device, threshold: nil)
            }
            html += chart(label: "anomaly score", ts: data.ts, values: data.scores, span: first...last, device: device, threshold: threshold)
        }
        return html + "</body></html>\n"
    }

    private func chart(label: String, ts: [Int64], values: [Double], span: ClosedRange<Int64>, device: String, threshold: Double?) -> String {
        let finite = values.filter(\.isFinite) + (threshold.map { [$0] } ?? [])
        guard let low = finite.min(), let high = finite.max() else { return "" }
        let range = high > low ? high - low : 1
        func x(_ t: Int64) -> Double { Self.width * Double(t - span.lowerBound) / Double(span.upperBound - span.lowerBound) }
        func y(_ v: Double) -> Double { Self.height - 4 - (Self.height - 8) * (v - low) / range }
        var svg = "<svg width=\"\(Int(Self.width) + 120)\" height=\"\(Int(Self.height))\" viewBox=\"0 0 \(Int(Self.width) + 120) \(Int(Self.height))\">"
        for (intervals, style) in [(truth[device] ?? [], "fill=\"#bbb\" opacity=\"0.6\""), (detected[device] ?? [], "fill=\"#ff7f0e\" opacity=\"0.35\"")] {
            for interval in intervals {
                let start = x(max(interval.start, span.lowerBound)), end = x(min(interval.end, span.upperBound))
                svg += "<rect x=\"\(format(start))\" y=\"0\" width=\"\(format(max(1, end - start)))\" height=\"\(Int(Self.height))\" \(style)/>"
            }
        }
        // Min/max per pixel bucket keeps spikes visible however long the series.
        let stride = max(1, ts.count / Self.maximumPoints)
        var points: [String] = []
        var index = 0
        while index < ts.count {
            let slice = index..<min(ts.count, index + stride)
            let bucket = slice.map { values[$0] }.filter(\.isFinite)
            if let minimum = bucket.min(), let maximum = bucket.max() {
                points.append("\(format(x(ts[slice.lowerBound]))),\(format(y(minimum)))")
                if maximum != minimum { points.append("\(format(x(ts[slice.lowerBound]))),\(format(y(maximum)))") }
            }
            index += stride
        }
        svg += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1\" points=\"\(points.joined(separator: " "))\"/>"
        if let threshold {
            svg += "<line x1=\"0\" x2=\"\(Int(Self.width))\" y1=\"\(format(y(threshold)))\" y2=\"\(format(y(threshold)))\" stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>"
        }
        svg += "<text x=\"\(Int(Self.width) + 6)\" y=\"14\">\(escape(label))</text>"
        svg += "<text x=\"\(Int(Self.width) + 6)\" y=\"30\">\(format(high))</text><text x=\"\(Int(Self.width) + 6)\" y=\"\(Int(Self.height) - 4)\">\(format(low))</text>"
        return svg + "</svg>\n"
    }

    private func format(_ value: Double) -> String { String(format: "%.4g", value) }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
