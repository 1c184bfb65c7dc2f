/// Findings about one device's data that no score can show, because the forest and the envelope only see
/// values that arrived: a sensor repeating exactly the same value far longer than it ever did in training
/// (stuck), and sensor values or whole messages missing for several messages in a row (dropout).
/// One per device, owned with its `FeatureExtractor`.
public struct DataQualityMonitor: Sendable {
    public enum Finding: String, Sendable, Hashable, Codable {
        /// A sensor keeps reporting the identical value (a frozen transmitter or a held last value).
        case stuckSensor = "stuck_sensor"
        /// Sensor values (null or absent) or whole messages (gaps in `seq`) are missing.
        case missingData = "missing_data"
    }

    /// Per sensor: the longest run of identical values allowed before it counts as stuck (nil: no limit).
    public let stuckLimits: [Int?]
    /// Consecutive messages without a sensor's value, or messages missing by `seq`, that count as a
    /// dropout (0: never).
    public let missingAfter: Int
    private var last: [Double]
    private var repeats: [Int]
    private var missing: [Int]

    /// - Parameters:
    ///   - longestRuns: per sensor, the longest run of identical consecutive values seen in training (nil when unknown).
    ///   - policy: how far beyond training a run must go, and how many missing messages make a dropout.
    public init(longestRuns: [Int?], policy: DataQualityPolicy) {
        // Twice the longest run seen in training (and never fewer than 3 repeats): a quantised sensor at
        // rest repeats itself for a while, a frozen one for ever.
        stuckLimits = longestRuns.map { run in
            guard policy.stuckFactor > 0, let run else { return nil }
            // A run or factor read from a file can be absurd: past a billion repeats the check means nothing,
            // and converting such a product to Int would trap.
            let limit = (Double(run) * policy.stuckFactor).rounded(.up)
            guard limit.isFinite, limit < 1e9 else { return nil }
            return max(3, Int(limit))
        }
        missingAfter = policy.missingAfter
        last = Array(repeating: .nan, count: longestRuns.count)
        repeats = Array(repeating: 0, count: longestRuns.count)
        missing = Array(repeating: 0, count: longestRuns.count)
    }

    /// Takes one message's values (NaN when missing) and the number of messages missing before it by
    /// `seq`; returns a finding and the sensors it concerns, or nil when the data look sound.
    /// Missing data wins over stuck: a sensor that is absent cannot be judged stuck.
    public mutating func observe(_ values: UnsafeBufferPointer<Double>, seqGap: Int64) -> (finding: Finding, sensors: [Int])? {
        var stuck: [Int] = []
        var absent: [Int] = []
        for sensor in last.indices {
            let value = values[sensor]
            guard value.isFinite else {
                missing[sensor] += 1
                // A missing value breaks a run: the sensor reported nothing, not the same thing again.
                repeats[sensor] = 0
                last[sensor] = .nan
                if missingAfter > 0 && missing[sensor] >= missingAfter { absent.append(sensor) }
                continue
            }
            missing[sensor] = 0
            repeats[sensor] = value == last[sensor] ? repeats[sensor] + 1 : 1
            last[sensor] = value
            if let limit = stuckLimits[sensor], repeats[sensor] > limit { stuck.append(sensor) }
        }
        if missingAfter > 0 && seqGap >= Int64(missingAfter) { return (.missingData, Array(last.indices)) }
        if !absent.isEmpty { return (.missingData, absent) }
        if !stuck.isEmpty { return (.stuckSensor, stuck) }
        return nil
    }

    /// A monitor with the runs learned into `spec`'s envelope (none for models without one).
    public init(spec: FeatureSpec, policy: DataQualityPolicy) {
        self.init(longestRuns: spec.sensors.indices.map { spec.envelope?[$0].longestRun }, policy: policy)
    }

    /// Array convenience for tests.
    public mutating func observe(_ values: [Double], seqGap: Int64 = 0) -> (finding: Finding, sensors: [Int])? {
        values.withUnsafeBufferPointer { observe($0, seqGap: seqGap) }
    }

    /// The longest run of identical consecutive finite values in `values` (0 when there is none).
    public static func longestRun(_ values: some Sequence<Double>) -> Int {
        var longest = 0, run = 0
        var previous = Double.nan
        for value in values {
            run = value.isFinite && value == previous ? run + 1 : (value.isFinite ? 1 : 0)
            previous = value
            longest = max(longest, run)
        }
        return longest
    }
}

/// When data-quality findings become anomaly events (see `DataQualityMonitor`).
public struct DataQualityPolicy: Sendable, Hashable, Codable {
    /// A sensor repeating one value for more than this many times its longest run in training is stuck.
    /// 0 turns the check off (models without learned runs never have it).
    public var stuckFactor: Double
    /// A sensor missing in this many messages in a row, or this many messages missing by `seq`, is a
    /// dropout. 0 turns the check off. 3 lets a single lost QoS 0 message pass.
    public var missingAfter: Int

    public init(stuckFactor: Double = 2, missingAfter: Int = 3) {
        self.stuckFactor = stuckFactor
        self.missingAfter = missingAfter
    }

    public func validate() throws(DetectionError) {
        guard stuckFactor >= 0, stuckFactor.isFinite else { throw DetectionError("dataQuality.stuckFactor must not be negative") }
        guard missingAfter >= 0 else { throw DetectionError("dataQuality.missingAfter must not be negative") }
    }
}
