/// Turns one device's successive sensor readings into feature vectors, as `FeatureSpec` says.
/// One per device; a value type owned by whoever processes that device's messages.
public struct FeatureExtractor: Sendable {
    public let spec: FeatureSpec
    private var windows: [RollingWindow]
    /// Per sensor, its rolling means of the last `window` messages (for `change`); empty when not needed.
    private var pastMeans: [DelayLine]
    /// Messages seen since the start or the last reset.
    public private(set) var messagesSeen = 0

    public init(spec: FeatureSpec) {
        self.spec = spec
        windows = Array(repeating: RollingWindow(capacity: spec.window), count: spec.sensors.count)
        pastMeans = spec.derived.contains(.change) ? Array(repeating: DelayLine(delay: spec.window), count: spec.sensors.count) : []
    }

    /// True until the windows hold enough history for every derived feature.
    public var isWarmingUp: Bool { messagesSeen < spec.warmUpMessages }

    /// Takes one reading (`values[i]` for `spec.sensors[i]`, NaN when missing) and writes the feature
    /// vector into `features` (count `spec.featureCount`). Derived features of a missing value are NaN,
    /// which the forest's missing-value policy handles.
    public mutating func push(_ values: UnsafeBufferPointer<Double>, into features: UnsafeMutableBufferPointer<Double>) {
        let sensorCount = spec.sensors.count
        precondition(values.count >= sensorCount && features.count >= spec.featureCount)
        for sensor in 0..<sensorCount { features[sensor] = values[sensor] }
        var offset = sensorCount
        for kind in spec.derived {
            for sensor in 0..<sensorCount {
                let value = values[sensor]
                let window = windows[sensor]
                let feature: Double
                switch kind {
                case .diff: feature = value - window.last
                case .dev: feature = value - window.mean
                case .mean, .std, .change: feature = .nan  // after the push below, so the window includes this value
                }
                features[offset + sensor] = feature
            }
            offset += sensorCount
        }
        for sensor in 0..<sensorCount { windows[sensor].push(values[sensor]) }
        offset = sensorCount
        for kind in spec.derived {
            switch kind {
            case .mean:
                for sensor in 0..<sensorCount { features[offset + sensor] = windows[sensor].mean }
            case .std:
                for sensor in 0..<sensorCount { features[offset + sensor] = windows[sensor].standardDeviation }
            case .change:
                for sensor in 0..<sensorCount {
                    let mean = windows[sensor].mean
                    features[offset + sensor] = mean - pastMeans[sensor].push(mean)
                }
            case .diff, .dev: break
            }
            offset += sensorCount
        }
        messagesSeen += 1
    }

    /// Array convenience for tests and training.
    public mutating func push(_ values: [Double]) -> [Double] {
        var features = [Double](repeating: .nan, count: spec.featureCount)
        values.withUnsafeBufferPointer { input in
            features.withUnsafeMutableBufferPointer { output in push(input, into: output) }
        }
        return features
    }

    /// Forgets the history, for example after a long gap in the data.
    public mutating func reset() {
        for index in windows.indices { windows[index].reset() }
        for index in pastMeans.indices { pastMeans[index].reset() }
        messagesSeen = 0
    }
}
