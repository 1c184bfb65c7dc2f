import Telemetry

/// One reading of one device, as the emulator produces it.
public struct DeviceReading: Sendable {
    /// The device's position in `Emulation.deviceIDs`.
    public var deviceIndex: Int
    /// The device id.
    public var device: String
    /// Epoch milliseconds.
    public var timestamp: Int64
    /// The device's message counter; it advances for missing messages too, so dropouts leave gaps.
    public var seq: Int64
    /// One value per sensor of the profile, in profile order; NaN stands for `null` (no reading).
    public var values: [Double]
    /// True when a dropout swallowed the whole message: nothing should be sent or written.
    public var isMissing: Bool
    /// The anomalies active at this reading (the ground-truth labels).
    public var anomalies: AnomalyKindSet
    /// Seconds of emulated time since the emulation started, for pacing.
    public var simulatedSeconds: Double

    /// The reading as the contract's telemetry message, with `null` for missing values.
    public func telemetryMessage(sensors: [String]) -> TelemetryMessage {
        var map: [String: Double?] = [:]
        for (name, value) in zip(sensors, values) { map[name] = value.isNaN ? .some(nil) : value }
        return TelemetryMessage(device: device, ts: Timestamp(milliseconds: timestamp), seq: seq, values: map)
    }
}

/// One step of an emulation: a reading, and the ground truth to publish around it.
public struct EmulationStep: Sendable {
    /// Ground truth to publish before the reading: anomalies starting with it, and any records that
    /// a reset produced since the last step.
    public var truthBefore: [GroundTruthRecord]
    /// The reading itself (check `isMissing` before sending it).
    public var reading: DeviceReading
    /// Ground truth to publish after the reading: anomalies whose last reading this is.
    public var truthAfter: [GroundTruthRecord]
}
