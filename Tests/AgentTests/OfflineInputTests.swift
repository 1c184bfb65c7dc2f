import Foundation
import IsolationForest
import Telemetry
import Testing

/// Bad input to the offline commands (train, evaluate, score) gets a clear error or a note, never a
/// crash, a silently wrong figure or a replaced device file.
@Suite("anomaly-agent offline commands and bad input")
struct OfflineInputTests {
    struct Result {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs the agent with stdout to `standardOutput` (a file in `directory` unless given).
    func run(_ arguments: [String], in directory: URL, standardOutput: String? = nil) throws -> Result {
        let outputPath = standardOutput ?? directory.appendingPathComponent("stdout-\(UUID().uuidString)").path
        let errorPath = directory.appendingPathComponent("stderr-\(UUID().uuidString)").path
        if standardOutput == nil { try Data().write(to: URL(fileURLWithPath: outputPath)) }
        try Data().write(to: URL(fileURLWithPath: errorPath))
        let process = Process()
        process.executableURL = AgentProcess.executable
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        try process.run()
        process.waitUntilExit()
        let output = standardOutput == nil ? (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" : ""
        return Result(status: process.terminationStatus, output: output, errors: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
    }

    /// A labelled CSV of `count` normal rows of one device, with a spike at row 150; its lines in time order.
    func labelledLines(count: Int = 300) -> [String] {
        (0..<count).map { index in
            var reading = normalReading(index, device: 4)
            if index == 150 { reading[1] += 0.5 }
            return "\(Self.start + 1_000 * Int64(index)),pump-01,\(index)," + reading.map { "\($0)" }.joined(separator: ",") + (index == 150 ? ",1" : ",0")
        }
    }
    let header = "timestamp,device,seq,temperature,vibration,current,pressure,anomaly"
    /// 2026-01-01 in epoch milliseconds.
    static let start: Int64 = 1_767_225_600_000

    @Test("evaluate: rows out of time order are read sorted (same figures, and a note); a missing or non-0/1 label column is refused")
    func evaluateInput() throws {
        let directory = try temporaryDirectory()
        let model = try writeModel(in: directory).path
        let lines = labelledLines()
        let sorted = directory.appendingPathComponent("sorted.csv"), shuffled = directory.appendingPathComponent("shuffled.csv")
        try Data(([header] + lines).joined(separator: "\n").utf8).write(to: sorted)
        var generator = SplitMix64(state: 7)
        try Data(([header] + lines.shuffled(using: &generator)).joined(separator: "\n").utf8).write(to: shuffled)
        let inOrder = try run(["evaluate", "--data", sorted.path, "--model", model, "--json"], in: directory)
        let outOfOrder = try run(["evaluate", "--data", shuffled.path, "--model", model, "--json"], in: directory)
        #expect(inOrder.status == 0 && outOfOrder.status == 0)
        #expect(inOrder.output == outOfOrder.output)
        #expect(inOrder.output.contains("\"tp\":1") || inOrder.output.contains("\"tp\" : 1"), "\(inOrder.output)")
        #expect(outOfOrder.errors.contains("not in time order"))
        #expect(!inOrder.errors.contains("not in time order"))

        // --events writes what the agent would publish: the spike's open and closed messages, dated from the spike.
        let eventsPath = directory.appendingPathComponent("events.jsonl").path
        let written = try run(["evaluate", "--data", sorted.path, "--model", model, "--events", eventsPath], in: directory)
        let events = try String(contentsOfFile: eventsPath, encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode(AnomalyEvent.self, from: Data($0.utf8)) }
        #expect(written.status == 0 && written.errors.contains("wrote \(events.count) event messages"), "\(written.errors)")
        #expect(events.map(\.state) == [.open, .closed])
        #expect(events.allSatisfy { $0.device == "pump-01" && $0.triggerSeq == 150 && $0.startedAt.milliseconds == Self.start + 150_000 })
        #expect(events.allSatisfy { $0.onsetAt == $0.startedAt }, "a raw value raised it: the onset is the spike itself")
        // Read row by row, the event covers the spike and the 10 normal rows that closed it: TP 1, FP 10.
        let inside = (try JSONSerialization.jsonObject(with: Data(inOrder.output.utf8)) as? [String: Any])?["points_inside_events"] as? [String: Any]
        #expect(inside?["tp"] as? Int == 1 && inside?["fp"] as? Int == 10 && inside?["fn"] as? Int == 0, "\(inOrder.output)")

        let noLabel = try run(["evaluate", "--data", sorted.path, "--model", model, "--label-column", "nosuch"], in: directory)
        #expect(noLabel.status != 0 && noLabel.errors.contains("no label column \"nosuch\""), "\(noLabel.errors)")
        var bad = lines
        bad[20] = bad[20].replacingOccurrences(of: ",0", with: ",yes", options: .backwards)
        let badLabels = directory.appendingPathComponent("bad-labels.csv")
        try Data(([header] + bad).joined(separator: "\n").utf8).write(to: badLabels)
        let refused = try run(["evaluate", "--data", badLabels.path, "--model", model], in: directory)
        #expect(refused.status != 0 && refused.errors.contains("line 22") && refused.errors.contains("\"yes\", not 0 or 1"), "\(refused.errors)")

        // Every row twice: the duplicates are refused as live (duplicate seq), and the user is told.
        let doubled = directory.appendingPathComponent("doubled.csv")
        try Data(([header] + lines.flatMap { [$0, $0] }).joined(separator: "\n").utf8).write(to: doubled)
        let duplicates = try run(["evaluate", "--data", doubled.path, "--model", model], in: directory)
        #expect(duplicates.status == 0 && duplicates.errors.contains("refused 300 rows (300 duplicate_seq)"), "\(duplicates.errors)")

        // One row a year late would make false events per device-hour look like zero: the user is told.
        let late = directory.appendingPathComponent("late.csv")
        try Data(([header] + lines + ["\(Self.start + 365 * 86_400_000),pump-01,300," + normalReading(300, device: 4).map { "\($0)" }.joined(separator: ",") + ",0"])
            .joined(separator: "\n").utf8).write(to: late)
        let gap = try run(["evaluate", "--data", late.path, "--model", model], in: directory)
        #expect(gap.status == 0 && gap.errors.contains("device pump-01 has no data for 8759.9 hours"), "\(gap.errors)")
        #expect(!inOrder.errors.contains("has no data for"))

        // A truth log written on Windows (CRLF) reads as well as one with LF.
        let truth = directory.appendingPathComponent("truth.jsonl")
        let record = { (state: String, ts: Int64) in
            #"{"device":"pump-01","id":"t1","kind":"spike","state":"\#(state)","sensors":["vibration"],"ts":\#(ts)}"#
        }
        try Data((record("start", Self.start + 150_000) + "\r\n" + record("end", Self.start + 151_000) + "\r\n").utf8).write(to: truth)
        let crlf = try run(["evaluate", "--data", sorted.path, "--model", model, "--truth", truth.path, "--json"], in: directory)
        let figures = try JSONSerialization.jsonObject(with: Data(crlf.output.utf8)) as? [String: Any]
        #expect(crlf.status == 0 && (figures?["events"] as? [String: Any])?["true_anomalies"] as? Int == 1, "\(crlf.errors)")

        let nan = try run(["evaluate", "--data", sorted.path, "--model", model, "--tolerance", "nan"], in: directory)
        #expect(nan.status != 0 && nan.errors.contains("--tolerance"))
    }

    @Test("train: values too large to model, cells that are not numbers, a constant sensor and conflicting options are reported")
    func trainInput() throws {
        let directory = try temporaryDirectory()
        let header = "timestamp,device,temperature,vibration,current,pressure"
        var lines = (0..<400).map { index in "\(1_000 * index),pump-01," + normalReading(index).map { "\($0)" }.joined(separator: ",") }
        let model = directory.appendingPathComponent("model.json").path
        func train(_ lines: [String], _ extra: [String] = []) throws -> Result {
            let data = directory.appendingPathComponent("train-\(UUID().uuidString).csv")
            try Data(([header] + lines).joined(separator: "\n").utf8).write(to: data)
            return try run(["train", "--data", data.path, "--output", model, "--trees", "10"] + extra, in: directory)
        }
        var huge = lines
        huge[100] = "100000,pump-01,70,1e200,12,5"
        let overflow = try train(huge)
        #expect(overflow.status == 1 && overflow.errors.contains("too large to model"), "\(overflow.errors)")

        lines[50] = "50000,pump-01,70,abc,12,5"
        let garbage = try train(lines)
        #expect(garbage.status == 0 && garbage.errors.contains("1 sensor cell was not a number") && garbage.errors.contains("line 52, column vibration: \"abc\""),
                "\(garbage.errors)")

        let constant = try train(lines.map { $0.split(separator: ",").dropLast().joined(separator: ",") + ",1.0" })
        #expect(constant.status == 0 && constant.errors.contains("warning: pressure was constant (1.0)"), "\(constant.errors)")

        let conflicting = try train(lines, ["--contamination", "0.01", "--false-alarm-rate", "1"])
        #expect(conflicting.status != 0 && conflicting.errors.contains("either --contamination or --false-alarm-rate"))

        // A negative count is refused for its range, not taken for a missing value and an unknown option.
        let negative = try train(lines, ["--trees", "-1"])
        #expect(negative.status != 0 && negative.errors.contains("--trees must be at least 1"), "\(negative.errors)")
    }

    @Test("Outputs: a symbolic link is followed, a device is written into, a full disk is an error")
    func outputs() throws {
        let directory = try temporaryDirectory()
        let model = try writeModel(in: directory).path
        let data = directory.appendingPathComponent("data.csv")
        try Data(([header] + labelledLines(count: 60)).joined(separator: "\n").utf8).write(to: data)

        let target = directory.appendingPathComponent("report.html"), link = directory.appendingPathComponent("latest.html")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: target.path)
        #expect(try run(["evaluate", "--data", data.path, "--model", model, "--html", link.path], in: directory).status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == target.path)
        #expect(try String(contentsOf: target, encoding: .utf8).contains("<svg"))

        let trained = try run(["train", "--data", data.path, "--output", "/dev/null", "--trees", "5"], in: directory)
        #expect(trained.status == 0)
        let device = try FileManager.default.attributesOfItem(atPath: "/dev/null")[.type] as? FileAttributeType
        #expect(device == .typeCharacterSpecial, "/dev/null must still be a device")

        let missingFolder = try run(["evaluate", "--data", data.path, "--model", model, "--html", directory.path + "/no/such/report.html"], in: directory)
        #expect(missingFolder.status == 1 && missingFolder.errors.contains("No such file or directory"), "\(missingFolder.errors)")

        // A chain of links to a longer file: the file is replaced whole, no tail of the old one left behind.
        let chained = directory.appendingPathComponent("chained.html"), first = directory.appendingPathComponent("first-link.html")
        try Data(repeating: UInt8(ascii: "x"), count: 2_000_000).write(to: chained)
        try FileManager.default.createSymbolicLink(atPath: first.path, withDestinationPath: chained.path)
        let second = directory.appendingPathComponent("second-link.html")
        try FileManager.default.createSymbolicLink(atPath: second.path, withDestinationPath: "first-link.html")
        #expect(try run(["evaluate", "--data", data.path, "--model", model, "--html", second.path], in: directory).status == 0)
        let page = try String(contentsOf: chained, encoding: .utf8)
        #expect(page.hasSuffix("</html>\n") && !page.contains("xxxx"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: second.path) == "first-link.html")

        // The report to /dev/stdout comes after the figures already printed, not over them.
        let both = try run(["evaluate", "--data", data.path, "--model", model, "--html", "/dev/stdout"], in: directory)
        #expect(both.status == 0 && both.output.hasPrefix("event-wise") && both.output.contains("<svg"), "\(both.output.prefix(200))")

        if FileManager.default.fileExists(atPath: "/dev/full") {
            let score = try run(["score", "--data", data.path, "--model", model], in: directory, standardOutput: "/dev/full")
            #expect(score.status == 1 && score.errors.contains("cannot write the scores"), "\(score.errors)")
            let evaluate = try run(["evaluate", "--data", data.path, "--model", model], in: directory, standardOutput: "/dev/full")
            #expect(evaluate.status == 1 && evaluate.errors.contains("cannot write the output"), "\(evaluate.errors)")
        }
    }
}
