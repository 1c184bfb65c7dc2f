#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fast, allocation-light parser for the telemetry payload of the wire contract, for the agent's
/// hot path: a `JSONDecoder` per message costs more than scoring it.
///
/// It reads `device`, `ts` (epoch ms integer or RFC 3339 string), `seq` and the `values` object, and skips
/// any other key. Sensor values are handed to `sensorIndex`, which maps a sensor name (as UTF-8 bytes) to
/// a slot, so known sensors cost no `String`. Strict where it matters: duplicate keys, nesting deeper than
/// `maximumDepth`, invalid UTF-8, non-finite or non-numeric sensor values and trailing garbage are errors
/// with a stable reason.
public struct TelemetryParser: Sendable {
    public static let maximumDepth = 16

    /// Parse result: what the payload said. Sensor values land in the caller's buffer.
    public struct Header: Sendable, Equatable {
        public var device: String?
        public var ts: Int64?
        public var seq: Int64?
        /// Sensors in `values` that `sensorIndex` did not know (names kept, for the report).
        public var unknownSensors: [String] = []
        /// How many known sensors had a number (not `null`).
        public var valuesPresent = 0
    }

    public init() {}

    /// Parses `payload`; writes each known sensor's value into `values[slot]` (NaN stays for missing or `null`).
    /// - Parameters:
    ///   - values: one slot per known sensor, filled with NaN by the caller before each call.
    ///   - sensorIndex: maps a sensor name's UTF-8 bytes to its slot, or nil for an unknown sensor.
    public func parse(_ payload: UnsafeRawBufferPointer, values: inout [Double],
                      sensorIndex: (UnsafeRawBufferPointer) -> Int?) throws(TelemetryParseError) -> Header {
        var reader = JSONReader(payload)
        var header = Header()
        var seen: UInt8 = 0  // device, ts, seq, values: duplicate keys are refused
        try reader.expect(UInt8(ascii: "{"))
        if try !reader.consumeIf(UInt8(ascii: "}")) {
            repeat {
                let key = try reader.readStringBytes()
                try reader.expect(UInt8(ascii: ":"))
                switch Self.topLevelKey(key) {
                case 0:
                    try Self.mark(&seen, 1, "device")
                    if try !reader.consumeNull() { header.device = try reader.readString() }
                case 1:
                    try Self.mark(&seen, 2, "ts")
                    header.ts = try reader.readTimestamp()
                case 2:
                    try Self.mark(&seen, 4, "seq")
                    if try !reader.consumeNull() { header.seq = try reader.readInteger(field: "seq") }
                case 3:
                    try Self.mark(&seen, 8, "values")
                    try readValues(&reader, &header, &values, sensorIndex)
                default:
                    try reader.skipValue(depth: 1)
                }
            } while try reader.consumeIf(UInt8(ascii: ","))
            try reader.expect(UInt8(ascii: "}"))
        }
        try reader.expectEnd()
        guard seen & 8 != 0 else { throw TelemetryParseError(.missingField, "no \"values\" object") }
        guard header.ts != nil else { throw TelemetryParseError(.missingField, "no \"ts\"") }
        return header
    }

    private func readValues(_ reader: inout JSONReader, _ header: inout Header, _ values: inout [Double],
                            _ sensorIndex: (UnsafeRawBufferPointer) -> Int?) throws(TelemetryParseError) {
        try reader.expect(UInt8(ascii: "{"))
        if try reader.consumeIf(UInt8(ascii: "}")) { return }
        var assigned = 0 as UInt64  // slots already set, to refuse duplicate sensor keys (first 64 slots)
        repeat {
            let name = try reader.readStringBytes()
            try reader.expect(UInt8(ascii: ":"))
            let value: Double? = try reader.consumeNull() ? nil : try reader.readSensorNumber(name: name)
            if let slot = name.withBuffer({ sensorIndex($0) }) {
                if slot < 64 {
                    if assigned & (1 << UInt64(slot)) != 0 {
                        throw TelemetryParseError(.duplicateKey, "sensor \"\(name.string)\" appears twice")
                    }
                    assigned |= 1 << UInt64(slot)
                }
                if let value {
                    values[slot] = value
                    header.valuesPresent += 1
                }
            } else {
                let sensor = name.string
                if header.unknownSensors.contains(sensor) {
                    throw TelemetryParseError(.duplicateKey, "sensor \"\(sensor)\" appears twice")
                }
                header.unknownSensors.append(sensor)
            }
        } while try reader.consumeIf(UInt8(ascii: ","))
        try reader.expect(UInt8(ascii: "}"))
    }

    private static func mark(_ seen: inout UInt8, _ bit: UInt8, _ key: String) throws(TelemetryParseError) {
        if seen & bit != 0 { throw TelemetryParseError(.duplicateKey, "key \"\(key)\" appears twice") }
        seen |= bit
    }

    private static func topLevelKey(_ key: JSONReader.StringBytes) -> Int {
        key.withBuffer { topLevelKey($0) }
    }

    private static func topLevelKey(_ bytes: UnsafeRawBufferPointer) -> Int {
        switch bytes.count {
        case 2 where bytes[0] == UInt8(ascii: "t") && bytes[1] == UInt8(ascii: "s"): return 1
        case 3 where bytes.elementsEqual("seq".utf8): return 2
        case 6 where bytes.elementsEqual("device".utf8): return 0
        case 6 where bytes.elementsEqual("values".utf8): return 3
        default: return -1
        }
    }
}

/// Why a telemetry payload was refused. `reason` is stable and machine-readable (it becomes a
/// metric label and the `reason` of the errors topic); `detail` is for people.
public struct TelemetryParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        case malformedJSON = "malformed_json"
        case duplicateKey = "duplicate_key"
        case tooDeep = "too_deep"
        case invalidUTF8 = "invalid_utf8"
        case nonNumericValue = "non_numeric_value"
        case nonFiniteValue = "non_finite_value"
        case badTimestamp = "bad_timestamp"
        case missingField = "missing_field"
    }

    public let reason: Reason
    public let detail: String

    public init(_ reason: Reason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(reason.rawValue): \(detail)" }
}
