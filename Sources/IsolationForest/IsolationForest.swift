/// A fitted Isolation Forest (Liu, Ting and Zhou, 2008) with scikit-learn's semantics and scores.
///
/// The value is immutable and `Sendable`: any number of threads or tasks may score with one
/// instance at once. Scores match scikit-learn's `IsolationForest` for the same trees (see
/// `tools/export_sklearn.py`), including its float32 comparisons.
///
/// Score scales, for a point `x` and `E[h(x)]` its mean path length over the trees:
/// - ``anomalyScore(_:)``: `2^(-E[h(x)] / c(maxSamples))` in (0, 1], higher is more anomalous
///   (the paper's `s(x, n)`, the `score` of anomaly events);
/// - ``scoreSample(_:)``: scikit-learn's `score_samples`, the negated anomaly score;
/// - ``decisionFunction(_:)``: `scoreSample(x) - offset`, negative for anomalies;
/// - ``predict(_:)``: `-1` for an anomaly, `+1` for a normal point; ``isAnomaly(_:)`` as a `Bool`.
///
/// Missing values (`NaN`) are allowed when scoring: at a split on a missing feature the point
/// follows both children, weighted by the share of training samples that went each way (the
/// approach of the isotree library). scikit-learn instead sends it to one side, so scores of
/// points with missing values are not expected to match scikit-learn.
public struct IsolationForest: Sendable {
    /// The trees, in the model-file layout.
    public let trees: [IsolationTree]
    /// Number of features a point has.
    public let featureCount: Int
    /// Samples drawn per tree (scikit-learn's `max_samples_`), whose `c(maxSamples)` normalises depths.
    public let maxSamples: Int
    /// scikit-learn's `offset_`: `decisionFunction = scoreSample - offset`. `-0.5` for `contamination="auto"`.
    public let offset: Double

    let packed: PackedForest
    /// `treeCount * c(maxSamples)`, the divisor of the mean path length.
    let normaliser: Double

    /// Creates a forest from trees, validating them.
    ///
    /// - Parameters:
    ///   - trees: trees over features `0..<featureCount` (already validated by ``IsolationTree``'s initialiser).
    ///   - featureCount: number of features of a point.
    ///   - maxSamples: samples per tree, at least 1.
    ///   - offset: scikit-learn's `offset_`, finite.
    /// - Throws: ``ModelFileError`` when a tree uses a feature out of range or a number is invalid.
    public init(trees: [IsolationTree], featureCount: Int, maxSamples: Int, offset: Double) throws(ModelFileError) {
        guard !trees.isEmpty else { throw ModelFileError(.invalidStructure, at: "trees", "a forest needs at least one tree") }
        guard featureCount >= 1 else { throw ModelFileError(.invalidValue, at: "featureNames", "a forest needs at least one feature") }
        guard maxSamples >= 1 else { throw ModelFileError(.invalidValue, at: "maxSamples", "\(maxSamples) is not a positive count") }
        guard offset.isFinite else { throw ModelFileError(.invalidValue, at: "decision.offset", "\(offset) is not a finite number") }
        for (index, tree) in trees.enumerated() {
            if let feature = tree.feature.first(where: { $0 >= featureCount }) {
                throw ModelFileError(.invalidStructure, at: "trees[\(index)].feature", "feature \(feature) out of range 0..<\(featureCount)")
            }
        }
        self.trees = trees
        self.featureCount = featureCount
        self.maxSamples = maxSamples
        self.offset = offset
        self.packed = PackedForest(trees: trees, featureCount: featureCount)
        self.normaliser = Double(trees.count) * averagePathLength(maxSamples)
    }

    private init(copying forest: IsolationForest, offset: Double) {
        self.trees = forest.trees
        self.featureCount = forest.featureCount
        self.maxSamples = forest.maxSamples
        self.offset = offset
        self.packed = forest.packed
        self.normaliser = forest.normaliser
    }

    /// The same trees with another offset (for example after calibrating a threshold).
    /// - Precondition: `offset` is finite.
    public func withOffset(_ offset: Double) -> IsolationForest {
        precondition(offset.isFinite, "offset must be finite")
        return IsolationForest(copying: self, offset: offset)
    }

    /// Number of trees.
    public var treeCount: Int { trees.count }

    /// The anomaly score above which a point is an anomaly, `-offset` (0.5 for `contamination="auto"`).
    public var threshold: Double { -offset }

    // MARK: One point

    /// The anomaly score in (0, 1] of one point; higher is more anomalous.
    /// - Precondition: `point.count == featureCount`.
    public func anomalyScore(_ point: some Collection<Double>) -> Double {
        withContiguous(point) { anomalyScore(buffer: $0, scaler: nil) }
    }

    /// scikit-learn's `score_samples` for one point: the negated anomaly score.
    public func scoreSample(_ point: some Collection<Double>) -> Double {
        -anomalyScore(point)
    }

    /// scikit-learn's `decision_function` for one point: negative for anomalies.
    public func decisionFunction(_ point: some Collection<Double>) -> Double {
        scoreSample(point) - offset
    }

    /// scikit-learn's `predict` for one point: `-1` for an anomaly, `+1` otherwise.
    public func predict(_ point: some Collection<Double>) -> Int {
        decisionFunction(point) < 0 ? -1 : 1
    }

    /// Whether the point is an anomaly (its decision function is negative).
    public func isAnomaly(_ point: some Collection<Double>) -> Bool {
        decisionFunction(point) < 0
    }

    // MARK: Many points

    /// Anomaly scores of every row.
    /// - Precondition: `points.columnCount == featureCount`.
    public func anomalyScores(_ points: FeatureMatrix) -> [Double] {
        precondition(points.columnCount == featureCount, "points have \(points.columnCount) features, the forest \(featureCount)")
        return [Double](unsafeUninitializedCapacity: points.rowCount) { output, initialized in
            points.values.withUnsafeBufferPointer { input in
                anomalyScores(rows: input, into: output, scaler: nil)
            }
            initialized = points.rowCount
        }
    }

    /// Anomaly scores of rows stored row-major in `rows` (`featureCount` values per row), written
    /// to `scores`: the allocation-free form for hot paths.
    /// - Precondition: `rows.count == scores.count * featureCount`.
    public func anomalyScores(rows: UnsafeBufferPointer<Double>, into scores: UnsafeMutableBufferPointer<Double>) {
        anomalyScores(rows: rows, into: scores, scaler: nil)
    }

    /// scikit-learn's `score_samples` for every row.
    public func scoreSamples(_ points: FeatureMatrix) -> [Double] {
        anomalyScores(points).map { -$0 }
    }

    /// scikit-learn's `decision_function` for every row.
    public func decisionFunction(_ points: FeatureMatrix) -> [Double] {
        anomalyScores(points).map { -$0 - offset }
    }

    /// scikit-learn's `predict` for every row: `-1` for anomalies, `+1` otherwise.
    public func predict(_ points: FeatureMatrix) -> [Int] {
        decisionFunction(points).map { $0 < 0 ? -1 : 1 }
    }

    // MARK: Internals shared with AnomalyModel (which scales first)

    func withContiguous<R>(_ point: some Collection<Double>, _ body: (UnsafeBufferPointer<Double>) -> R) -> R {
        if let result = point.withContiguousStorageIfAvailable(body) { return result }
        return Array(point).withUnsafeBufferPointer(body)
    }

    func score(fromPathLengthSum sum: Double) -> Double {
        // scikit-learn: 2 ** -(depths / denominator), with the exponent 1 when the denominator is 0
        // (a forest trained on a single sample).
        normaliser != 0 ? Platform.pow2(-(sum / normaliser)) : 0.5
    }

    func anomalyScore(buffer point: UnsafeBufferPointer<Double>, scaler: StandardScaler?) -> Double {
        precondition(point.count == featureCount, "point has \(point.count) features, the forest \(featureCount)")
        return withPointTile(point, scaler: scaler) { tile in
            guard let tile else { return nil }
            return score(fromPathLengthSum: packed.pathLengthSum(tile: tile))
        } ?? withUnsafeTemporaryAllocation(of: Float.self, capacity: featureCount) { plain in
            _ = Self.convert(point, scaler: scaler, into: plain.baseAddress!, stride: 1)
            return walk(plain.baseAddress!, attribution: nil).score
        }
    }

    /// Runs `body` with an eight-lane tile holding the float32 point in every lane (the
    /// eight-tree kernels read each tree's lane), or with `nil` if the point has a missing value.
    func withPointTile<R>(_ point: UnsafeBufferPointer<Double>, scaler: StandardScaler?, _ body: (UnsafePointer<Float>?) -> R) -> R {
        let lanes = PackedForest.lanes
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: packed.tileSize) { tile in
            let x = tile.baseAddress!
            guard Self.convert(point, scaler: scaler, into: x, stride: lanes) else { return body(nil) }
            for feature in 0..<featureCount {
                let value = x[feature * lanes]
                for lane in 1..<lanes { x[feature * lanes + lane] = value }
            }
            for index in (featureCount * lanes)..<packed.tileSize { x[index] = 0 }
            return body(x)
        }
    }

    func anomalyScores(rows: UnsafeBufferPointer<Double>, into scores: UnsafeMutableBufferPointer<Double>, scaler: StandardScaler?) {
        let width = featureCount
        precondition(rows.count == scores.count * width, "\(rows.count) values for \(scores.count) rows of \(width) features")
        let count = scores.count
        let block = Self.blockRows
        let lanes = PackedForest.lanes
        let tileSize = packed.tileSize
        withUnsafeTemporaryAllocation(of: Float.self, capacity: block / lanes * tileSize) { tiles in
            // The padding feature of each tile is read by leaves (and never decides anything).
            tiles.initialize(repeating: 0)
            withUnsafeTemporaryAllocation(of: Double.self, capacity: block) { sums in
                withUnsafeTemporaryAllocation(of: Bool.self, capacity: block) { missing in
                    var start = 0
                    while start < count {
                        let rowsHere = min(block, count - start)
                        let tileCount = (rowsHere + lanes - 1) / lanes
                        for slot in 0..<(tileCount * lanes) {
                            // A short last tile repeats the block's first row; those results are dropped.
                            let row = start + (slot < rowsHere ? slot : 0)
                            let source = UnsafeBufferPointer(rebasing: rows[(row * width)..<((row + 1) * width)])
                            // Row `slot` is lane `slot % 8` of tile `slot / 8`.
                            let lane = tiles.baseAddress! + (slot / lanes) * tileSize + slot % lanes
                            missing[slot] = !Self.convert(source, scaler: scaler, into: lane, stride: lanes)
                            if missing[slot] {
                                // Missing values take the weighted path below; any number keeps the kernel valid.
                                for column in 0..<width { lane[column * lanes] = 0 }
                            }
                        }
                        packed.pathLengthSums(tiles: tiles.baseAddress!, tiles: tileCount, into: sums.baseAddress!)
                        for slot in 0..<rowsHere {
                            let row = start + slot
                            if missing[slot] {
                                scores[row] = anomalyScore(buffer: UnsafeBufferPointer(rebasing: rows[(row * width)..<((row + 1) * width)]), scaler: scaler)
                            } else {
                                scores[row] = score(fromPathLengthSum: sums[slot])
                            }
                        }
                        start += rowsHere
                    }
                }
            }
        }
    }

    /// Rows scored per pass over the trees in batch scoring: enough to reuse each tree's nodes
    /// from L1 many times, few enough that the rows themselves stay in L1.
    static let blockRows = 64

    /// Converts (and optionally standardises) a point to float32 as scikit-learn does, writing
    /// feature `f` to `x[f * stride]`; returns `false` if any value is missing.
    @inline(__always)
    static func convert(_ point: UnsafeBufferPointer<Double>, scaler: StandardScaler?, into x: UnsafeMutablePointer<Float>, stride: Int) -> Bool {
        var complete = true
        if let scaler {
            scaler.mean.withUnsafeBufferPointer { mean in
                scaler.scale.withUnsafeBufferPointer { scale in
                    for column in 0..<point.count {
                        let value = Float((point[column] - mean[column]) / scale[column])
                        complete = complete && !value.isNaN
                        x[column * stride] = value
                    }
                }
            }
        } else {
            for column in 0..<point.count {
                let value = Float(point[column])
                complete = complete && !value.isNaN
                x[column * stride] = value
            }
        }
        return complete
    }
}
