import Foundation
import Telemetry

/// What `sensor-emulator generate` writes: a normal-only training set, then an anomalous test set
/// that continues the same devices in time, the ground-truth log of the test set, and an HTML page.
public struct DatasetRequest: Sendable {
    /// Sensors, devices and operating cycle.
    public var profile: EmulatorProfile
    /// The test set's anomalies; nil for a test set without any.
    public var scenario: Scenario?
    /// How many devices; nil for the profile's.
    public var deviceCount: Int?
    /// Readings per second per device.
    public var rate: Double
    /// The seed of every random choice: the same request gives the same bytes.
    public var seed: UInt64
    /// The first timestamp of the training set; the test set starts where it ends.
    public var start: Timestamp
    /// Length of the normal-only training set (0 for none) and of the test set that follows it.
    public var trainingSeconds: Double
    public var testSeconds: Double
    /// Where the four files go (created if needed).
    public var outputDirectory: URL
    /// Whether to write `report.html`.
    public var writeReport: Bool

    /// 2026-01-01T00:00:00Z: a fixed default start, so that the same seed gives the same bytes.
    public static let defaultStart = Timestamp(milliseconds: 1_767_225_600_000)

    /// A request; by default four pumps at 1 Hz, 24 h of training data and 6 h of test data.
    public init(profile: EmulatorProfile = .default, scenario: Scenario? = .default, deviceCount: Int? = nil, rate: Double = 1,
                seed: UInt64 = 42, start: Timestamp = DatasetRequest.defaultStart, trainingSeconds: Double = 86_400,
                testSeconds: Double = 21_600, outputDirectory: URL, writeReport: Bool = true) {
        self.profile = profile
        self.scenario = scenario
        self.deviceCount = deviceCount
        self.rate = rate
        self.seed = seed
        self.start = start
        self.trainingSeconds = trainingSeconds
        self.testSeconds = testSeconds
        self.outputDirectory = outputDirectory
        self.writeReport = writeReport
    }
}

/// What was written.
public struct DatasetSummary: Sendable {
    /// The files written (`reportFile` is nil without a report).
    public var trainingFile: URL
    public var testFile: URL
    public var truthFile: URL
    public var reportFile: URL?
    /// Rows written (readings a dropout swallowed leave no row).
    public var trainingRows: Int
    public var testRows: Int
    /// Test rows labelled anomalous.
    public var anomalousRows: Int
    /// Anomalies injected into the test set, by kind.
    public var anomalies: [AnomalyKind: Int]
}

/// Writes the files of a `DatasetRequest`.
///
/// CSV columns: `timestamp` (epoch ms), `device`, `seq`, one column per sensor (an empty cell is a
/// missing value), and in the test file `anomaly` (0/1) and `kind` (empty, or `spike`, or
/// `spike+drift` when anomalies overlap). A dropout of every sensor leaves no row at all.
public enum DatasetGenerator {
    /// The names of the files in the output directory.
    public static let trainingFileName = "train.csv"
    public static let testFileName = "test.csv"
    public static let truthFileName = "truth.jsonl"
    public static let reportFileName = "report.html"

    /// - Throws: `ConfigurationError` for a bad request or a file that cannot be written.
    public static func generate(_ request: DatasetRequest) throws(ConfigurationError) -> DatasetSummary {
        guard request.trainingSeconds >= 0, request.testSeconds > 0, request.trainingSeconds.isFinite, request.testSeconds.isFinite else {
            throw ConfigurationError(key: "duration", problem: "the test span must be longer than 0 and the training span not negative")
        }
        var emulation = try Emulation(.init(profile: request.profile, scenario: request.scenario, deviceCount: request.deviceCount,
                                            rate: request.rate, seed: request.seed, origin: request.start,
                                            anomalyOffsetSeconds: request.trainingSeconds))
        do {
            try FileManager.default.createDirectory(at: request.outputDirectory, withIntermediateDirectories: true)
        } catch {
            throw ConfigurationError(file: request.outputDirectory.path, key: "", problem: "cannot be created (\(error.localizedDescription))")
        }
        let url = { (name: String) in request.outputDirectory.appendingPathComponent(name) }
        let devices = emulation.deviceIDs.count
        let trainingTicks = Int((request.trainingSeconds * request.rate).rounded())
        let testTicks = max(1, Int((request.testSeconds * request.rate).rounded()))
        let rows = CSVRowWriter(emulation: emulation)

        let training = try ByteFileWriter(path: url(trainingFileName).path)
        try training.writeLine(rows.header(labels: false))
        var trainingRows = 0
        for _ in 0..<(trainingTicks * devices) {
            let step = emulation.next()
            guard !step.reading.isMissing else { continue }
            rows.append(step.reading, labels: false, to: &training.buffer)
            try training.flushIfFull()
            trainingRows += 1
        }
        try training.close()

        let testStart = request.start.milliseconds + Int64((Double(trainingTicks) / request.rate * 1000).rounded())
        let testEnd = testStart + Int64((Double(testTicks) / request.rate * 1000).rounded())
        // The picture draws the first devices only: every device's series would take gigabytes at 100,000 devices.
        let drawn = min(devices, Self.devicesDrawn)
        var collector = request.writeReport
            ? SeriesCollector(devices: drawn, sensors: emulation.sensorNames.count, start: testStart, end: testEnd) : nil
        let test = try ByteFileWriter(path: url(testFileName).path)
        let truth = try GroundTruthLog(path: url(truthFileName).path, writeThrough: false)
        var records: [GroundTruthRecord] = []
        try test.writeLine(rows.header(labels: true))
        var testRows = 0
        var anomalousRows = 0
        for _ in 0..<(testTicks * devices) {
            let step = emulation.next()
            records += step.truthBefore
            if !step.reading.isMissing {
                rows.append(step.reading, labels: true, to: &test.buffer)
                try test.flushIfFull()
                testRows += 1
                if !step.reading.anomalies.isEmpty { anomalousRows += 1 }
                collector?.add(step.reading)
            }
            records += step.truthAfter
        }
        records += emulation.finish()
        try test.close()
        for record in records { try truth.append(record) }
        try truth.close()

        var reportURL: URL?
        if let collector {
            let shown = Array(emulation.deviceIDs.prefix(drawn))
            let shownSet = Set(shown)
            var facts = [("seed", "\(request.seed)"), ("rate", "\(request.rate) readings/s per device"),
                         ("training rows", "\(trainingRows)"), ("test rows", "\(testRows)"), ("anomalous test rows", "\(anomalousRows)")]
            if drawn < devices { facts.append(("devices drawn", "the first \(drawn) of \(devices)")) }
            let page = SeriesReport(title: "sensor-emulator data set (seed \(request.seed))", sensors: emulation.sensors,
                                    devices: shown, collector: collector, truth: records.filter { shownSet.contains($0.device) }, facts: facts)
            let writer = try ByteFileWriter(path: url(reportFileName).path)
            writer.buffer.append(contentsOf: page.render().utf8)
            try writer.close()
            reportURL = url(reportFileName)
        }
        var kinds: [AnomalyKind: Int] = [:]
        for record in records where record.state == .start {
            if let kind = AnomalyKind(rawValue: record.kind) { kinds[kind, default: 0] += 1 }
        }
        return DatasetSummary(trainingFile: url(trainingFileName), testFile: url(testFileName), truthFile: url(truthFileName),
                              reportFile: reportURL, trainingRows: trainingRows, testRows: testRows, anomalousRows: anomalousRows,
                              anomalies: kinds)
    }

    /// Devices the HTML picture draws at most.
    static let devicesDrawn = 24
}


/// Formats readings as CSV rows, with every fixed piece prepared once.
struct CSVRowWriter {
    private let sensorNames: [String]
    private let formats: [DecimalFormat]
    /// `,pump-01,` per device: the separator, the (quoted if needed) id, the next separator.
    private let deviceFields: [[UInt8]]
    /// `,1,spike` per single kind; overlapping kinds are rare and formatted when they occur.
    private let labelFields: [UInt16: [UInt8]]

    init(emulation: Emulation) {
        sensorNames = emulation.sensorNames
        formats = emulation.sensors.map { DecimalFormat(resolution: $0.resolution) }
        deviceFields = emulation.deviceIDs.map { id in
            var bytes: [UInt8] = [UInt8(ascii: ",")]
            CSVText.appendField(id, to: &bytes)
            bytes.append(UInt8(ascii: ","))
            return bytes
        }
        var fields: [UInt16: [UInt8]] = [:]
        for kind in AnomalyKind.allCases { fields[AnomalyKindSet(kind).rawValue] = Self.labelField(AnomalyKindSet(kind)) }
        labelFields = fields
    }

    func header(labels: Bool) -> [UInt8] {
        CSVText.line(["timestamp", "device", "seq"] + sensorNames + (labels ? ["anomaly", "kind"] : []))
    }

    func append(_ reading: DeviceReading, labels: Bool, to buffer: inout [UInt8]) {
        DecimalFormat.appendInteger(reading.timestamp, to: &buffer)
        buffer.append(contentsOf: deviceFields[reading.deviceIndex])
        DecimalFormat.appendInteger(reading.seq, to: &buffer)
        for index in formats.indices {
            buffer.append(UInt8(ascii: ","))
            let value = reading.values[index]
            if value.isFinite { formats[index].append(value, to: &buffer) }
        }
        if labels {
            if reading.anomalies.isEmpty {
                buffer.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: "0"), UInt8(ascii: ",")])
            } else {
                buffer.append(contentsOf: labelFields[reading.anomalies.rawValue] ?? Self.labelField(reading.anomalies))
            }
        }
        buffer.append(UInt8(ascii: "\n"))
    }

    /// `,1,spike` for a set of kinds.
    private static func labelField(_ kinds: AnomalyKindSet) -> [UInt8] {
        Array(",1,".utf8) + Array(kinds.label.utf8)
    }
}
