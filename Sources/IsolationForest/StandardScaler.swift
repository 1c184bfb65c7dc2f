/// Standardises features to zero mean and unit variance, as scikit-learn's `StandardScaler`:
/// `z = (x - mean) / scale` with the population standard deviation as scale, and a scale of 1
/// for features that are (numerically) constant, so they pass through centred instead of blowing up.
public struct StandardScaler: Sendable, Equatable {
    /// Per-feature mean.
    public let mean: [Double]
    /// Per-feature scale (standard deviation, or 1 for a constant feature); always positive and finite.
    public let scale: [Double]

    /// The number of features.
    public var featureCount: Int { mean.count }

    /// Creates a scaler from known parameters (for example from a model file).
    /// - Precondition: equal lengths, finite means, finite positive scales.
    public init(mean: [Double], scale: [Double]) {
        precondition(mean.count == scale.count, "mean and scale differ in length")
        precondition(mean.allSatisfy(\.isFinite), "non-finite mean")
        precondition(scale.allSatisfy { $0.isFinite && $0 > 0 }, "scale must be finite and positive")
        self.mean = mean
        self.scale = scale
    }

    /// Learns mean and scale from training rows. Missing values (`NaN`) are ignored per feature,
    /// as scikit-learn does; a feature with no values at all gets mean 0 and scale 1.
    public init(fitting data: FeatureMatrix) {
        let columns = data.columnCount
        var mean = [Double](repeating: 0, count: columns)
        var scale = [Double](repeating: 1, count: columns)
        for column in 0..<columns {
            var sum = 0.0
            var count = 0
            for row in 0..<data.rowCount where !data[row, column].isNaN {
                sum += data[row, column]
                count += 1
            }
            guard count > 0 else { continue }
            let average = sum / Double(count)
            // Two passes: the textbook one-pass formula loses precision when mean ≫ spread.
            var squares = 0.0
            for row in 0..<data.rowCount where !data[row, column].isNaN {
                let delta = data[row, column] - average
                squares += delta * delta
            }
            let variance = squares / Double(count)
            mean[column] = average
            // scikit-learn's test for a constant feature: the variance is within the rounding
            // error bound of the two-pass algorithm (Chan, Golub and LeVeque).
            let n = Double(count)
            let epsilon = Double.ulpOfOne
            let bound = n * epsilon * variance + (n * average * epsilon) * (n * average * epsilon)
            scale[column] = variance <= bound ? 1 : variance.squareRoot()
        }
        self.mean = mean
        self.scale = scale
    }

    /// Standardises one point; `NaN` stays `NaN`.
    public func transform(_ point: [Double]) -> [Double] {
        precondition(point.count == featureCount, "point has \(point.count) features, the scaler \(featureCount)")
        return (0..<point.count).map { (point[$0] - mean[$0]) / scale[$0] }
    }

    /// Standardises every row.
    public func transform(_ data: FeatureMatrix) -> FeatureMatrix {
        precondition(data.columnCount == featureCount, "matrix has \(data.columnCount) features, the scaler \(featureCount)")
        var values = data.values
        for index in values.indices {
            let column = index % featureCount
            values[index] = (values[index] - mean[column]) / scale[column]
        }
        return FeatureMatrix(rowCount: data.rowCount, columnCount: data.columnCount, values: values)
    }

    /// Maps a standardised point back to original units.
    public func inverseTransform(_ point: [Double]) -> [Double] {
        precondition(point.count == featureCount, "point has \(point.count) features, the scaler \(featureCount)")
        return (0..<point.count).map { point[$0] * scale[$0] + mean[$0] }
    }
}
