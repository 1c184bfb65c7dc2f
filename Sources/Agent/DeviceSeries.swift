/// The last `capacity` scored points of one device, in a ring allocated in full on the first point, so
/// the agent's memory reaches its plateau when a device is first seen rather than creeping up for minutes.
struct DeviceSeries: Sendable {
    let capacity: Int
    let sensorCount: Int
    /// Points recorded since the device was first seen; point `total - 1` is the newest.
    private(set) var total = 0
    private var ts: [Int64]
    private var score: [Float]
    private var anomalous: [Bool]
    /// `capacity` rows of `sensorCount` values; NaN marks a missing value.
    private var values: [Float]

    init(capacity: Int, sensorCount: Int) {
        self.capacity = capacity
        self.sensorCount = sensorCount
        ts = [Int64](repeating: 0, count: capacity)
        score = [Float](repeating: .nan, count: capacity)
        anomalous = [Bool](repeating: false, count: capacity)
        values = [Float](repeating: .nan, count: capacity * sensorCount)
    }

    mutating func append(ts time: Int64, score value: Double, anomalous flag: Bool, values sensorValues: [Double]) {
        let slot = total % capacity
        ts[slot] = time
        score[slot] = Float(value)
        anomalous[slot] = flag
        let base = slot * sensorCount
        for index in 0..<min(sensorCount, sensorValues.count) { values[base + index] = Float(sensorValues[index]) }
        total += 1
    }

    var lastTimestamp: Int64? { total > 0 ? ts[(total - 1) % capacity] : nil }
    /// nil until a point has a score (warming up, or after a model with other features): NaN would reach
    /// `/api/devices` as the string "NaN".
    var lastScore: Double? {
        guard total > 0 else { return nil }
        let last = Double(score[(total - 1) % capacity])
        return last.isNaN ? nil : last
    }

    /// The points after point number `since` (all kept points when nil or too old), oldest first.
    func points(after since: Int?, sensors: [String], device: String, threshold: Double) -> LiveSeries {
        let oldest = max(0, total - capacity)
        // `since` comes from a query string: Int.max must not overflow.
        let first = max(oldest, since.map { $0 < Int.max ? $0 + 1 : $0 } ?? 0)
        var series = LiveSeries(device: device, sensors: sensors, threshold: threshold, first: first, next: total)
        guard first < total else { return series }
        series.values = sensors.map { _ in [] }
        for number in first..<total {
            let slot = number % capacity
            series.ts.append(ts[slot])
            series.score.append(Self.finite(score[slot]))
            series.anomalous.append(anomalous[slot])
            for index in 0..<sensorCount { series.values[index].append(Self.finite(values[slot * sensorCount + index])) }
        }
        return series
    }

    private static func finite(_ value: Float) -> Double? { value.isFinite ? Double(value) : nil }
}

/// Recent points of one device, column by column (compact JSON for the charts).
public struct LiveSeries: Sendable, Codable, Equatable {
    public var device: String
    public var sensors: [String]
    public var threshold: Double
    /// The number of the first point here; ask for `since = next - 1` to get only newer points.
    public var first: Int
    public var next: Int
    public var ts: [Int64] = []
    /// Anomaly scores (null while the feature window warms up).
    public var score: [Double?] = []
    public var anomalous: [Bool] = []
    /// One column per sensor, in `sensors` order; null where the message had no value.
    public var values: [[Double?]] = []
}
