/// A complete, versioned anomaly model: what the agent loads from a model file.
///
/// It bundles the forest with what is needed to use and audit it: feature names and the
/// optional feature specification (owned by the Detection module, carried through verbatim),
/// the optional scaler applied before the forest, the decision rule (offset and threshold, and
/// how they were chosen), training metadata, and an id that is the SHA-256 of the canonical
/// content. The schema is documented in `docs/model-format.md`.
///
/// The scoring methods take raw feature values (in the order of ``featureNames``) and apply
/// the scaler first. Like ``IsolationForest``, the value is immutable and `Sendable`.
public struct AnomalyModel: Sendable {
    /// The value of the file's `format` member.
    public static let format = "edge-anomaly/isolation-forest"
    /// The format version this library writes and reads.
    public static let formatVersion = 1

    /// How anomalies are separated from normal points, and how that was decided.
    public struct Decision: Sendable, Equatable {
        /// scikit-learn's `offset_`: `decision_function = score_samples - offset`.
        public let offset: Double
        /// How the offset was chosen: `"auto"`, `"contamination"`, or a later calibration method's name.
        public let method: String
        /// The method's parameters (a JSON object), e.g. `{"contamination": 0.05}`.
        public let parameters: JSONValue

        /// The anomaly score above which a point is an anomaly: `-offset`.
        public var threshold: Double { -offset }

        /// Creates a decision rule.
        /// - Precondition: `offset` is finite, `method` is not empty and `parameters` is an object.
        public init(offset: Double, method: String, parameters: JSONValue = [:]) {
            precondition(offset.isFinite, "offset must be finite")
            precondition(!method.isEmpty, "method must be named")
            precondition(parameters.objectValue != nil, "parameters must be a JSON object")
            self.offset = offset
            self.method = method
            self.parameters = parameters
        }

        /// A rule on the anomaly-score scale: anomalies score above `threshold`.
        public init(threshold: Double, method: String, parameters: JSONValue = [:]) {
            self.init(offset: -threshold, method: method, parameters: parameters)
        }

        /// scikit-learn's `contamination="auto"`: threshold 0.5.
        public static let auto = Decision(offset: -0.5, method: "auto", parameters: ["contamination": "auto"])
    }

    /// Where the model came from. Every member is optional: an exporter may not know them all.
    public struct TrainingMetadata: Sendable, Equatable {
        /// Number of training rows.
        public var rows: Int?
        /// Seed of the training generator (scikit-learn's `random_state` for exported models).
        public var seed: UInt64?
        /// Training date, RFC 3339 (UTC), e.g. `2025-11-22T08:06:00Z`.
        public var date: String?
        /// `"sha256:<hex>"` of the training data (see ``FeatureMatrix/contentHash()``).
        public var dataHash: String?
        /// What trained it, e.g. `"edge-anomaly"` or `"scikit-learn 1.9.1"`.
        public var software: String?
        /// Training parameters (a JSON object, scikit-learn's names).
        public var parameters: JSONValue

        /// Creates metadata.
        public init(
            rows: Int? = nil, seed: UInt64? = nil, date: String? = nil, dataHash: String? = nil, software: String? = nil,
            parameters: JSONValue = [:]
        ) {
            self.rows = rows
            self.seed = seed
            self.date = date
            self.dataHash = dataHash
            self.software = software
            self.parameters = parameters
        }
    }

    /// `"sha256:<hex>"` of the canonical JSON of the model without its `id`: the model id.
    public let id: String
    /// Feature names, in the order the forest expects its input.
    public let featureNames: [String]
    /// The Detection module's feature specification (sensors, derived features, window…), opaque here.
    public let featureSpec: JSONValue?
    /// Standardisation applied before the forest, if any.
    public let scaler: StandardScaler?
    /// The forest; its `offset` is the decision's offset.
    public let forest: IsolationForest
    /// The decision rule.
    public let decision: Decision
    /// Training metadata.
    public let training: TrainingMetadata

    /// Assembles a model and computes its id.
    ///
    /// - Parameter decision: the decision rule; `nil` keeps the forest's offset with method `"auto"`
    ///   when it is -0.5 and `"offset"` otherwise.
    /// - Throws: ``ModelFileError`` when the parts do not fit together (feature counts, names).
    public init(
        featureNames: [String], featureSpec: JSONValue? = nil, scaler: StandardScaler? = nil, forest: IsolationForest,
        decision: Decision? = nil, training: TrainingMetadata = TrainingMetadata()
    ) throws(ModelFileError) {
        let decision = decision ?? (forest.offset == -0.5 ? .auto : Decision(offset: forest.offset, method: "offset"))
        try Self.check(featureNames: featureNames, featureCount: forest.featureCount)
        if let scaler, scaler.featureCount != forest.featureCount {
            throw ModelFileError(.invalidStructure, at: "scaler.mean", "has \(scaler.featureCount) entries for \(forest.featureCount) features")
        }
        try Self.check(training: training)
        self.featureNames = featureNames
        self.featureSpec = featureSpec
        self.scaler = scaler
        self.forest = forest.offset == decision.offset ? forest : forest.withOffset(decision.offset)
        self.decision = decision
        self.training = training
        self.id = Self.contentID(of: Self.document(featureNames: featureNames, featureSpec: featureSpec, scaler: scaler, forest: self.forest,
                                                  decision: decision, training: training))
    }

    /// The same model with another decision rule (for example after calibration); it gets a new id.
    public func withDecision(_ decision: Decision) -> AnomalyModel {
        do {
            return try AnomalyModel(
                featureNames: featureNames, featureSpec: featureSpec, scaler: scaler, forest: forest, decision: decision, training: training)
        } catch {
            preconditionFailure("a valid model became invalid with a new decision: \(error)")
        }
    }

    /// The same model with another feature specification; it gets a new id.
    public func withFeatureSpec(_ featureSpec: JSONValue?) -> AnomalyModel {
        do {
            return try AnomalyModel(
                featureNames: featureNames, featureSpec: featureSpec, scaler: scaler, forest: forest, decision: decision, training: training)
        } catch {
            preconditionFailure("a valid model became invalid with a new feature spec: \(error)")
        }
    }

    /// The anomaly score threshold: points scoring above it are anomalies.
    public var threshold: Double { decision.threshold }

    // MARK: Scoring raw feature values

    /// The anomaly score in (0, 1] of one point given in original units (scaled here if the model has a scaler).
    /// - Precondition: `point.count == featureNames.count`.
    public func anomalyScore(_ point: some Collection<Double>) -> Double {
        forest.withContiguous(point) { forest.anomalyScore(buffer: $0, scaler: scaler) }
    }

    /// Whether the point is an anomaly: its anomaly score exceeds ``threshold``.
    public func isAnomaly(_ point: some Collection<Double>) -> Bool {
        -anomalyScore(point) - decision.offset < 0
    }

    /// The anomaly score and per-feature attribution of one point in original units.
    public func explain(_ point: some Collection<Double>) -> Attribution {
        forest.withContiguous(point) { forest.explain(buffer: $0, scaler: scaler) }
    }

    /// Anomaly scores of rows in original units.
    public func anomalyScores(_ points: FeatureMatrix) -> [Double] {
        precondition(points.columnCount == forest.featureCount, "points have \(points.columnCount) features, the model \(forest.featureCount)")
        return [Double](unsafeUninitializedCapacity: points.rowCount) { output, initialized in
            points.values.withUnsafeBufferPointer { input in
                forest.anomalyScores(rows: input, into: output, scaler: scaler)
            }
            initialized = points.rowCount
        }
    }

    /// Anomaly scores of row-major rows in original units, written to `scores` without allocating.
    public func anomalyScores(rows: UnsafeBufferPointer<Double>, into scores: UnsafeMutableBufferPointer<Double>) {
        forest.anomalyScores(rows: rows, into: scores, scaler: scaler)
    }

    // MARK: Training

    /// Trains a model: optionally fits a ``StandardScaler``, trains the forest on the (scaled)
    /// data, and records the decision rule and training metadata.
    ///
    /// - Parameters:
    ///   - data: training rows in original units, finite values only.
    ///   - featureNames: one unique, non-empty name per column.
    ///   - configuration: forest parameters and seed.
    ///   - standardize: fit and apply a scaler first.
    ///   - featureSpec: the Detection module's feature specification, stored verbatim.
    ///   - date: training date to record (RFC 3339); `nil` records the current time. Pass a fixed
    ///     date to make the model id reproducible.
    /// - Throws: ``TrainingError``.
    public static func train(
        data: FeatureMatrix, featureNames: [String], configuration: IsolationForest.Configuration = .init(),
        standardize: Bool = false, featureSpec: JSONValue? = nil, date: String? = nil
    ) throws(TrainingError) -> AnomalyModel {
        guard featureNames.count == data.columnCount else {
            throw TrainingError("\(featureNames.count) feature names for \(data.columnCount) columns")
        }
        let scaler = standardize ? StandardScaler(fitting: data) : nil
        let forest = try IsolationForest(training: scaler.map { $0.transform(data) } ?? data, configuration: configuration)
        let decision: Decision
        switch configuration.contamination {
        case .auto: decision = .auto
        case .fraction(let fraction):
            decision = Decision(offset: forest.offset, method: "contamination", parameters: ["contamination": .number(fraction)])
        }
        let training = TrainingMetadata(
            rows: data.rowCount, seed: configuration.seed, date: date ?? RFC3339.format(unixSeconds: Platform.unixTime()),
            dataHash: data.contentHash(), software: "edge-anomaly", parameters: configuration.jsonValue)
        do {
            return try AnomalyModel(
                featureNames: featureNames, featureSpec: featureSpec, scaler: scaler, forest: forest, decision: decision, training: training)
        } catch {
            throw TrainingError("\(error)")
        }
    }

    // MARK: Checks shared with loading

    static func check(featureNames: [String], featureCount: Int) throws(ModelFileError) {
        guard featureNames.count == featureCount else {
            throw ModelFileError(.invalidStructure, at: "featureNames", "\(featureNames.count) names for \(featureCount) features")
        }
        var seen: Set<String> = []
        for (index, name) in featureNames.enumerated() {
            guard !name.isEmpty else { throw ModelFileError(.invalidValue, at: "featureNames[\(index)]", "empty feature name") }
            guard seen.insert(name).inserted else {
                throw ModelFileError(.invalidValue, at: "featureNames[\(index)]", "duplicate feature name \"\(name)\"")
            }
        }
    }

    static func check(training: TrainingMetadata) throws(ModelFileError) {
        if let rows = training.rows, rows < 0 {
            throw ModelFileError(.invalidValue, at: "training.rows", "\(rows) is not a count")
        }
        if let hash = training.dataHash, !isSHA256Reference(hash) {
            throw ModelFileError(.invalidValue, at: "training.dataHash", "expected \"sha256:\" and 64 lowercase hex digits")
        }
        if training.parameters.objectValue == nil {
            throw ModelFileError(.invalidValue, at: "training.parameters", "must be a JSON object")
        }
    }

    static func isSHA256Reference(_ text: String) -> Bool {
        guard text.hasPrefix("sha256:") else { return false }
        let hex = text.utf8.dropFirst(7)
        return hex.count == 64 && hex.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

/// RFC 3339 timestamps in UTC, without Foundation.
enum RFC3339 {
    static func format(unixSeconds: Int64) -> String {
        let days = unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400
        let secondsOfDay = unixSeconds - days * 86_400
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(secondsOfDay / 3600)):\(two(secondsOfDay % 3600 / 60)):\(two(secondsOfDay % 60))Z"
    }
}
