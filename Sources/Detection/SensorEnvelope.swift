/// What a sensor (or a derived feature of it) did in training: its range and spread. An Isolation Forest saturates outside its
/// training range (a value ten times beyond it scores about like the edge of the data), so a value far
/// outside the envelope is flagged on its own, whatever the forest says.
public struct SensorEnvelope: Sendable, Hashable, Codable {
    /// The feature's name: a sensor, or `sensor:derived`.
    public var sensor: String
    public var min: Double
    public var max: Double
    public var mean: Double
    public var std: Double
    /// Raw sensors only: the longest run of identical consecutive values of one device in training. A stuck
    /// transmitter shows as a run far longer (see `DataQualityMonitor`). Absent in older model files.
    public var longestRun: Int?

    public init(sensor: String, min: Double, max: Double, mean: Double, std: Double, longestRun: Int? = nil) {
        self.sensor = sensor
        self.min = min
        self.max = max
        self.mean = mean
        self.std = std
        self.longestRun = longestRun
    }

    /// Learns the envelope of one sensor from its training values (NaN ignored).
    public init(sensor: String, values: some Sequence<Double>) {
        var count = 0.0, sum = 0.0, sumOfSquares = 0.0
        var low = Double.infinity, high = -Double.infinity
        for value in values where value.isFinite {
            count += 1
            sum += value
            sumOfSquares += value * value
            low = Swift.min(low, value)
            high = Swift.max(high, value)
        }
        let mean = count > 0 ? sum / count : 0
        self.init(sensor: sensor, min: count > 0 ? low : 0, max: count > 0 ? high : 0, mean: mean,
                  std: count > 0 ? (Swift.max(0, sumOfSquares / count - mean * mean)).squareRoot() : 0)
    }

    /// How far outside the envelope `value` is, in units of the allowed margin; > 1 means outside.
    ///
    /// The margin is `tolerance` times the larger of the training range and the standard deviation
    /// (never zero, so a sensor that was constant in training still has a scale).
    public func exceedance(_ value: Double, tolerance: Double) -> Double {
        let scale = Swift.max(max - min, std, abs(mean) * 1e-3, 1e-9) * tolerance
        if value > max { return (value - max) / scale }
        if value < min { return (min - value) / scale }
        return 0
    }
}
