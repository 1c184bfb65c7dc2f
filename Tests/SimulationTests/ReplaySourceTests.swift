import Foundation
@testable import Simulation
import Telemetry
import Testing

@Suite("Reading any CSV for replay")
struct ReplaySourceTests {
    static let utc = TimeZone(identifier: "UTC")!

    @Test("a SKAB-like file: ';', local-naive datetimes, spaces in names, labels to ground truth")
    func skabLike() throws {
        let path = Paths.fixtures.appendingPathComponent("pump-small.csv").path
        let source = try ReplaySource(path: path, options: ReplayOptions(timeZone: Self.utc))
        #expect(source.timestampColumn == "datetime")
        #expect(source.valueColumns == ["Accelerometer1RMS", "Current", "Volume Flow RateRMS", "Temperature"])
        #expect(source.labelColumns == ["anomaly", "changepoint"])
        var records: [ReplayRecord] = []
        while let record = try source.next() { records.append(record) }
        let truth = records.flatMap(\.truth) + source.finish()
        #expect(records.count == 16 && source.devices == ["pump-small"])
        #expect(records[0].timestamp == 1_583_748_873_000, "2020-03-09 10:14:33 UTC")
        #expect(records.map(\.seq) == Array(0..<16))
        #expect(records[5].values[1].isNaN && records[5].values[0] == 0.0264012, "an empty cell is null")
        let summary = truth.map { "\($0.kind) \($0.state.rawValue) \($0.seq!)" }
        #expect(summary == ["anomaly start 7", "changepoint start 7", "changepoint end 7", "anomaly end 11", "changepoint start 12", "changepoint end 12"])
        let anomaly = truth.filter { $0.kind == "anomaly" }
        #expect(anomaly[0].id == anomaly[1].id && anomaly[1].ts.milliseconds == records[11].timestamp)
    }

    @Test("the same file read in another zone shifts by that zone's offset")
    func timeZones() throws {
        let path = Paths.fixtures.appendingPathComponent("pump-small.csv").path
        let moscow = try ReplaySource(path: path, options: ReplayOptions(timeZone: TimeZone(identifier: "Europe/Moscow")!))
        #expect(try moscow.next()?.timestamp == 1_583_748_873_000 - 3 * 3_600_000)
    }

    @Test("a ',' file with a device column, epoch milliseconds, quoted names and chosen columns")
    func deviceColumn() throws {
        let path = Paths.fixtures.appendingPathComponent("two-devices.csv").path
        let source = try ReplaySource(path: path, options: ReplayOptions(deviceColumn: "device"))
        #expect(source.valueColumns == ["speed, rpm", "temp"], "the text column 'note' is not a value")
        var records: [ReplayRecord] = []
        while let record = try source.next() { records.append(record) }
        #expect(source.devices == ["pump-a", "pump-b"])
        #expect(records.map(\.seq) == [0, 0, 1, 1, 2])
        #expect(records[0].timestamp == 1_767_225_600_000)
        #expect(records[3].values[1].isNaN, "NaN is published as null")
        #expect(records[2].truth.map(\.state) == [.start] && records[4].truth.map(\.state) == [.end])
        #expect(records[4].truth.first?.seq == 1 && records[4].truth.first?.kind == "label")

        let chosen = try ReplaySource(path: path, options: ReplayOptions(timestampFormat: .epochMilliseconds, device: "one",
                                                                         valueColumns: ["temp"], labelColumns: []))
        #expect(chosen.valueColumns == ["temp"] && chosen.labelColumns.isEmpty)
        #expect(try chosen.next()?.device == "one")
    }

    @Test("columns that do not exist are named with the file's columns", arguments: [
        (ReplayOptions(timestampColumn: "when"), "--timestamp-column"),
        (ReplayOptions(valueColumns: ["rpm"]), "--value-columns"),
        (ReplayOptions(labelColumns: ["fault"]), "--label-columns"),
        (ReplayOptions(deviceColumn: "unit"), "--device-column"),
    ])
    func missingColumns(options: ReplayOptions, key: String) throws {
        let path = Paths.fixtures.appendingPathComponent("two-devices.csv").path
        let error = #expect(throws: ConfigurationError.self) { try ReplaySource(path: path, options: options) }
        #expect(error?.key == key)
        #expect(error?.description.contains(#""speed, rpm""#) == true, "lists the columns: \(String(describing: error))")
    }

    @Test("timestamp formats", arguments: [
        ("1767225600123", TimestampFormat.auto, Int64(1_767_225_600_123)), ("1767225600.5", .auto, 1_767_225_600_500),
        ("2026-01-01 00:00:01", .auto, 1_767_225_601_000), ("2026-01-01T00:00:01.25Z", .dateTime, 1_767_225_601_250),
        ("2026-01-01 03:00:01+03:00", .dateTime, 1_767_225_601_000), ("2026/01/01 00:00", .dateTime, 1_767_225_600_000),
        ("1767225600", .epochMilliseconds, 1_767_225_600),
    ])
    func timestamps(text: String, format: TimestampFormat, expected: Int64) {
        var parser = TimestampParser(format: format, timeZone: Self.utc)
        #expect(parser.parse(text) == expected)
    }

    @Test("the emulator's own CSV replays as its devices without options: the device column is found, seq is not a sensor, and one bad cell early does not drop a sensor")
    func emulatorCSV() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("test-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: url) }
        let rows = (0..<20).map { index in
            "\(1_767_225_600_000 + 500 * index),pump-0\(index % 2 + 1),\(index / 2),\(index == 3 ? "n/a" : "70.\(index)"),0.03,0,"
        }
        try (["timestamp,device,seq,temperature,vibration,anomaly,kind"] + rows).joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        let source = try ReplaySource(path: url.path, options: ReplayOptions())
        #expect(source.valueColumns == ["temperature", "vibration"], "seq and the text column kind are not sensors")
        var records: [ReplayRecord] = []
        while let record = try source.next() { records.append(record) }
        #expect(source.devices == ["pump-01", "pump-02"])
        #expect(records[3].values[0].isNaN && records[4].values[0] == 70.4)

        let fixed = try ReplaySource(path: url.path, options: ReplayOptions(device: "one"))
        #expect(try fixed.next()?.device == "one", "--device still names every row")

        // A row short of fields and a row back in time are published, and counted for the summary.
        try "ts,x,y\n1767225600000,1,2\n1767225601000,3\n1767225600500,4,5\n".write(to: url, atomically: true, encoding: .utf8)
        let odd = try ReplaySource(path: url.path, options: ReplayOptions())
        var oddRecords: [ReplayRecord] = []
        while let record = try odd.next() { oddRecords.append(record) }
        #expect(oddRecords.count == 3 && oddRecords[1].values[1].isNaN)
        #expect(odd.raggedRows == 1 && odd.rowsBackInTime == 1)
    }

    @Test("a timestamp that does not parse is reported with its line")
    func badTimestamp() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: url) }
        try "time,x\n2026-01-01 00:00:00,1\nyesterday,2\n".write(to: url, atomically: true, encoding: .utf8)
        let source = try ReplaySource(path: url.path, options: ReplayOptions(timeZone: Self.utc))
        _ = try source.next()
        let error = #expect(throws: ConfigurationError.self) { try source.next() }
        #expect(error?.key == "line 3")
    }

    @Test("the SKAB benchmark reads as it is, when the shared data set is there",
          .enabled(if: FileManager.default.fileExists(atPath: Paths.skab.appendingPathComponent("valve1/0.csv").path)))
    func skab() throws {
        let path = Paths.skab.appendingPathComponent("valve1/0.csv").path
        let source = try ReplaySource(path: path, options: ReplayOptions(timeZone: Self.utc))
        #expect(source.valueColumns == ["Accelerometer1RMS", "Accelerometer2RMS", "Current", "Pressure", "Temperature", "Thermocouple",
                                        "Voltage", "Volume Flow RateRMS"])
        #expect(source.labelColumns == ["anomaly", "changepoint"])
        var rows = 0, labelled = 0, previous: Int64 = 0
        var truth: [GroundTruthRecord] = []
        while let record = try source.next() {
            rows += 1
            #expect(record.timestamp > previous && record.values.allSatisfy(\.isFinite))
            previous = record.timestamp
            truth += record.truth
        }
        truth += source.finish()
        let text = try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isNewline).dropFirst()
        labelled = text.filter { $0.split(separator: ";")[9] == "1.0" }.count
        #expect(rows == text.count && source.devices == ["valve1-0"])
        let anomalyRows = truth.filter { $0.kind == "anomaly" }.chunked().map { Int($0.1.seq! - $0.0.seq!) + 1 }.reduce(0, +)
        #expect(anomalyRows == labelled)
    }
}

extension Array where Element == GroundTruthRecord {
    /// Consecutive start/end pairs.
    func chunked() -> [(GroundTruthRecord, GroundTruthRecord)] {
        stride(from: 0, to: count - 1, by: 2).map { (self[$0], self[$0 + 1]) }
    }
}
