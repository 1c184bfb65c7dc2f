import IsolationForest

/// Trains a model the way the agent will use it: the readings of each device go through the same
/// `FeatureExtractor` the agent runs, warm-up rows are left out, and the sensor envelope is learned
/// from the raw values. Used by learn mode and by `anomaly-agent train`.
public struct ModelTrainer: Sendable {
    public var sensors: [String]
    public var derived: [FeatureSpec.Derived]
    public var window: Int
    public var forest: IsolationForest.Configuration
    /// Standardise features before the forest (the forest itself is scale-free; attribution and the
    /// model file's `expected` values are clearer with it).
    public var standardize: Bool
    /// The features whose envelope the agent checks (nil: all); see `FeatureSpec.envelopeFeatures`.
    public var envelopeFeatures: [String]?

    public init(sensors: [String], derived: [FeatureSpec.Derived] = [], window: Int = 1,
                forest: IsolationForest.Configuration = .init(), standardize: Bool = false, envelopeFeatures: [String]? = nil) {
        self.sensors = sensors
        self.derived = derived
        self.window = window
        self.forest = forest
        self.standardize = standardize
        self.envelopeFeatures = envelopeFeatures
    }

    /// The training rows: each device's readings through the agent's feature code, warm-up rows and rows
    /// with a missing feature left out; and the specification with the feature envelope learned.
    /// - Parameter readings: per device, its readings in time order, each with one value per sensor
    ///   (NaN for missing).
    public func featureRows(readings: [String: [[Double]]]) throws(DetectionError) -> (FeatureMatrix, FeatureSpec) {
        var spec = FeatureSpec(sensors: sensors, derived: derived, window: window, envelopeFeatures: envelopeFeatures)
        try spec.validate()
        var rows: [Double] = []
        var rowCount = 0
        for device in readings.keys.sorted() {
            var extractor = FeatureExtractor(spec: spec)
            for reading in readings[device]! {
                guard reading.count == sensors.count else {
                    throw DetectionError("device \(device): a reading has \(reading.count) values for \(sensors.count) sensors")
                }
                let features = extractor.push(reading)
                guard !extractor.isWarmingUp, features.allSatisfy(\.isFinite) else { continue }
                rows.append(contentsOf: features)
                rowCount += 1
            }
        }
        guard rowCount >= 2 else {
            let empty = sensors.indices.filter { sensor in !readings.values.contains { $0.contains { $0[sensor].isFinite } } }.map { sensors[$0] }
            if !empty.isEmpty {
                throw DetectionError("\(empty.count == 1 ? "sensor" : "sensors") \(empty.joined(separator: ", ")) \(empty.count == 1 ? "has" : "have") no numeric value at all, so no feature row is complete; leave \(empty.count == 1 ? "it" : "them") out")
            }
            throw DetectionError("only \(rowCount) complete feature rows to train on (need at least 2; a device must send more than \(spec.warmUpMessages) readings, each with every sensor)")
        }
        let matrix = FeatureMatrix(rowCount: rowCount, columnCount: spec.featureCount, values: rows)
        let names = spec.featureNames
        spec.envelope = names.indices.map { column in
            SensorEnvelope(sensor: names[column], values: (0..<rowCount).lazy.map { matrix[$0, column] })
        }
        // Values near the end of a double's range (1e200) overflow the spread; the model could not be written.
        if let overflowing = spec.envelope!.first(where: { ![$0.min, $0.max, $0.mean, $0.std].allSatisfy(\.isFinite) }) {
            throw DetectionError("\(overflowing.sensor) reaches \(overflowing.min) … \(overflowing.max) in training, too large to model (its spread overflows a double); check the data's units or drop those rows")
        }
        // Runs of identical values are a property of the raw readings in time order, per device (warm-up
        // rows included: a run does not care about windows).
        for sensor in sensors.indices {
            spec.envelope![sensor].longestRun = readings.values.map { rows in
                DataQualityMonitor.longestRun(rows.lazy.map { $0[sensor] })
            }.max()
        }
        return (matrix, spec)
    }

    /// Trains on `readings` (see `featureRows(readings:)`).
    /// - Throws: `DetectionError` when no complete feature row remains, or training fails.
    public func train(readings: [String: [[Double]]], date: String? = nil) throws(DetectionError) -> AnomalyModel {
        let (matrix, spec) = try featureRows(readings: readings)
        return try train(matrix: matrix, spec: spec, date: date)
    }

    /// Trains on feature rows made by `featureRows(readings:)`.
    public func train(matrix: FeatureMatrix, spec: FeatureSpec, date: String? = nil) throws(DetectionError) -> AnomalyModel {
        do {
            return try AnomalyModel.train(data: matrix, featureNames: spec.featureNames, configuration: forest,
                                          standardize: standardize, featureSpec: spec.jsonValue, date: date)
        } catch {
            throw DetectionError("training failed: \(error)")
        }
    }
}
