/// Encodes telemetry payloads exactly as the contract shows them, fast enough for the hot path:
///
/// ```json
/// {"device":"pump-01","ts":1763794800125,"seq":1042,"values":{"temperature":71.2,"vibration":0.031}}
/// ```
/// Every fixed fragment (the device prefix, each `"sensor":` key) is prepared once; encoding a
/// message only appends bytes to a reused buffer. NaN values are written as `null`.
public struct TelemetryEncoder: Sendable {
    private let devicePrefixes: [[UInt8]]
    private let sensorKeys: [[UInt8]]
    private let formats: [DecimalFormat]
    private static let seqKey = Array(#","seq":"#.utf8)
    private static let valuesKey = Array(#","values":{"#.utf8)
    private static let null = Array("null".utf8)

    /// - Parameters:
    ///   - devices: the device ids, addressed by index when encoding.
    ///   - sensors: the sensor names, in the order of the values.
    ///   - formats: how to print each sensor's numbers (one per sensor).
    public init(devices: [String], sensors: [String], formats: [DecimalFormat]) {
        precondition(sensors.count == formats.count, "one format per sensor")
        devicePrefixes = devices.map { Array(#"{"device":"#.utf8) + JSONText.quoted($0) + Array(#","ts":"#.utf8) }
        sensorKeys = sensors.enumerated().map { index, name in (index == 0 ? [] : [UInt8(ascii: ",")]) + JSONText.quoted(name) + [UInt8(ascii: ":")] }
        self.formats = formats
    }

    /// An encoder for an emulation's devices and sensors, printing each sensor at its resolution.
    public init(emulation: Emulation) {
        self.init(devices: emulation.deviceIDs, sensors: emulation.sensorNames,
                  formats: emulation.sensors.map { DecimalFormat(resolution: $0.resolution) })
    }

    /// Replaces `buffer`'s contents with the payload of one message.
    /// - Parameters:
    ///   - values: one per sensor; NaN becomes `null`.
    @inline(__always)
    public func encode(device: Int, timestamp: Int64, seq: Int64?, values: [Double], into buffer: inout [UInt8]) {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: devicePrefixes[device])
        DecimalFormat.appendInteger(timestamp, to: &buffer)
        if let seq {
            buffer.append(contentsOf: Self.seqKey)
            DecimalFormat.appendInteger(seq, to: &buffer)
        }
        buffer.append(contentsOf: Self.valuesKey)
        for index in sensorKeys.indices {
            buffer.append(contentsOf: sensorKeys[index])
            let value = values[index]
            if value.isFinite {
                formats[index].append(value, to: &buffer)
            } else {
                buffer.append(contentsOf: Self.null)
            }
        }
        buffer.append(UInt8(ascii: "}"))
        buffer.append(UInt8(ascii: "}"))
    }

    /// Encodes a reading of the emulation this encoder was made for.
    @inline(__always)
    public func encode(_ reading: DeviceReading, into buffer: inout [UInt8]) {
        encode(device: reading.deviceIndex, timestamp: reading.timestamp, seq: reading.seq, values: reading.values, into: &buffer)
    }
}
