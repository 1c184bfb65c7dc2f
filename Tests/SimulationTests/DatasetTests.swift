import Foundation
@testable import Simulation
import Telemetry
import Testing

@Suite("generate: data sets, labels, ground truth and report")
struct DatasetTests {
    static func request(seed: UInt64, into directory: URL, scenario: Scenario? = .default, test: Double = 2 * 3600) -> DatasetRequest {
        DatasetRequest(scenario: scenario, deviceCount: 3, rate: 1, seed: seed, trainingSeconds: 3600, testSeconds: test, outputDirectory: directory)
    }

    static let files = [DatasetGenerator.trainingFileName, DatasetGenerator.testFileName, DatasetGenerator.truthFileName, DatasetGenerator.reportFileName]

    @Test("the same seed gives the same bytes in every file; another seed gives other data")
    func sameSeedSameBytes() throws {
        let first = try Paths.temporaryDirectory(), second = try Paths.temporaryDirectory(), other = try Paths.temporaryDirectory()
        defer { for url in [first, second, other] { try? FileManager.default.removeItem(at: url) } }
        _ = try DatasetGenerator.generate(Self.request(seed: 7, into: first))
        _ = try DatasetGenerator.generate(Self.request(seed: 7, into: second))
        _ = try DatasetGenerator.generate(Self.request(seed: 8, into: other))
        for name in Self.files {
            let a = try Data(contentsOf: first.appendingPathComponent(name))
            #expect(a.count > 100, "\(name) is not empty")
            #expect(a == (try Data(contentsOf: second.appendingPathComponent(name))), "\(name) differs between two runs with seed 7")
        }
        #expect(try Data(contentsOf: first.appendingPathComponent("test.csv")) != (try Data(contentsOf: other.appendingPathComponent("test.csv"))))
    }

    @Test("the training set is normal only; test rows are labelled exactly inside the ground-truth windows")
    func labelsMatchTruth() throws {
        let directory = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let summary = try DatasetGenerator.generate(Self.request(seed: 5, into: directory, test: 4 * 3600))

        let training = try readCSV(summary.trainingFile)
        #expect(training.header == ["timestamp", "device", "seq", "temperature", "vibration", "current", "pressure"])
        #expect(training.rows.count == 3 * 3600 && training.rows.allSatisfy { row in row[3...].allSatisfy { Double($0) != nil } })

        let test = try readCSV(summary.testFile)
        #expect(test.header == training.header + ["anomaly", "kind"])
        let truth = try String(contentsOf: summary.truthFile, encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode(GroundTruthRecord.self, from: Data($0.utf8)) }
        var windows: [(device: String, kind: String, first: Int64, last: Int64)] = []
        for start in truth where start.state == .start {
            let end = try #require(truth.first { $0.id == start.id && $0.state == .end })
            #expect(end.ts >= start.ts && start.sensors == end.sensors)
            windows.append((start.device, start.kind, start.seq!, end.seq!))
        }
        #expect(windows.count == truth.count / 2 && windows.count == summary.anomalies.values.reduce(0, +))
        #expect(Set(truth.map(\.id)).count == windows.count)

        var seqs: [String: [Int64]] = [:]
        for row in test.rows {
            let seq = Int64(row[2])!
            seqs[row[1], default: []].append(seq)
            let covering = windows.filter { $0.device == row[1] && $0.first <= seq && seq <= $0.last }
            #expect(row[7] == (covering.isEmpty ? "0" : "1"), "row \(row)")
            #expect(row[8] == covering.map(\.kind).joined(separator: "+") || covering.count > 1, "row \(row)")
        }
        // Rows missing from the test set are exactly the whole-message dropouts.
        for (device, present) in seqs {
            let missing = Set(3600..<(3600 + 4 * 3600)).subtracting(present.map(Int.init))
            let dropped = windows.filter { $0.device == device && $0.kind == "dropout" }.flatMap { Int($0.first)...Int($0.last) }
            #expect(missing.isSubset(of: Set(dropped)))
        }
        #expect(summary.anomalousRows == test.rows.filter { $0[7] == "1" }.count)
    }

    @Test("the default scenario injects every kind, separated by normal data")
    func defaultScenarioHasEveryKind() throws {
        let run = try SimulationRun.collect(.init(deviceCount: 4, rate: 1, seed: 42, origin: SimulationRun.origin), ticks: 12 * 3600)
        let windows = run.windows
        #expect(Set(windows.map(\.kind)) == Set(AnomalyKind.allCases.map(\.rawValue)))
        for device in run.deviceIDs {
            let own = windows.filter { $0.device == device }.sorted { $0.first < $1.first }
            #expect(own.first.map { $0.first >= 300 } ?? false, "a warm-up without anomalies")
            #expect(zip(own.dropFirst(), own).allSatisfy { $0.first - $1.last > 120 }, "at least the minimum gap between anomalies")
        }
    }

    @Test("the random schedule can be limited to some sensors")
    func randomSensors() throws {
        let scenario = Scenario(random: RandomAnomalies(sensors: ["pressure"]))
        let run = try SimulationRun.collect(.init(scenario: scenario, deviceCount: 4, rate: 1, seed: 42, origin: SimulationRun.origin), ticks: 6 * 3600)
        #expect(run.windows.count > 20)
        for window in run.windows {
            #expect(window.sensors == ["pressure"] || (window.kind == "dropout" && window.sensors.count == 4), "\(window)")
        }
        let unknown = Scenario(random: RandomAnomalies(sensors: ["rpm"]))
        let error = #expect(throws: ConfigurationError.self) { try Emulation(.init(scenario: unknown, origin: SimulationRun.origin)) }
        #expect(error?.key == "random.sensors[0]")
    }

    @Test("the report is one self-contained HTML page with a chart per device and sensor and every anomaly shaded")
    func report() throws {
        let directory = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let summary = try DatasetGenerator.generate(Self.request(seed: 5, into: directory))
        let html = try String(contentsOf: try #require(summary.reportFile), encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href="))
        #expect(html.components(separatedBy: "<svg").count - 1 == 3 * 4)
        let anomalies = summary.anomalies.values.reduce(0, +)
        #expect(anomalies > 0)
        #expect(html.components(separatedBy: "<title>").count - 1 == 1 + anomalies * 4, "each anomaly shaded on each sensor chart of its device")
    }

    @Test("the report draws the first devices only, and says so: every device of a large fleet took gigabytes")
    func reportOfManyDevices() throws {
        let directory = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let devices = DatasetGenerator.devicesDrawn + 6
        let summary = try DatasetGenerator.generate(DatasetRequest(scenario: .default, deviceCount: devices, rate: 1, seed: 3, trainingSeconds: 60,
                                                                   testSeconds: 60, outputDirectory: directory))
        let html = try String(contentsOf: try #require(summary.reportFile), encoding: .utf8)
        #expect(html.components(separatedBy: "<svg").count - 1 == DatasetGenerator.devicesDrawn * 4)
        #expect(html.contains("the first \(DatasetGenerator.devicesDrawn) of \(devices)"))
        #expect(summary.testRows == devices * 60, "the CSV still has every device")
    }

    private func readCSV(_ url: URL) throws -> (header: [String], rows: [[String]]) {
        let reader = try CSVReader(path: url.path, separator: nil)
        let header = try #require(try reader.nextRecord())
        var rows: [[String]] = []
        while let row = try reader.nextRecord() { rows.append(row) }
        return (header, rows)
    }
}
