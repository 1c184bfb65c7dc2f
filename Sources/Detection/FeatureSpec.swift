import IsolationForest

/// Which features the model sees, in which order: raw sensor values, then derived features per
/// sensor over a rolling window. Training and the agent both build feature vectors from it with
/// `FeatureExtractor`, so they cannot disagree. Stored in the model file's `featureSpec`.
public struct FeatureSpec: Sendable, Hashable, Codable {
    /// A feature computed per sensor over the last `window` messages of one device.
    public enum Derived: String, Sendable, Hashable, Codable, CaseIterable {
        /// Rolling mean.
        case mean
        /// Rolling (population) standard deviation.
        case std
        /// First difference: this value minus the previous one.
        case diff
        /// Deviation from the rolling mean of the previous values.
        case dev
        /// Change of the rolling mean over one window: its value now minus its value `window` messages ago.
        /// Judges a slow sensor (a temperature with thermal inertia) by how fast it moves, not where it is:
        /// its level keeps the memory of every past disturbance, its rate of change does not.
        case change

        /// Whether the feature sums up the whole rolling window, so that a change it shows may have begun up
        /// to a window ago; `diff` and `dev` judge the latest message against what came before it.
        public var summarisesWindow: Bool { self == .mean || self == .std || self == .change }
    }

    /// Sensor names, in order.
    public var sensors: [String]
    /// Derived features, each computed for every sensor.
    public var derived: [Derived]
    /// Rolling window length in messages; a device is warming up until it has seen this many.
    public var window: Int
    /// Per-feature ranges seen in training (raw and derived, in `featureNames` order), learned with the
    /// model (see `SensorEnvelope`). A stuck sensor shows as a rolling `std` below anything seen, a jump as
    /// a `dev` beyond anything seen, whatever the forest makes of it.
    public var envelope: [SensorEnvelope]?
    /// The features whose envelope is checked, by name (nil: all of them). The forest still sees every feature.
    public var envelopeFeatures: [String]?

    public init(sensors: [String], derived: [Derived] = [], window: Int = 1, envelope: [SensorEnvelope]? = nil,
                envelopeFeatures: [String]? = nil) {
        self.sensors = sensors
        self.derived = derived
        self.window = max(1, window)
        self.envelope = envelope
        self.envelopeFeatures = envelopeFeatures
    }

    /// Feature names in model order: `sensor` for raw values, `sensor:derived` for derived ones.
    public var featureNames: [String] {
        sensors + derived.flatMap { kind in sensors.map { "\($0):\(kind.rawValue)" } }
    }

    public var featureCount: Int { sensors.count * (1 + derived.count) }

    /// Whether feature `index` (in `featureNames` order) sums up the rolling window (`Derived.summarisesWindow`).
    public func summarisesWindow(feature index: Int) -> Bool {
        index >= sensors.count && derived[index / sensors.count - 1].summarisesWindow
    }

    /// Messages needed before features are complete: the window, plus one for `diff`/`dev` history, or two
    /// windows for `change`.
    public var warmUpMessages: Int {
        if derived.isEmpty { return 1 }
        if derived.contains(.change) { return 2 * window }
        return window + (derived.contains(.diff) || derived.contains(.dev) ? 1 : 0)
    }

    /// Indices (in `featureNames` order) of the features whose envelope is checked.
    public var envelopeFeatureIndices: [Int] {
        let names = featureNames
        guard let envelopeFeatures else { return Array(names.indices) }
        let chosen = Set(envelopeFeatures)
        return names.indices.filter { chosen.contains(names[$0]) }
    }

    /// Checks the specification on its own and against a model's feature names.
    public func validate(against featureNames: [String]? = nil) throws(DetectionError) {
        guard !sensors.isEmpty else { throw DetectionError("featureSpec.sensors is empty") }
        guard Set(sensors).count == sensors.count else { throw DetectionError("featureSpec.sensors has duplicates") }
        guard Set(derived).count == derived.count else { throw DetectionError("featureSpec.derived has duplicates") }
        guard window <= 10_000 else { throw DetectionError("featureSpec.window \(window) is larger than 10000") }
        if let envelope, envelope.map(\.sensor) != self.featureNames {
            throw DetectionError("featureSpec.envelope must list the features in order (\(self.featureNames))")
        }
        if let envelopeFeatures {
            let unknown = envelopeFeatures.filter { !self.featureNames.contains($0) }
            guard unknown.isEmpty else {
                throw DetectionError("featureSpec.envelopeFeatures names \(unknown), which are not features (\(self.featureNames))")
            }
        }
        if let featureNames, featureNames != self.featureNames {
            throw DetectionError("the model's features \(featureNames) do not match its featureSpec (\(self.featureNames))")
        }
    }

    /// The specification inside a model file, or a raw-sensors specification made from the model's
    /// feature names when the file has none (for example a model exported from scikit-learn).
    public static func from(model: AnomalyModel) throws(DetectionError) -> FeatureSpec {
        guard let value = model.featureSpec else {
            let spec = FeatureSpec(sensors: model.featureNames)
            try spec.validate(against: model.featureNames)
            return spec
        }
        let spec: FeatureSpec
        do {
            spec = try JSONValue.decode(FeatureSpec.self, from: value)
        } catch {
            throw DetectionError("the model's featureSpec cannot be read: \(error)")
        }
        try spec.validate(against: model.featureNames)
        return spec
    }

    /// This specification as the model file's open `featureSpec` value.
    public var jsonValue: JSONValue {
        // A FeatureSpec always encodes; a failure would be a programming error.
        try! JSONValue.encode(self)
    }
}

/// A problem with a model, a specification or a detection setting.
public struct DetectionError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension FeatureSpec.Derived {
    /// Every kind's name, comma-separated, for help texts and errors.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// Parses a comma-separated list of kinds, such as `mean,change`.
    public static func list(_ text: String) throws(DetectionError) -> [Self] {
        try text.split(separator: ",").map { (part) throws(DetectionError) -> Self in
            let name = String(part.filter { $0 != " " })  // "mean, change" as well as "mean,change"
            guard let kind = Self(rawValue: name) else { throw DetectionError("\(name) is not one of \(names)") }
            return kind
        }
    }
}
