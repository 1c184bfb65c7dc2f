extension IsolationForest {
    /// Trains a forest as scikit-learn's `IsolationForest.fit` does.
    ///
    /// Each tree is grown on `maxSamples` rows drawn without replacement (and, when `maxFeatures`
    /// is below the feature count, on a subset of features drawn without replacement), down to
    /// depth `ceil(log2(maxSamples))`. A node splits on a feature drawn at random among those not
    /// constant in the node, at a value drawn uniformly between that feature's minimum and maximum
    /// in the node; a node with one sample, at the depth limit, or with only constant features is
    /// a leaf and keeps its sample count. Values are compared as float32, like scikit-learn.
    ///
    /// Training is deterministic: each tree has its own generator, seeded from `configuration.seed`
    /// by SplitMix64, so results do not depend on platform or thread scheduling.
    ///
    /// - Parameters:
    ///   - data: the training rows; every value must be finite (drop or impute missing values first).
    ///   - configuration: scikit-learn's parameters and a seed.
    /// - Throws: ``TrainingError`` for empty data, non-finite values or invalid parameters.
    public init(training data: FeatureMatrix, configuration: Configuration = Configuration()) throws(TrainingError) {
        let rows = data.rowCount
        let features = data.columnCount
        guard rows >= 1 else { throw TrainingError("no training rows") }
        guard features >= 1 else { throw TrainingError("training rows have no features") }
        let (sampleCount, featureSubset) = try configuration.resolve(rows: rows, features: features)

        // Column-major float32 copy: scikit-learn grows its trees on float32 data, and a column
        // is what a node scans for its minimum and maximum.
        var columns = [Float](repeating: 0, count: rows * features)
        for row in 0..<rows {
            for column in 0..<features {
                let value = Float(data.values[row * features + column])
                guard value.isFinite else {
                    throw TrainingError("row \(row), feature \(column): \(data.values[row * features + column]) is not finite as float32; drop or impute missing values before training")
                }
                columns[column * rows + row] = value
            }
        }

        var seeds = SplitMix64(state: configuration.seed)
        var builder = TreeBuilder(rows: rows, features: features, sampleCount: sampleCount, featureSubset: featureSubset)
        var trees: [IsolationTree] = []
        trees.reserveCapacity(configuration.treeCount)
        columns.withUnsafeBufferPointer { columns in
            for _ in 0..<configuration.treeCount {
                var generator = Xoshiro256StarStar(seed: seeds.next())
                trees.append(builder.grow(columns: columns, generator: &generator))
            }
        }
        let forest: IsolationForest
        do {
            forest = try IsolationForest(trees: trees, featureCount: features, maxSamples: sampleCount, offset: -0.5)
        } catch {
            // The builder only makes valid trees; reaching this is a bug in this module.
            preconditionFailure("trained an invalid forest: \(error)")
        }
        if case .fraction(let contamination) = configuration.contamination {
            self = forest.withOffset(Self.percentile(forest.scoreSamples(data), 100.0 * contamination))
        } else {
            self = forest
        }
    }

    /// `np.percentile(values, q)` with numpy's default linear interpolation, same arithmetic.
    static func percentile(_ values: [Double], _ q: Double) -> Double {
        let sorted = values.sorted()
        let position = q / 100.0 * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        let fraction = position - Double(below)
        let low = sorted[below]
        let high = sorted[above]
        let difference = high - low
        // numpy's _lerp: interpolate from whichever end is closer, for monotonicity.
        return fraction >= 0.5 ? high - difference * (1 - fraction) : low + difference * fraction
    }
}

/// Grows one tree at a time, reusing its scratch arrays across trees.
struct TreeBuilder {
    let rows: Int
    let features: Int
    let sampleCount: Int
    let featureSubset: Int
    let maxDepth: Int

    /// A permutation of row indices; a partial shuffle draws a sample, then is undone.
    private var rowOrder: [Int]
    private var swaps: [Int]
    /// The sample's values, feature-major: `values[localFeature * sampleCount + sample]`.
    private var values: [Float]
    /// Sample indices, partitioned in place as nodes split.
    private var order: [Int]
    private var treeFeatures: [Int]

    // The tree being grown.
    private var feature: [Int] = []
    private var threshold: [Double] = []
    private var left: [Int] = []
    private var right: [Int] = []
    private var nSamples: [Int] = []

    init(rows: Int, features: Int, sampleCount: Int, featureSubset: Int) {
        self.rows = rows
        self.features = features
        self.sampleCount = sampleCount
        self.featureSubset = featureSubset
        // scikit-learn: max_depth = ceil(log2(max(max_samples, 2))), computed here on integers.
        var depth = 0
        while (1 << depth) < max(sampleCount, 2) { depth += 1 }
        self.maxDepth = depth
        rowOrder = Array(0..<rows)
        swaps = []
        values = [Float](repeating: 0, count: sampleCount * featureSubset)
        order = Array(0..<sampleCount)
        treeFeatures = Array(0..<features)
    }

    mutating func grow(columns: UnsafeBufferPointer<Float>, generator: inout Xoshiro256StarStar) -> IsolationTree {
        // Features of this tree (all of them unless maxFeatures says otherwise), sorted so node
        // draws index a stable list.
        var chosenFeatures = Array(0..<features)
        if featureSubset < features {
            for index in 0..<featureSubset {
                chosenFeatures.swapAt(index, index + generator.nextInt(below: features - index))
            }
            chosenFeatures = Array(chosenFeatures[0..<featureSubset]).sorted()
        }
        treeFeatures = chosenFeatures

        // Rows of this tree: a partial Fisher–Yates shuffle, undone afterwards so the next tree
        // starts from the identity without an O(rows) reset.
        swaps.removeAll(keepingCapacity: true)
        for index in 0..<sampleCount {
            let other = index + generator.nextInt(below: rows - index)
            rowOrder.swapAt(index, other)
            swaps.append(other)
        }
        for local in 0..<featureSubset {
            let column = treeFeatures[local]
            for sample in 0..<sampleCount {
                values[local * sampleCount + sample] = columns[column * rows + rowOrder[sample]]
            }
        }
        for index in stride(from: sampleCount - 1, through: 0, by: -1) { rowOrder.swapAt(index, swaps[index]) }
        for sample in 0..<sampleCount { order[sample] = sample }

        feature.removeAll(keepingCapacity: true)
        threshold.removeAll(keepingCapacity: true)
        left.removeAll(keepingCapacity: true)
        right.removeAll(keepingCapacity: true)
        nSamples.removeAll(keepingCapacity: true)
        var candidates = Array(0..<featureSubset)
        _ = growNode(start: 0, end: sampleCount, depth: 0, candidates: &candidates, generator: &generator)
        do {
            return try IsolationTree(
                feature: feature, threshold: threshold, left: left, right: right, nSamples: nSamples, featureCount: features,
                limits: ModelLimits(maxNodesPerTree: Int.max, maxDepth: Int.max))
        } catch {
            preconditionFailure("grew an invalid tree: \(error)")
        }
    }

    /// Grows the node for `order[start..<end]` and its subtree in pre-order; returns its index.
    /// `candidates[0..<count]` are the local features not yet known to be constant here.
    private mutating func growNode(
        start: Int, end: Int, depth: Int, candidates: inout [Int], generator: inout Xoshiro256StarStar
    ) -> Int {
        let node = feature.count
        feature.append(-1)
        threshold.append(-2)  // scikit-learn's TREE_UNDEFINED, kept for leaves
        left.append(-1)
        right.append(-1)
        nSamples.append(end - start)
        guard depth < maxDepth, end - start >= 2 else { return node }

        // Draw features until one is not constant in this node (scikit-learn's random splitter
        // with max_features=1 does the same, skipping features found constant).
        var remaining = candidates.count
        var chosen: (local: Int, low: Float, high: Float)?
        while remaining > 0 {
            let pick = generator.nextInt(below: remaining)
            let local = candidates[pick]
            let (low, high) = minMax(local: local, start: start, end: end)
            // scikit-learn's FEATURE_THRESHOLD: a range of 1e-7 or less counts as constant (in float32).
            if high <= low + Float(1e-7) {
                remaining -= 1
                candidates.swapAt(pick, remaining)
                continue
            }
            chosen = (local, low, high)
            break
        }
        guard let chosen else { return node }
        var split = Double(chosen.low) + (Double(chosen.high) - Double(chosen.low)) * generator.nextUnitDouble()
        if split == Double(chosen.high) { split = Double(chosen.low) }  // keep both sides non-empty, as scikit-learn

        // Partition: values <= split to the left.
        let base = chosen.local * sampleCount
        var middle = start
        for index in start..<end where Double(values[base + order[index]]) <= split {
            order.swapAt(index, middle)
            middle += 1
        }
        feature[node] = treeFeatures[chosen.local]
        threshold[node] = split
        // Children only consider features still possibly non-constant.
        var childCandidates = Array(candidates[0..<remaining])
        let leftChild = growNode(start: start, end: middle, depth: depth + 1, candidates: &childCandidates, generator: &generator)
        childCandidates = Array(candidates[0..<remaining])
        let rightChild = growNode(start: middle, end: end, depth: depth + 1, candidates: &childCandidates, generator: &generator)
        left[node] = leftChild
        right[node] = rightChild
        return node
    }

    private func minMax(local: Int, start: Int, end: Int) -> (Float, Float) {
        let base = local * sampleCount
        var low = values[base + order[start]]
        var high = low
        for index in (start + 1)..<end {
            let value = values[base + order[index]]
            low = min(low, value)
            high = max(high, value)
        }
        return (low, high)
    }
}
