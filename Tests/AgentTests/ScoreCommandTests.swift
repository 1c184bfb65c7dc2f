import Foundation
import IsolationForest
import Testing

@Suite("anomaly-agent score and train")
struct ScoreCommandTests {
    @Test("score writes the model's own scores, one row per input row; train writes a model that loads")
    func scoreMatchesModel() throws {
        let directory = try temporaryDirectory()
        let modelURL = try writeModel(in: directory)
        let model = try AnomalyModel(contentsOfFile: modelURL.path)
        let rows = (0..<20).map { index -> [Double] in
            var reading = normalReading(index, device: 3)
            if index == 10 { reading[1] += 0.5 }
            return reading
        }
        let csv = "timestamp,device,temperature,vibration,current,pressure\n"
            + rows.enumerated().map { "\(1_000 * $0.offset),pump-01," + $0.element.map { "\($0)" }.joined(separator: ",") }.joined(separator: "\n") + "\n"
        let data = directory.appendingPathComponent("rows.csv")
        try Data(csv.utf8).write(to: data)
        let output = try runAgent(["score", "--model", modelURL.path, "--data", data.path])
        let lines = Array(output.split(separator: "\n").dropFirst())
        #expect(lines.count == rows.count)
        for (line, reading) in zip(lines, rows) {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let score = try #require(Double(fields[2]))
            #expect(abs(score - model.anomalyScore(reading)) < 1e-12)
            #expect(abs(Double(fields[3])! - (model.threshold - score)) < 1e-12)
            #expect(fields[4] == (score > model.threshold ? "1" : "0"))
        }
        // The spike is beyond anything seen in training: the agent's envelope check flags it, whatever the forest says.
        let spike = lines[10].split(separator: ",", omittingEmptySubsequences: false)
        #expect(spike[5] == "vibration" && spike[6] == "1", "\(lines[10])")
        #expect(lines.allSatisfy { ["0", "1"].contains($0.split(separator: ",", omittingEmptySubsequences: false).last) })

        // evaluate with a label column: the spike row is the one true anomaly; the HTML report draws it.
        let labelled = "timestamp,device,temperature,vibration,current,pressure,anomaly\n"
            + rows.enumerated().map { "\(1_000 * $0.offset),pump-01," + $0.element.map { "\($0)" }.joined(separator: ",") + ($0.offset == 10 ? ",1" : ",0") }
                .joined(separator: "\n") + "\n"
        let labelledURL = directory.appendingPathComponent("labelled.csv")
        try Data(labelled.utf8).write(to: labelledURL)
        let report = directory.appendingPathComponent("report.html")
        let figures = try runAgent(["evaluate", "--data", labelledURL.path, "--model", modelURL.path, "--html", report.path, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(figures.utf8)) as? [String: Any])
        #expect((object["events"] as? [String: Any])?["true_anomalies"] as? Int == 1)
        #expect((object["points"] as? [String: Any])?["tp"] as? Int == 1)
        let page = try String(contentsOf: report, encoding: .utf8)
        #expect(page.contains("<polyline") && page.contains("fill=\"#bbb\"") && page.contains("anomaly score"))

        let trained = directory.appendingPathComponent("trained.json")
        let summary = try runAgent(["train", "--data", data.path, "--output", trained.path, "--derived", "none", "--trees", "10"])
        #expect(summary.contains("threshold"))
        #expect(try AnomalyModel(contentsOfFile: trained.path).featureNames == ["temperature", "vibration", "current", "pressure"])
    }

    @Test("train --envelope-on level-or-change judges a slow sensor by its change and a fast one by its level")
    func levelOrChange() throws {
        let directory = try temporaryDirectory()
        // "slow" drifts smoothly (lag-one autocorrelation near 1), "fast" is white-ish noise (near 0).
        var state: UInt64 = 42
        func noise() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        let csv = "timestamp,device,slow,fast\n" + (0..<600).map { index in
            "\(1_000 * index),pump-01,\(50 + 5 * sin(Double(index) / 100)),\(noise())"
        }.joined(separator: "\n") + "\n"
        let data = directory.appendingPathComponent("drift.csv")
        try Data(csv.utf8).write(to: data)
        let model = directory.appendingPathComponent("level-or-change.json")
        let summary = try runAgent(["train", "--data", data.path, "--output", model.path, "--derived", "mean,change",
                                    "--envelope-on", "level-or-change", "--trees", "10"])
        #expect(summary.contains("checks       slow:change, fast:mean"))
        let spec = try #require(try AnomalyModel(contentsOfFile: model.path).featureSpec?.objectValue)
        #expect(spec["envelopeFeatures"] == .array([.string("slow:change"), .string("fast:mean")]))

        // Without the change feature there is nothing to judge the slow sensor by: a clear refusal.
        let process = Process()
        process.executableURL = AgentProcess.executable
        process.arguments = ["train", "--data", data.path, "--output", model.path, "--derived", "mean", "--envelope-on", "level-or-change"]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(message.contains("change when a sensor is slow (slow)"))
    }

    func runAgent(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = AgentProcess.executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self)
    }
}
