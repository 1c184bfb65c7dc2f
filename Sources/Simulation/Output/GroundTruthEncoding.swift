import Telemetry

/// Ground-truth records as one JSON line each, keys in the contract's order:
///
/// ```json
/// {"device":"pump-01","id":"pump-01-gt-0007","kind":"spike","state":"start","sensors":["vibration"],"ts":1763794800125,"seq":1042}
/// ```
/// Hand-written rather than `JSONEncoder`, so that the order of keys, and so the bytes of the log,
/// never depend on a Foundation version.
public enum GroundTruthEncoding {
    /// The record's JSON (no newline).
    public static func encode(_ record: GroundTruthRecord) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(160)
        buffer.append(contentsOf: #"{"device":"#.utf8)
        JSONText.appendString(record.device, to: &buffer)
        buffer.append(contentsOf: #","id":"#.utf8)
        JSONText.appendString(record.id, to: &buffer)
        buffer.append(contentsOf: #","kind":"#.utf8)
        JSONText.appendString(record.kind, to: &buffer)
        buffer.append(contentsOf: #","state":"#.utf8)
        JSONText.appendString(record.state.rawValue, to: &buffer)
        buffer.append(contentsOf: #","sensors":["#.utf8)
        for (index, sensor) in record.sensors.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            JSONText.appendString(sensor, to: &buffer)
        }
        buffer.append(contentsOf: #"],"ts":"#.utf8)
        DecimalFormat.appendInteger(record.ts.milliseconds, to: &buffer)
        if let seq = record.seq {
            buffer.append(contentsOf: #","seq":"#.utf8)
            DecimalFormat.appendInteger(seq, to: &buffer)
        }
        buffer.append(UInt8(ascii: "}"))
        return buffer
    }
}
