extension IsolationForest {
    /// Training parameters, named and defaulted as scikit-learn's `IsolationForest`.
    public struct Configuration: Sendable, Equatable {
        /// How many samples each tree is grown on (`max_samples`).
        public enum MaxSamples: Sendable, Equatable {
            /// `min(256, rows)`.
            case auto
            /// A number of rows, capped at the number of training rows.
            case count(Int)
            /// A fraction in (0, 1] of the training rows, rounded down.
            case fraction(Double)
        }

        /// How many features each tree may split on (`max_features`), drawn per tree without replacement.
        public enum MaxFeatures: Sendable, Equatable {
            /// A number of features in `1...featureCount`.
            case count(Int)
            /// A fraction in (0, 1] of the features: `max(1, Int(fraction * featureCount))`.
            case fraction(Double)
        }

        /// How the offset (and so the threshold) is chosen (`contamination`).
        public enum Contamination: Sendable, Equatable {
            /// Offset -0.5: a point is an anomaly when its anomaly score exceeds 0.5, as in the paper.
            case auto
            /// The expected fraction of anomalies in (0, 0.5]: the offset is that percentile of
            /// the training scores (`np.percentile(score_samples(X), 100 * contamination)`).
            case fraction(Double)
        }

        /// Number of trees (`n_estimators`).
        public var treeCount: Int
        /// Samples per tree (`max_samples`).
        public var maxSamples: MaxSamples
        /// Features per tree (`max_features`).
        public var maxFeatures: MaxFeatures
        /// Offset rule (`contamination`).
        public var contamination: Contamination
        /// Seed of the generator: the same seed and data give the same forest on every platform.
        public var seed: UInt64

        /// Creates a configuration; the defaults are scikit-learn's, with seed 0.
        public init(
            treeCount: Int = 100, maxSamples: MaxSamples = .auto, maxFeatures: MaxFeatures = .fraction(1.0),
            contamination: Contamination = .auto, seed: UInt64 = 0
        ) {
            self.treeCount = treeCount
            self.maxSamples = maxSamples
            self.maxFeatures = maxFeatures
            self.contamination = contamination
            self.seed = seed
        }

        /// The parameters as a JSON object with scikit-learn's names, for the model file's training metadata.
        public var jsonValue: JSONValue {
            let samples: JSONValue
            switch maxSamples {
            case .auto: samples = "auto"
            case .count(let count): samples = .number(Double(count))
            case .fraction(let fraction): samples = .number(fraction)
            }
            let features: JSONValue
            switch maxFeatures {
            case .count(let count): features = .number(Double(count))
            case .fraction(let fraction): features = .number(fraction)
            }
            let contamination: JSONValue
            switch self.contamination {
            case .auto: contamination = "auto"
            case .fraction(let fraction): contamination = .number(fraction)
            }
            return ["n_estimators": .number(Double(treeCount)), "max_samples": samples, "max_features": features, "contamination": contamination]
        }

        /// Resolves `max_samples` and `max_features` for a data set, or explains why they are invalid.
        func resolve(rows: Int, features: Int) throws(TrainingError) -> (samples: Int, features: Int) {
            guard treeCount >= 1 else { throw TrainingError("treeCount must be at least 1, not \(treeCount)") }
            let samples: Int
            switch maxSamples {
            case .auto: samples = min(256, rows)
            case .count(let count):
                guard count >= 1 else { throw TrainingError("maxSamples must be at least 1, not \(count)") }
                samples = min(count, rows)
            case .fraction(let fraction):
                guard fraction > 0 && fraction <= 1 else { throw TrainingError("maxSamples fraction must be in (0, 1], not \(fraction)") }
                samples = Int(fraction * Double(rows))
                guard samples >= 1 else { throw TrainingError("maxSamples fraction \(fraction) of \(rows) rows selects no sample") }
            }
            let featureCount: Int
            switch maxFeatures {
            case .count(let count):
                guard (1...features).contains(count) else { throw TrainingError("maxFeatures must be in 1...\(features), not \(count)") }
                featureCount = count
            case .fraction(let fraction):
                guard fraction > 0 && fraction <= 1 else { throw TrainingError("maxFeatures fraction must be in (0, 1], not \(fraction)") }
                featureCount = max(1, Int(fraction * Double(features)))
            }
            if case .fraction(let fraction) = contamination, !(fraction > 0 && fraction <= 0.5) {
                throw TrainingError("contamination must be in (0, 0.5], not \(fraction)")
            }
            return (samples, featureCount)
        }
    }
}

/// Why a forest could not be trained: invalid parameters or unusable data.
public struct TrainingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public let message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
