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
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: featureCount) { x in
            _ = Self.convert(point, scaler: scaler, into: x.baseAddress!)
            var net = [Double](repeating: 0, count: featureCount)
            var positive = [Double](repeating: 0, count: featureCount)
            let result = net.withUnsafeMutableBufferPointer { net in
                positive.withUnsafeMutableBufferPointer { positive in
                    walk(x.baseAddress!, attribution: (net.baseAddress!, positive.baseAddress!))
                }
            }
            let trees = Double(treeCount)
            let shortening = net.map { $0 / trees }
            return Attribution(
                anomalyScore: result.score, meanPathLength: result.pathLengthSum / trees,
                pathShortening: shortening, shares: Self.shares(net: net, positive: positive))
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
            withUnsafeTemporaryAllocation(of: (Int32, Double).self, capacity: deepest + 2) { stack in
                var total = 0.0
                for root in packed.roots {
                    var treeSum = 0.0
                    var top = 0
                    stack[0] = (root, 1.0)
                    top = 1
                    while top > 0 {
                        top -= 1
                        let (index, weight) = stack[top]
                        let node = nodes[Int(index)]
                        if node.left == index {
                            treeSum += weight * packed.pathLength[Int(index)]
                            continue
                        }
                        let value = x[Int(node.feature)]
                        if value.isNaN {
                            let parentSamples = packed.samples[Int(index)]
                            let leftWeight = weight * packed.samples[Int(node.left)] / parentSamples
                            let rightWeight = weight * packed.samples[Int(node.right)] / parentSamples
                            stack[top] = (node.right, rightWeight)
                            stack[top + 1] = (node.left, leftWeight)
                            top += 2
                            if let attribution {
                                let feature = Int(node.feature)
                                let gains = (packed.gain[Int(node.left)], packed.gain[Int(node.right)])
                                attribution.net[feature] += leftWeight * gains.0 + rightWeight * gains.1
                                attribution.positive[feature] += leftWeight * max(0, gains.0) + rightWeight * max(0, gains.1)
                            }
                        } else {
                            let child = value <= node.threshold ? node.left : node.right
                            stack[top] = (child, weight)
                            top += 1
                            if let attribution {
                                let gain = packed.gain[Int(child)]
                                attribution.net[Int(node.feature)] += weight * gain
                                attribution.positive[Int(node.feature)] += weight * max(0, gain)
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
