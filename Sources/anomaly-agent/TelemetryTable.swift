import Foundation
import Simulation

/// A telemetry CSV (the emulator's `train.csv`/`test.csv`, or any CSV with a time column), read into
/// rows in time order (file order unless the file is not sorted by time). Columns: a timestamp (`timestamp`, `ts`, `time`, `datetime` or
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
    /// Whether the file has the label column asked for.
    let hasLabels: Bool
    /// Sensor cells that held something other than a finite number or a missing-value marker (empty, nan,
    /// NA, null), read as missing; and where the first of them was.
    private(set) var unreadableCells = 0
    private(set) var firstUnreadableCell: String?
    /// Devices whose rows were not in time order in the file (the rows were then sorted by time, stably).
    private(set) var devicesOutOfOrder: [String] = []

    static let timestampNames = ["timestamp", "ts", "time", "datetime", "date"]
    static let labelNames: Set<String> = ["anomaly", "kind", "changepoint", "label", "labels", "is_anomaly"]

    /// - Parameters:
    ///   - sensors: sensor columns to read; nil for every column that is not time, device, seq or a label.
    ///   - labelColumn: the 0/1 column that marks anomalous rows, when the file has one.
    init(path: String, sensors wanted: [String]?, labelColumn: String? = "anomaly") throws {
        let reader: CSVReader
        do { reader = try CSVReader(path: path, separator: nil) } catch { throw TableError("\(error)") }
        guard let header = try reader.nextRecord() else { throw TableError("\(path) is empty") }
        var seen: Set<String> = []
        if let twice = header.first(where: { !seen.insert($0).inserted }) {
            throw TableError("\(path): the column \(twice.debugDescription) appears twice in the header")
        }
        guard let timeColumn = header.firstIndex(where: { Self.timestampNames.contains($0.lowercased()) }) else {
            throw TableError("\(path) has no timestamp column (one of \(Self.timestampNames.joined(separator: ", ")))")
        }
        let deviceColumn = header.firstIndex(of: "device")
        let seqColumn = header.firstIndex(of: "seq")
        let labelIndex = labelColumn.flatMap { header.firstIndex(of: $0) }
        hasLabels = labelIndex != nil
        let kindColumn = header.firstIndex(of: "kind")
        let reserved = Set([timeColumn, deviceColumn, seqColumn].compactMap { $0 })
        let sensorNames = wanted ?? header.enumerated().filter {
            !reserved.contains($0.offset) && $0.offset != labelIndex && !Self.labelNames.contains($0.element)
        }.map(\.element)
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
            let values = zip(sensorNames, sensorColumns).map { name, column in
                let cell = record[column]
                if let value = Double(cell), value.isFinite { return value }
                if !cell.isEmpty, !ReplayOptions.missingValueMarkers.contains(cell.lowercased()) {
                    unreadableCells += 1
                    if firstUnreadableCell == nil { firstUnreadableCell = "line \(reader.line), column \(name): \(cell.debugDescription)" }
                }
                return Double.nan
            }
            var label: Bool?
            if let labelIndex {
                guard let value = Self.label(record[labelIndex]) else {
                    throw TableError("\(path) line \(reader.line): the label column \(header[labelIndex]) holds \(record[labelIndex].debugDescription), not 0 or 1")
                }
                label = value
            }
            rows.append(Row(device: deviceColumn.map { record[$0] } ?? fixedDevice, ts: ts, seq: seqColumn.flatMap { Int64(record[$0]) },
                            values: values, label: label, kind: kindColumn.map { record[$0] }.flatMap { $0.isEmpty ? nil : $0 }))
        }
        // Exports from historians are not always sorted; features and events need each device's rows in time order.
        var lastTs: [String: Int64] = [:]
        var unordered: Set<String> = []
        for row in rows {
            if let last = lastTs[row.device], row.ts < last { unordered.insert(row.device) }
            lastTs[row.device] = row.ts
        }
        if !unordered.isEmpty {
            devicesOutOfOrder = unordered.sorted()
            rows = rows.enumerated().sorted { ($0.element.ts, $0.offset) < ($1.element.ts, $1.offset) }.map(\.element)
        }
    }

    /// A label cell: 0 or 1 (as any number, so SKAB's 0.0 and 1.0 too), true or false; nil for anything else.
    static func label(_ cell: String) -> Bool? {
        switch cell.lowercased() {
        case "true": return true
        case "false": return false
        default:
            guard let value = Double(cell), value == 0 || value == 1 else { return nil }
            return value == 1
        }
    }

    /// What the reader changed or could not read, for the command's progress output (nil when nothing).
    var readingNotes: [String] {
        var notes: [String] = []
        if unreadableCells > 0, let firstUnreadableCell {
            notes.append("\(unreadableCells == 1 ? "1 sensor cell was" : "\(unreadableCells) sensor cells were") not a number and read as missing (the first: \(firstUnreadableCell))")
        }
        if !devicesOutOfOrder.isEmpty {
            let shown = devicesOutOfOrder.prefix(5).joined(separator: ", ") + (devicesOutOfOrder.count > 5 ? ", …" : "")
            notes.append("the rows of \(devicesOutOfOrder.count == 1 ? "device" : "\(devicesOutOfOrder.count) devices") \(shown) were not in time order; they were read sorted by time")
        }
        return notes
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
