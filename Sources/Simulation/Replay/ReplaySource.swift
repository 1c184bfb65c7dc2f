import Foundation
import Telemetry

/// One CSV row ready to publish: a reading, and the ground truth its label columns imply.
public struct ReplayRecord: Sendable {
    /// Position of `device` in `ReplaySource.devices`.
    public var deviceIndex: Int
    /// The device id.
    public var device: String
    /// Epoch milliseconds.
    public var timestamp: Int64
    /// Rows of this device so far (from 0).
    public var seq: Int64
    /// One per value column; NaN for an empty or non-numeric cell (published as `null`).
    public var values: [Double]
    /// Start and end records to publish before this row's telemetry (an end refers to the device's
    /// previous row, the last one the label covered).
    public var truth: [GroundTruthRecord]
    /// The line of the file the row starts on.
    public var line: Int
}

/// Reads any CSV file as a stream of `ReplayRecord`s, per `ReplayOptions`.
///
/// Label columns turn into ground truth: when a label becomes non-zero a `start` record (kind = the
/// column's name) is emitted with that row, and when it returns to zero an `end` record at the
/// last labelled row, so `start.seq...end.seq` are exactly the labelled rows. One source belongs to
/// one task (it is not `Sendable`).
public final class ReplaySource {
    /// The file being replayed.
    public let path: String
    /// The columns in use, resolved from the options and the header.
    public let timestampColumn: String
    /// Published as sensor values, under these names, in this order.
    public let valueColumns: [String]
    /// Published as ground truth, with these names as kinds.
    public let labelColumns: [String]
    /// Devices in order of first appearance.
    public private(set) var devices: [String] = []
    /// Cells in value columns that were neither empty nor a number (published as `null`).
    public private(set) var nonNumericCells = 0
    /// Rows with fewer or more fields than the header (missing cells are published as `null`).
    public private(set) var raggedRows = 0
    /// Rows whose timestamp is earlier than the device's previous one (published as they are, in file order).
    public private(set) var rowsBackInTime = 0
    private var reader: CSVReader
    /// Fields in the header.
    private let fieldCount: Int
    private var parser: TimestampParser
    private let timestampIndex: Int
    private let deviceIndexInRow: Int?
    private let fixedDevice: String
    private let valueIndices: [Int]
    private let labelIndices: [Int]
    private var buffered: [(fields: [String], line: Int)] = []
    private var state: [LabelState] = []
    private var deviceIndices: [String: Int] = [:]

    /// Per device: its counter, its last row, and the open label episodes.
    struct LabelState {
        var seq: Int64 = -1
        var lastTimestamp: Int64 = 0
        var open: [(id: String, since: Int64)?]
        var episodes = 0
    }

    /// Opens the file, reads the header and resolves the columns.
    /// - Throws: `ConfigurationError` naming the option (`--value-columns`, …) and listing the file's columns.
    public init(path: String, options: ReplayOptions) throws(ConfigurationError) {
        self.path = path
        reader = try CSVReader(path: path, separator: options.separator)
        guard let header = try reader.nextRecord()?.map({ $0.trimmingCharacters(in: .whitespaces) }) else {
            throw ConfigurationError(file: path, key: "", problem: "is empty: a header line is needed")
        }
        fieldCount = header.count
        let listing = "columns: \(header.map(\.debugDescription).joined(separator: ", "))"
        func column(_ name: String, option: String) throws(ConfigurationError) -> Int {
            guard let index = header.firstIndex(of: name) else {
                throw ConfigurationError(file: path, key: option, problem: "no column \(name.debugDescription) (\(listing))")
            }
            return index
        }
        if let name = options.timestampColumn {
            timestampIndex = try column(name, option: "--timestamp-column")
        } else if let index = header.firstIndex(where: { ReplayOptions.knownTimestampColumns.contains($0.lowercased()) }) {
            timestampIndex = index
        } else {
            throw ConfigurationError(file: path, key: "--timestamp-column",
                                     problem: "none of \(ReplayOptions.knownTimestampColumns.joined(separator: ", ")) is a column; name it (\(listing))")
        }
        timestampColumn = header[timestampIndex]
        if let name = options.deviceColumn {
            deviceIndexInRow = try column(name, option: "--device-column")
        } else if options.device == nil {
            // A column named device (the emulator's own CSVs have one) is what it looks like.
            deviceIndexInRow = header.firstIndex { $0.lowercased() == "device" }
        } else {
            deviceIndexInRow = nil
        }
        fixedDevice = options.device ?? ReplayOptions.defaultDevice(forFile: path)
        if let problem = TopicLevel.problem(with: fixedDevice) {
            throw ConfigurationError(key: "--device", problem: "\(fixedDevice.debugDescription) \(problem)")
        }
        var labels: [Int] = []
        if let names = options.labelColumns {
            for name in names { labels.append(try column(name, option: "--label-columns")) }
        } else {
            labels = header.indices.filter { ReplayOptions.knownLabelColumns.contains(header[$0].lowercased()) }
        }
        labelIndices = labels
        labelColumns = labels.map { header[$0] }
        parser = TimestampParser(format: options.timestampFormat, timeZone: options.timeZone)
        // Look ahead a little to tell numeric columns from text ones.
        while buffered.count < 50, let fields = try reader.nextRecord() { buffered.append((fields, reader.line)) }
        if let names = options.valueColumns {
            var indices: [Int] = []
            for name in names { indices.append(try column(name, option: "--value-columns")) }
            valueIndices = indices
        } else {
            // A sequence number is the replay's own business (it numbers each device's messages), not a sensor.
            let sequence = header.indices.filter { header[$0].lowercased() == "seq" }
            let excluded = Set([timestampIndex] + labels + sequence + (deviceIndexInRow.map { [$0] } ?? []))
            let sample = buffered
            valueIndices = header.indices.filter { index in
                guard !excluded.contains(index) else { return false }
                let cells = sample.compactMap { $0.fields.count > index ? $0.fields[index].trimmingCharacters(in: .whitespaces) : nil }
                    .filter { !$0.isEmpty && !ReplayOptions.missingValueMarkers.contains($0.lowercased()) }
                // Numeric when most cells are numbers: one bad cell must not drop a sensor from the whole replay
                // (it is published as null and counted, like a bad cell further down).
                let numbers = cells.count { Double($0) != nil }
                return numbers > 0 && numbers * 2 > cells.count
            }
        }
        guard !valueIndices.isEmpty else {
            throw ConfigurationError(file: path, key: "--value-columns", problem: "no numeric value columns found; name them (\(listing))")
        }
        valueColumns = valueIndices.map { header[$0] }
    }

    /// The next row, or nil at the end of the file.
    /// - Throws: `ConfigurationError` with the line number when a timestamp or device id is unusable.
    public func next() throws(ConfigurationError) -> ReplayRecord? {
        let fields: [String], line: Int
        if !buffered.isEmpty {
            (fields, line) = buffered.removeFirst()
        } else if let record = try reader.nextRecord() {
            (fields, line) = (record, reader.line)
        } else {
            return nil
        }
        let cell = { (index: Int) in index < fields.count ? fields[index] : "" }
        if fields.count != fieldCount { raggedRows += 1 }
        guard let timestamp = parser.parse(cell(timestampIndex)) else {
            throw ConfigurationError(file: path, key: "line \(line)",
                                     problem: "\(cell(timestampIndex).debugDescription) in column \(timestampColumn.debugDescription) is not a \(parser.format.rawValue) timestamp (see --timestamp-format)")
        }
        var device = fixedDevice
        if let deviceIndexInRow {
            device = cell(deviceIndexInRow).trimmingCharacters(in: .whitespaces)
            if let problem = TopicLevel.problem(with: device) {
                throw ConfigurationError(file: path, key: "line \(line)", problem: "device id \(device.debugDescription) \(problem)")
            }
        }
        let deviceIndex = index(of: device)
        if state[deviceIndex].seq >= 0, timestamp < state[deviceIndex].lastTimestamp { rowsBackInTime += 1 }
        var values = [Double](repeating: .nan, count: valueIndices.count)
        for (slot, index) in valueIndices.enumerated() {
            let text = cell(index).trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { continue }
            if let value = Double(text), value.isFinite { values[slot] = value } else { nonNumericCells += 1 }
        }
        state[deviceIndex].seq += 1
        let seq = state[deviceIndex].seq
        var truth: [GroundTruthRecord] = []
        for (slot, index) in labelIndices.enumerated() {
            let active = Self.isLabelled(cell(index))
            if let episode = state[deviceIndex].open[slot], !active {
                truth.append(GroundTruthRecord(device: device, id: episode.id, kind: labelColumns[slot], state: .end, sensors: [],
                                               ts: Timestamp(milliseconds: state[deviceIndex].lastTimestamp), seq: seq - 1))
                state[deviceIndex].open[slot] = nil
            } else if state[deviceIndex].open[slot] == nil, active {
                state[deviceIndex].episodes += 1
                let id = "\(device)-\(labelColumns[slot])-\(DeviceEmulator.zeroPadded(state[deviceIndex].episodes, width: 4))"
                state[deviceIndex].open[slot] = (id, seq)
                truth.append(GroundTruthRecord(device: device, id: id, kind: labelColumns[slot], state: .start, sensors: [],
                                               ts: Timestamp(milliseconds: timestamp), seq: seq))
            }
        }
        state[deviceIndex].lastTimestamp = timestamp
        return ReplayRecord(deviceIndex: deviceIndex, device: device, timestamp: timestamp, seq: seq, values: values, truth: truth, line: line)
    }

    /// End records for labels still open at the end of the file (at each device's last row).
    public func finish() -> [GroundTruthRecord] {
        var records: [GroundTruthRecord] = []
        for deviceIndex in devices.indices {
            for slot in labelIndices.indices {
                guard let episode = state[deviceIndex].open[slot] else { continue }
                records.append(GroundTruthRecord(device: devices[deviceIndex], id: episode.id, kind: labelColumns[slot], state: .end,
                                                 sensors: [], ts: Timestamp(milliseconds: state[deviceIndex].lastTimestamp),
                                                 seq: state[deviceIndex].seq))
                state[deviceIndex].open[slot] = nil
            }
        }
        return records
    }

    private func index(of device: String) -> Int {
        if let index = deviceIndices[device] { return index }
        deviceIndices[device] = devices.count
        devices.append(device)
        state.append(LabelState(open: Array(repeating: nil, count: labelIndices.count)))
        return devices.count - 1
    }

    /// A label cell marks an anomaly unless it is empty, zero, `false`, `no` or `normal`.
    static func isLabelled(_ text: String) -> Bool {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        if value.isEmpty || ["false", "no", "normal", "n", "f"].contains(value) { return false }
        if let number = Double(value) { return number != 0 && !number.isNaN }
        return true
    }
}
