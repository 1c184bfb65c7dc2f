/// One isolation tree as flat arrays indexed by node, the layout of the model file and of
/// scikit-learn's `tree_` (`feature`, `threshold`, `children_left`, `children_right`, `n_node_samples`).
///
/// Node 0 is the root. An internal node sends a point left when `Float(x[feature]) <= threshold`
/// (the comparison scikit-learn makes after casting inputs to float32) and right otherwise.
/// A leaf has `feature == -1`, `left == -1` and `right == -1`. Every child index is greater than
/// its parent's index and every node except the root has exactly one parent, which makes the
/// arrays a tree by construction (no cycles, no shared nodes, everything reachable from the root).
public struct IsolationTree: Sendable, Equatable {
    /// Split feature per node, `-1` at leaves.
    public let feature: [Int]
    /// Split threshold per node (float64, as scikit-learn stores it); ignored at leaves.
    public let threshold: [Double]
    /// Left child per node, `-1` at leaves.
    public let left: [Int]
    /// Right child per node, `-1` at leaves.
    public let right: [Int]
    /// Number of training samples that reached each node.
    public let nSamples: [Int]
    /// Depth of each node (root 0), derived.
    public let depth: [Int]
    /// Length of the longest root-to-leaf path.
    public let maxDepth: Int

    /// The number of nodes.
    public var nodeCount: Int { feature.count }

    /// Creates a tree after checking that the arrays describe a valid tree over `featureCount` features.
    ///
    /// - Parameters:
    ///   - location: where the tree sits in a model file, used as the prefix of error locations.
    ///   - limits: the largest tree accepted.
    /// - Throws: ``ModelFileError`` naming the first offending entry, e.g. `trees[3].left[17]`.
    public init(
        feature: [Int], threshold: [Double], left: [Int], right: [Int], nSamples: [Int],
        featureCount: Int, location: String = "tree", limits: ModelLimits = ModelLimits()
    ) throws(ModelFileError) {
        let count = feature.count
        guard count >= 1 else { throw ModelFileError(.invalidStructure, at: "\(location).feature", "a tree needs at least one node") }
        guard count <= limits.maxNodesPerTree else {
            throw ModelFileError(.limitExceeded, at: "\(location).feature", "\(count) nodes exceed the limit of \(limits.maxNodesPerTree) per tree")
        }
        for (name, length) in [("threshold", threshold.count), ("left", left.count), ("right", right.count), ("nSamples", nSamples.count)]
        where length != count {
            throw ModelFileError(.invalidStructure, at: "\(location).\(name)", "has \(length) entries but feature has \(count)")
        }
        var parent = [Int](repeating: -1, count: count)
        var depth = [Int](repeating: 0, count: count)
        var maxDepth = 0
        for node in 0..<count {
            guard threshold[node].isFinite else {
                throw ModelFileError(.invalidValue, at: "\(location).threshold[\(node)]", "\(threshold[node]) is not a finite number")
            }
            guard nSamples[node] >= 1 else {
                throw ModelFileError(.invalidValue, at: "\(location).nSamples[\(node)]", "\(nSamples[node]) is not a positive count")
            }
            if feature[node] == -1 {
                guard left[node] == -1 else { throw ModelFileError(.invalidStructure, at: "\(location).left[\(node)]", "a leaf (feature -1) must have left -1, not \(left[node])") }
                guard right[node] == -1 else { throw ModelFileError(.invalidStructure, at: "\(location).right[\(node)]", "a leaf (feature -1) must have right -1, not \(right[node])") }
                continue
            }
            guard (0..<featureCount).contains(feature[node]) else {
                throw ModelFileError(.invalidStructure, at: "\(location).feature[\(node)]", "feature \(feature[node]) out of range 0..<\(featureCount) (or -1 for a leaf)")
            }
            for (name, child) in [("left", left[node]), ("right", right[node])] {
                let here = "\(location).\(name)[\(node)]"
                guard (0..<count).contains(child) else { throw ModelFileError(.invalidStructure, at: here, "index \(child) out of range 0..<\(count)") }
                guard child > node else {
                    throw ModelFileError(.invalidStructure, at: here, "child \(child) must come after its parent \(node) (a cycle or a backward link)")
                }
                guard parent[child] == -1 else {
                    throw ModelFileError(.invalidStructure, at: here, "node \(child) already has parent \(parent[child]); nodes cannot be shared")
                }
                parent[child] = node
                depth[child] = depth[node] + 1
                maxDepth = max(maxDepth, depth[child])
            }
            guard maxDepth <= limits.maxDepth else {
                throw ModelFileError(.limitExceeded, at: "\(location).left[\(node)]", "tree deeper than the limit of \(limits.maxDepth)")
            }
            let childSum = nSamples[left[node]] + nSamples[right[node]]
            guard nSamples[node] == childSum else {
                throw ModelFileError(.invalidStructure, at: "\(location).nSamples[\(node)]", "\(nSamples[node]) is not the sum of its children's counts \(nSamples[left[node]]) + \(nSamples[right[node]])")
            }
        }
        // With children after parents and one parent each, every non-root node is reachable; a
        // node nobody points to (other than the root) would be an orphan.
        for node in 1..<count where parent[node] == -1 {
            throw ModelFileError(.invalidStructure, at: "\(location).feature[\(node)]", "node \(node) has no parent (unreachable from the root)")
        }
        self.feature = feature
        self.threshold = threshold
        self.left = left
        self.right = right
        self.nSamples = nSamples
        self.depth = depth
        self.maxDepth = maxDepth
    }
}
