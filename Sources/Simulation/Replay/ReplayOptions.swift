import Foundation
import Telemetry

/// How to read a CSV file for replay. Every choice has a default that fits common files (and the
/// SKAB benchmark as it is).
public struct ReplayOptions: Sendable {
    /// The field separator; nil detects it from the header (`,` `;` tab `|`).
    public var separator: UInt8?
    /// The timestamp column; nil picks the first of `knownTimestampColumns` present.
    public var timestampColumn: String?
    /// How the timestamps are written.
    public var timestampFormat: TimestampFormat
    /// The zone of local-naive date-times (`2020-03-09 10:14:33`).
    public var timeZone: TimeZone
    /// A column that holds the device id of each row.
    public var deviceColumn: String?
    /// One device id for every row, when there is no device column; nil derives it from the file name.
    public var device: String?
    /// The columns to publish as sensor values; nil for every numeric column that is not the
    /// timestamp, the device or a label.
    public var valueColumns: [String]?
    /// Columns that go to the truth topic as start/end records instead of telemetry; nil for those of
    /// `knownLabelColumns` that the file has, [] for none.
    public var labelColumns: [String]?

    /// Column names taken as the timestamp when none is given, in this order of preference.
    public static let knownTimestampColumns = ["timestamp", "ts", "time", "datetime", "date", "time_stamp"]
    /// Cells (lowercased) that mean "no value" rather than text or a bad number; an empty cell does too.
    /// Shared with the agent's offline commands, so a CSV reads the same way for replay and for training.
    public static let missingValueMarkers: Set<String> = ["nan", "na", "n/a", "null", "none", "-"]
    /// Column names taken as labels when none are given.
    public static let knownLabelColumns = ["anomaly", "changepoint", "label", "labels", "is_anomaly", "attack"]

    /// Options; every default fits a SKAB file.
    public init(separator: UInt8? = nil, timestampColumn: String? = nil, timestampFormat: TimestampFormat = .auto,
                timeZone: TimeZone = .current, deviceColumn: String? = nil, device: String? = nil,
                valueColumns: [String]? = nil, labelColumns: [String]? = nil) {
        self.separator = separator
        self.timestampColumn = timestampColumn
        self.timestampFormat = timestampFormat
        self.timeZone = timeZone
        self.deviceColumn = deviceColumn
        self.device = device
        self.valueColumns = valueColumns
        self.labelColumns = labelColumns
    }

    /// The device id for a file without a device column: its name without the extension, prefixed
    /// with its folder when the name is only digits (SKAB's `valve1/0.csv` becomes `valve1-0`).
    /// Characters a topic level cannot hold become `-`.
    public static func defaultDevice(forFile path: String) -> String {
        let url = URL(fileURLWithPath: path)
        var name = url.deletingPathExtension().lastPathComponent
        if !name.isEmpty, name.allSatisfy(\.isNumber) {
            name = url.deletingLastPathComponent().lastPathComponent + "-" + name
        }
        let cleaned = String(name.map { "/+#".contains($0) || $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 } == true ? "-" : $0 })
        return TopicLevel.problem(with: cleaned) == nil ? cleaned : "replay"
    }
}
