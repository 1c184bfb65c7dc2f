/// One reading of a device's sensors: the contract's telemetry payload.
///
/// ```json
/// {"device":"pump-01","ts":1763794800125,"seq":1042,
///  "values":{"temperature":71.2,"vibration":0.031,"current":12.4,"pressure":5.61}}
/// ```
/// `device` may be omitted (the topic names it), `seq` is optional, and a sensor may be missing or `null`.
public struct TelemetryMessage: Sendable, Hashable, Codable {
    public var device: String?
    public var ts: Timestamp
    public var seq: Int64?
    /// Sensor name → value; `nil` is an explicit `null` (a sensor that reported nothing).
    public var values: [String: Double?]

    public init(device: String?, ts: Timestamp, seq: Int64? = nil, values: [String: Double?]) {
        self.device = device
        self.ts = ts
        self.seq = seq
        self.values = values
    }

    enum CodingKeys: String, CodingKey { case device, ts, seq, values }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        device = try container.decodeIfPresent(String.self, forKey: .device)
        ts = try container.decode(Timestamp.self, forKey: .ts)
        seq = try container.decodeIfPresent(Int64.self, forKey: .seq)
        values = try container.decode([String: Double?].self, forKey: .values)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(device, forKey: .device)
        try container.encode(ts, forKey: .ts)
        try container.encodeIfPresent(seq, forKey: .seq)
        try container.encode(values, forKey: .values)
    }
}
