/// The scoring layout: every tree's nodes in one array of 16-byte nodes, so a traversal touches
/// one cache line per level and the whole 100-tree forest fits in L2.
///
/// Two tricks keep the inner loop branch-free:
/// - A leaf points to itself on both sides and has a `NaN` threshold, so a point that reached
///   it stays there; every point of a tree can then take exactly `maxDepth` steps, and several
///   traversals (8 trees for one point, or 8 points through one tree) run interleaved, which
///   hides the latency of each dependent load.
/// - The float64 threshold `t` of scikit-learn becomes the largest `Float` not above it, `t32`.
///   For any float32 input `x`, `Double(x) <= t` if and only if `x <= t32`, so comparing in
///   float32 is exactly scikit-learn's decision (it casts inputs to float32 and compares with
///   the float64 threshold).
struct PackedForest: Sendable {
    struct Node: Sendable {
        var threshold: Float
        var feature: Int32
        var left: Int32
        var right: Int32
    }

    /// All nodes of all trees; children are global indices.
    let nodes: [Node]
    /// Per node: for a leaf, its depth plus `c(nSamples)`, the path length a point ending there gets.
    let pathLength: [Double]
    /// Per node: training samples that reached it, for splitting the weight of a missing value.
    let samples: [Double]
    /// Per node: how much the step into this node shortened the expected path,
    /// `c(n_parent) - 1 - c(n_node)` (0 for a root); used for attribution.
    let gain: [Double]
    /// Per tree: global index of its root and its depth.
    let roots: [Int32]
    let depths: [Int32]
    /// Per group of eight consecutive trees: the deepest of them.
    let groupDepths: [Int32]

    init(trees: [IsolationTree]) {
        var nodes: [Node] = []
        var pathLength: [Double] = []
        var samples: [Double] = []
        var gain: [Double] = []
        let total = trees.reduce(0) { $0 + $1.nodeCount }
        nodes.reserveCapacity(total)
        pathLength.reserveCapacity(total)
        samples.reserveCapacity(total)
        gain = [Double](repeating: 0, count: total)
        var roots: [Int32] = []
        var depths: [Int32] = []
        for tree in trees {
            let base = nodes.count
            roots.append(Int32(base))
            depths.append(Int32(tree.maxDepth))
            for node in 0..<tree.nodeCount {
                let global = Int32(base + node)
                let average = averagePathLength(tree.nSamples[node])
                samples.append(Double(tree.nSamples[node]))
                if tree.feature[node] < 0 {
                    nodes.append(Node(threshold: .nan, feature: 0, left: global, right: global))
                    // scikit-learn: depths[leaf] + c(n) - 1 with the root at depth 1.
                    pathLength.append(Double(tree.depth[node] + 1) + average - 1.0)
                } else {
                    nodes.append(
                        Node(
                            threshold: Self.floatBoundary(tree.threshold[node]), feature: Int32(tree.feature[node]),
                            left: Int32(base + tree.left[node]), right: Int32(base + tree.right[node])))
                    pathLength.append(0)
                    gain[base + tree.left[node]] = average - 1 - averagePathLength(tree.nSamples[tree.left[node]])
                    gain[base + tree.right[node]] = average - 1 - averagePathLength(tree.nSamples[tree.right[node]])
                }
            }
        }
        var groupDepths: [Int32] = []
        var start = 0
        while start < depths.count {
            groupDepths.append(depths[start..<min(start + 8, depths.count)].max()!)
            start += 8
        }
        self.nodes = nodes
        self.pathLength = pathLength
        self.samples = samples
        self.gain = gain
        self.roots = roots
        self.depths = depths
        self.groupDepths = groupDepths
    }

    /// The largest `Float` that is `<= threshold`, so that `x <= result` ⇔ `Double(x) <= threshold`
    /// for every `Float` `x`.
    static func floatBoundary(_ threshold: Double) -> Float {
        var rounded = Float(threshold)
        if Double(rounded) > threshold { rounded = rounded.nextDown }
        return rounded
    }

    var treeCount: Int { roots.count }

    /// Sum over trees of the path length of one point (float32 features, no NaN).
    func pathLengthSum(_ x: UnsafePointer<Float>) -> Double {
        nodes.withUnsafeBufferPointer { nodeBuffer in
            pathLength.withUnsafeBufferPointer { lengthBuffer in
                roots.withUnsafeBufferPointer { rootBuffer in
                    let nodes = nodeBuffer.baseAddress!
                    let lengths = lengthBuffer.baseAddress!
                    let roots = rootBuffer.baseAddress!
                    let treeCount = rootBuffer.count
                    var total = 0.0
                    var tree = 0
                    // Eight independent traversals in flight hide the load latency of each level.
                    while tree + 8 <= treeCount {
                        var n0 = roots[tree], n1 = roots[tree + 1], n2 = roots[tree + 2], n3 = roots[tree + 3]
                        var n4 = roots[tree + 4], n5 = roots[tree + 5], n6 = roots[tree + 6], n7 = roots[tree + 7]
                        for _ in 0..<groupDepths[tree >> 3] {
                            n0 = Self.step(nodes, n0, x)
                            n1 = Self.step(nodes, n1, x)
                            n2 = Self.step(nodes, n2, x)
                            n3 = Self.step(nodes, n3, x)
                            n4 = Self.step(nodes, n4, x)
                            n5 = Self.step(nodes, n5, x)
                            n6 = Self.step(nodes, n6, x)
                            n7 = Self.step(nodes, n7, x)
                        }
                        total += ((lengths[Int(n0)] + lengths[Int(n1)]) + (lengths[Int(n2)] + lengths[Int(n3)]))
                            + ((lengths[Int(n4)] + lengths[Int(n5)]) + (lengths[Int(n6)] + lengths[Int(n7)]))
                        tree += 8
                    }
                    while tree < treeCount {
                        var n = roots[tree]
                        for _ in 0..<depths[tree] { n = Self.step(nodes, n, x) }
                        total += lengths[Int(n)]
                        tree += 1
                    }
                    return total
                }
            }
        }
    }

    /// Sums over trees of the path lengths of eight points at once (float32 rows of `stride`
    /// features, no NaN), each tree walked by eight interleaved traversals.
    func pathLengthSums8(_ x: UnsafePointer<Float>, stride: Int, into sums: UnsafeMutablePointer<Double>) {
        nodes.withUnsafeBufferPointer { nodeBuffer in
            pathLength.withUnsafeBufferPointer { lengthBuffer in
                let nodes = nodeBuffer.baseAddress!
                let lengths = lengthBuffer.baseAddress!
                let x0 = x, x1 = x + stride, x2 = x + 2 * stride, x3 = x + 3 * stride
                let x4 = x + 4 * stride, x5 = x + 5 * stride, x6 = x + 6 * stride, x7 = x + 7 * stride
                var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0
                for tree in 0..<roots.count {
                    let root = roots[tree]
                    var n0 = root, n1 = root, n2 = root, n3 = root, n4 = root, n5 = root, n6 = root, n7 = root
                    for _ in 0..<depths[tree] {
                        n0 = Self.step(nodes, n0, x0)
                        n1 = Self.step(nodes, n1, x1)
                        n2 = Self.step(nodes, n2, x2)
                        n3 = Self.step(nodes, n3, x3)
                        n4 = Self.step(nodes, n4, x4)
                        n5 = Self.step(nodes, n5, x5)
                        n6 = Self.step(nodes, n6, x6)
                        n7 = Self.step(nodes, n7, x7)
                    }
                    // Tree by tree, in order: the same summation order as scikit-learn.
                    s0 += lengths[Int(n0)]
                    s1 += lengths[Int(n1)]
                    s2 += lengths[Int(n2)]
                    s3 += lengths[Int(n3)]
                    s4 += lengths[Int(n4)]
                    s5 += lengths[Int(n5)]
                    s6 += lengths[Int(n6)]
                    s7 += lengths[Int(n7)]
                }
                sums[0] = s0
                sums[1] = s1
                sums[2] = s2
                sums[3] = s3
                sums[4] = s4
                sums[5] = s5
                sums[6] = s6
                sums[7] = s7
            }
        }
    }

    @inline(__always)
    static func step(_ nodes: UnsafePointer<Node>, _ index: Int32, _ x: UnsafePointer<Float>) -> Int32 {
        let node = nodes[Int(index)]
        return x[Int(node.feature)] <= node.threshold ? node.left : node.right
    }
}
