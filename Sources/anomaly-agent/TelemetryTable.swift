import Foundation
import Simulation

/// A telemetry CSV (the emulator's `train.csv`/`test.csv`, or any CSV with a time column), read into
/// per-device readings in file order. Columns: a timestamp (`timestamp`, `ts`, `time`, `datetime` or
/// `date`), an optional `device` and `seq`, label columns (`anomaly`, `kind`, `changepoint`, `label`),
/// and sensor columns: the given ones, or every other column.
struct TelemetryTable {
    struct Row {
        var device: String
        var ts: Int64
        var seq: Int64?
        var values: [Double]
        var label: Bool?
        var kind: String?
    }

    let sensors: [String]
    var rows: [Row] = []

    static let timestampNames = ["timestamp", "ts", "time", "datetime", "date"]
    static let labelNames: Set<String> = ["anomaly", "kind", "changepoint", "label", "labels", "is_anomaly"]

    /// - Parameters:
    ///   - sensors: sensor columns to read; nil for every column that is not time, device, seq or a label.
    ///   - labelColumn: the 0/1 column that marks anomalous rows, when the file has one.
    init(path: String, sensors wanted: [String]?, labelColumn: String? = "anomaly") throws {
        let reader: CSVReader
        do { reader = try CSVReader(path: path, separator: nil) } catch { throw TableError("\(error)") }
        guard let header = try reader.nextRecord() else { throw TableError("\(path) is empty") }
        guard let timeColumn = header.firstIndex(where: { Self.timestampNames.contains($0.lowercased()) }) else {
            throw TableError("\(path) has no timestamp column (one of \(Self.timestampNames.joined(separator: ", ")))")
        }
        let deviceColumn = header.firstIndex(of: "device")
        let seqColumn = header.firstIndex(of: "seq")
        let labelIndex = labelColumn.flatMap { header.firstIndex(of: $0) }
        let kindColumn = header.firstIndex(of: "kind")
        let reserved = Set([timeColumn, deviceColumn, seqColumn].compactMap { $0 })
        let sensorNames = wanted ?? header.enumerated().filter { !reserved.contains($0.offset) && !Self.labelNames.contains($0.element) }.map(\.element)
        let sensorColumns = try sensorNames.map { name in
            guard let index = header.firstIndex(of: name) else { throw TableError("\(path) has no column \(name.debugDescription)") }
            return index
        }
        sensors = sensorNames
        let fixedDevice = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        var timestamps = TimestampParser(format: .auto, timeZone: .current)
        while let record = try reader.nextRecord() {
            guard record.count == header.count else {
                throw TableError("\(path) line \(reader.line): \(record.count) fields, the header has \(header.count)")
            }
            guard let ts = timestamps.parse(record[timeColumn]) else {
                throw TableError("\(path) line \(reader.line): \(record[timeColumn].debugDescription) is not a timestamp")
            }
            let values = sensorColumns.map { Double(record[$0]) ?? .nan }
            rows.append(Row(device: deviceColumn.map { record[$0] } ?? fixedDevice, ts: ts, seq: seqColumn.flatMap { Int64(record[$0]) },
                            values: values, label: labelIndex.map { (Double(record[$0]) ?? 0) != 0 },
                            kind: kindColumn.map { record[$0] }.flatMap { $0.isEmpty ? nil : $0 }))
        }
    }

    /// Readings per device, in file order.
    var readingsByDevice: [String: [[Double]]] {
        Dictionary(grouping: rows, by: \.device).mapValues { $0.map(\.values) }
    }
}

struct TableError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
