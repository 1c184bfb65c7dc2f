/// The emulator's record of an injected anomaly starting or ending (the "cheat sheet").
///
/// ```json
/// {"device":"pump-01","id":"pump-01-gt-0007","kind":"spike","state":"start",
///  "sensors":["vibration"],"ts":1763794800125,"seq":1042}
/// ```
public struct GroundTruthRecord: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable { case start, end }

    public var device: String
    /// The same for the start and the end record of one anomaly.
    public var id: String
    /// spike, dip, drift, level-shift, stuck, noise, dropout, correlation-break, oscillation, …
    public var kind: String
    public var state: State
    public var sensors: [String]
    public var ts: Timestamp
    /// The telemetry `seq` at which the anomaly starts or ends, when known.
    public var seq: Int64?

    public init(device: String, id: String, kind: String, state: State, sensors: [String], ts: Timestamp, seq: Int64? = nil) {
        self.device = device
        self.id = id
        self.kind = kind
        self.state = state
        self.sensors = sensors
        self.ts = ts
        self.seq = seq
    }
}
