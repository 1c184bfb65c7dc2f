import IsolationForest

/// Deterministic synthetic data for unit tests (no Foundation randomness, same on every platform).
enum TestData {
    /// Approximately standard normal rows (Irwin–Hall: the sum of 12 uniforms minus 6), using
    /// only exact IEEE arithmetic so the data, and models trained on it, are bit-identical on every platform.
    static func gaussian(rows: Int, columns: Int, seed: UInt64) -> FeatureMatrix {
        var generator = Xoshiro256StarStar(seed: seed)
        var values: [Double] = []
        values.reserveCapacity(rows * columns)
        for _ in 0..<(rows * columns) { values.append(normal(&generator)) }
        return FeatureMatrix(rowCount: rows, columnCount: columns, values: values)
    }

    static func normal(_ generator: inout Xoshiro256StarStar) -> Double {
        var sum = -6.0
        for _ in 0..<12 { sum += generator.nextUnitDouble() }
        return sum
    }

    /// A minimal hand-made tree: root splits feature 0 at 0.5; 8 samples go left, 2 right.
    static func twoLeafTree(featureCount: Int = 1) throws -> IsolationTree {
        try IsolationTree(
            feature: [0, -1, -1], threshold: [0.5, -2, -2], left: [1, -1, -1], right: [2, -1, -1], nSamples: [10, 8, 2],
            featureCount: featureCount)
    }
}

