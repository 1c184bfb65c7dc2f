/// Which features made a point easy to isolate, computed in the same traversal as its score.
///
/// **Definition.** In a tree, a step from a node holding `n` training samples into a child holding
/// `m` changes the expected remaining path from `c(n)` to `1 + c(m)`: the step *shortens* the
/// path by `g = c(n) - 1 - c(m)`. It is large when the point lands in a small child (it is being
/// isolated) and about -1 when it follows the crowd. Along a root-to-leaf path these gains
/// telescope to `c(n_root) - h(x)`, so crediting each gain to the feature of the split that caused
/// it decomposes exactly how much shorter than average the point's path is. ``pathShortening``
/// holds, per feature, these gains averaged over trees (for a missing value, both branches
/// weighted as in scoring); they sum to `c(maxSamples) - E[h(x)]` for scikit-learn's trees.
///
/// ``shares`` turns them into a distribution: the positive part of each feature's shortening,
/// divided by their sum. If no feature shortened the path overall (an ordinary point), each
/// feature's share is its part of the positive step gains alone; if there are none either
/// (every tree is a single leaf), the shares are equal. Shares are never negative and sum to 1.
public struct Attribution: Sendable, Equatable {
    /// The anomaly score in (0, 1], the same number ``IsolationForest/anomalyScore(_:)`` returns.
    public let anomalyScore: Double
    /// Mean path length `E[h(x)]` over the trees.
    public let meanPathLength: Double
    /// Per feature: path shortening credited to splits on it, in path-length units (signed).
    public let pathShortening: [Double]
    /// Per feature: share of the isolation, non-negative, summing to 1.
    public let shares: [Double]

    /// Feature indices from the largest share to the smallest (ties by index).
    public var rankedFeatures: [Int] {
        shares.indices.sorted { shares[$0] > shares[$1] || (shares[$0] == shares[$1] && $0 < $1) }
    }
}

extension IsolationForest {
    /// The anomaly score of one point and each feature's share in it. See ``Attribution``.
    /// - Precondition: `point.count == featureCount`.
    public func explain(_ point: some Collection<Double>) -> Attribution {
        withContiguous(point) { explain(buffer: $0, scaler: nil) }
    }

    func explain(buffer point: UnsafeBufferPointer<Double>, scaler: StandardScaler?) -> Attribution {
        precondition(point.count == featureCount, "point has \(point.count) features, the forest \(featureCount)")
        let trees = Double(treeCount)
        // Fast path, no missing value: the interleaved kernel computes score and gains in one pass.
        let fast: Attribution? = withPointTile(point, scaler: scaler) { tile in
            guard let tile else { return nil }
            let lanes = PackedForest.lanes
            return withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * packed.tileSize) { accumulators in
                let net = accumulators.baseAddress!
                let positive = net + packed.tileSize
                let sum = packed.pathLengthSum(tile: tile, attributingTo: net, positive: positive)
                var netTotals = [Double](repeating: 0, count: featureCount)
                var positiveTotals = [Double](repeating: 0, count: featureCount)
                for feature in 0..<featureCount {
                    for lane in 0..<lanes {
                        netTotals[feature] += net[feature * lanes + lane]
                        positiveTotals[feature] += positive[feature * lanes + lane]
                    }
                }
                return Attribution(
                    anomalyScore: score(fromPathLengthSum: sum), meanPathLength: sum / trees, pathShortening: netTotals.map { $0 / trees },
                    shares: Self.shares(net: netTotals, positive: positiveTotals))
            }
        }
        if let fast { return fast }
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: featureCount) { x in
            _ = Self.convert(point, scaler: scaler, into: x.baseAddress!, stride: 1)
            var net = [Double](repeating: 0, count: featureCount)
            var positive = [Double](repeating: 0, count: featureCount)
            let result = net.withUnsafeMutableBufferPointer { net in
                positive.withUnsafeMutableBufferPointer { positive in
                    walk(x.baseAddress!, attribution: (net.baseAddress!, positive.baseAddress!))
                }
            }
            return Attribution(
                anomalyScore: result.score, meanPathLength: result.pathLengthSum / trees,
                pathShortening: net.map { $0 / trees }, shares: Self.shares(net: net, positive: positive))
        }
    }

    static func shares(net: [Double], positive: [Double]) -> [Double] {
        for candidate in [net.map { max(0, $0) }, positive] {
            let total = candidate.reduce(0, +)
            if total > 0 && total.isFinite { return candidate.map { $0 / total } }
        }
        return [Double](repeating: 1 / Double(net.count), count: net.count)
    }

    /// The general traversal: handles missing values by following both children with weights,
    /// and optionally accumulates per-feature gains (net, and positive parts only).
    func walk(
        _ x: UnsafePointer<Float>, attribution: (net: UnsafeMutablePointer<Double>, positive: UnsafeMutablePointer<Double>)?
    ) -> (score: Double, pathLengthSum: Double) {
        let deepest = Int(packed.depths.max() ?? 0)
        return packed.nodes.withUnsafeBufferPointer { nodes in
            withUnsafeTemporaryAllocation(of: (Int, Double).self, capacity: deepest + 2) { stack in
                var total = 0.0
                for root in packed.roots {
                    var treeSum = 0.0
                    var top = 0
                    stack[0] = (Int(root) / MemoryLayout<PackedForest.Node>.stride, 1.0)
                    top = 1
                    while top > 0 {
                        top -= 1
                        let (index, weight) = stack[top]
                        let node = nodes[index]
                        if node.rightIndex == index {
                            treeSum += weight * packed.pathLength[index]
                            continue
                        }
                        let left = node.leftIndex
                        let value = x[node.feature]
                        if value.isNaN {
                            let parentSamples = packed.samples[index]
                            let leftWeight = weight * packed.samples[left] / parentSamples
                            let rightWeight = weight * packed.samples[node.rightIndex] / parentSamples
                            stack[top] = (node.rightIndex, rightWeight)
                            stack[top + 1] = (left, leftWeight)
                            top += 2
                            if let attribution {
                                let feature = node.feature
                                let gains = (packed.gain[left], packed.gain[node.rightIndex])
                                attribution.net[feature] += leftWeight * gains.0 + rightWeight * gains.1
                                attribution.positive[feature] += leftWeight * max(0, gains.0) + rightWeight * max(0, gains.1)
                            }
                        } else {
                            let child = value <= node.threshold ? left : node.rightIndex
                            stack[top] = (child, weight)
                            top += 1
                            if let attribution {
                                let gain = packed.gain[child]
                                attribution.net[node.feature] += weight * gain
                                attribution.positive[node.feature] += weight * max(0, gain)
                            }
                        }
                    }
                    total += treeSum
                }
                return (score(fromPathLengthSum: total), total)
            }
        }
    }
}
