import Telemetry

/// Why a message was not scored. The raw values are stable: they are metric labels, health keys and
/// the `reason` of the errors topic.
public enum RejectReason: String, Sendable, Hashable, CaseIterable, Codable {
    case malformedJSON = "malformed_json"
    case duplicateKey = "duplicate_key"
    case tooDeep = "too_deep"
    case invalidUTF8 = "invalid_utf8"
    case nonNumericValue = "non_numeric_value"
    case nonFiniteValue = "non_finite_value"
    case badTimestamp = "bad_timestamp"
    case missingField = "missing_field"
    case oversized = "oversized"
    case invalidDevice = "invalid_device"
    case deviceMismatch = "device_mismatch"
    case duplicateSeq = "duplicate_seq"
    case outOfOrderSeq = "out_of_order_seq"
    case noKnownValues = "no_known_values"
    case tooManyDevices = "too_many_devices"
    /// Findings about a message that was still scored: reported on the errors topic, counted in health
    /// under their own names (`missing_by_seq`, `with_unknown_sensors`), never as rejections.
    case seqGap = "seq_gap"
    case unknownSensor = "unknown_sensor"

    /// The parser's reasons are a subset, with the same raw values (the tests check every one).
    public init(_ reason: TelemetryParseError.Reason) {
        self.init(rawValue: reason.rawValue)!
    }
}

/// A rejected message: the reason and what exactly was wrong.
public struct Rejection: Error, Sendable, Hashable {
    public var reason: RejectReason
    public var detail: String
    public var device: String?

    public init(_ reason: RejectReason, _ detail: String, device: String? = nil) {
        self.reason = reason
        self.detail = detail
        self.device = device
    }
}
