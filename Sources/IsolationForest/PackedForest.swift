/// The scoring layout: every tree's nodes in one array of 16-byte nodes, so a traversal touches
/// one cache line per level and a 100-tree forest fits in L2.
///
/// Three choices keep the inner loop short and branch-free:
/// - A step loads the left or the right child at an offset computed from the comparison, with
///   no branch to mispredict (LLVM turns a plain select here into a branch). Trees are stored
///   in pre-order, so the left child is the next node, near in memory.
/// - A leaf has a `NaN` threshold (every comparison is false) and is its own child, so a
///   point that reached it stays there. All points of a tree can then take exactly `maxDepth`
///   steps, and eight traversals (eight trees for one point, or eight points through one tree)
///   run interleaved, hiding the latency of each dependent load.
/// - Inputs are stored eight lanes wide (`x[feature * 8 + lane]`) and nodes hold `feature * 8`,
///   so every lane addresses its input from one base register with a constant offset. A tile has
///   one padding feature after the real ones, which leaves point at: a leaf's steps then credit
///   attribution to a discarded slot instead of a real feature.
///
/// The float64 threshold `t` of scikit-learn becomes the largest `Float` not above it, `t32`.
/// For any float32 input `x`, `Double(x) <= t` if and only if `x <= t32`, so comparing in
/// float32 is exactly scikit-learn's decision (it casts inputs to float32 and compares with the
/// float64 threshold).
struct PackedForest: Sendable {
    /// A node. Links are byte offsets into the node array and the feature is a byte offset into
    /// an input tile, so a step needs no index arithmetic (unsigned 32-bit loads zero-extend for free).
    struct Node: Sendable {
        /// Split value (`NaN` at leaves).
        var threshold: Float
        /// `feature * 8 * 4`: the byte offset of the feature in an eight-lane input tile (the
        /// padding feature at leaves).
        var slot: UInt32
        /// Byte offset of the left child: the next node (the node itself at leaves).
        var left: UInt32
        /// Byte offset of the right child (the node itself at leaves). Must follow `left`:
        /// a step loads `left` or `right` at an offset chosen by the comparison.
        var right: UInt32

        var feature: Int { Int(slot) >> 5 }
        var leftIndex: Int { Int(left) >> 4 }
        var rightIndex: Int { Int(right) >> 4 }
    }

    static func offset(ofNode index: Int) -> UInt32 { UInt32(index * MemoryLayout<Node>.stride) }

    /// Lanes of the interleaved kernels, and the width of an input tile.
    static let lanes = 8

    /// All nodes of all trees, each tree in pre-order; children are global indices.
    let nodes: [Node]
    /// Per node: for a leaf, its depth plus `c(nSamples)`, the path length a point ending there gets.
    let pathLength: [Double]
    /// Per node: training samples that reached it, for splitting the weight of a missing value.
    let samples: [Double]
    /// Per node: how much the step into this node shortened the expected path,
    /// `c(n_parent) - 1 - c(n_node)` (0 for a root); used for attribution.
    let gain: [Double]
    /// Per tree: byte offset of its root, and its depth.
    let roots: [UInt32]
    let depths: [Int32]
    /// Per group of eight consecutive trees: the deepest of them.
    let groupDepths: [Int32]

    /// Features of a point, plus one padding feature in tiles.
    let featureCount: Int
    /// Floats in an eight-lane input tile, padding included.
    var tileSize: Int { (featureCount + 1) * Self.lanes }

    init(trees: [IsolationTree], featureCount: Int) {
        self.featureCount = featureCount
        let paddingSlot = UInt32(featureCount * Self.lanes * 4)
        let total = trees.reduce(0) { $0 + $1.nodeCount }
        var nodes: [Node] = []
        nodes.reserveCapacity(total)
        var pathLength = [Double](repeating: 0, count: total)
        var samples = [Double](repeating: 0, count: total)
        var gain = [Double](repeating: 0, count: total)
        // Kernels turn a byte offset into a node index with `>> 4`.
        precondition(MemoryLayout<Node>.stride == 16, "nodes must be 16 bytes")
        precondition(total * MemoryLayout<Node>.stride <= Int(UInt32.max), "forest too large for 32-bit node offsets")
        var roots: [UInt32] = []
        var depths: [Int32] = []
        for tree in trees {
            let base = nodes.count
            roots.append(Self.offset(ofNode: base))
            depths.append(Int32(tree.maxDepth))
            // Pre-order renumbering: pop a node, give it the next index, push right then left so
            // the left subtree follows immediately. The right child's index is patched when it is placed.
            var pending: [(node: Int, parent: Int, parentNode: Int)] = [(0, -1, -1)]
            while let (node, parent, parentNode) = pending.popLast() {
                let global = nodes.count
                if parent >= 0 && tree.right[parentNode] == node {
                    nodes[parent].right = Self.offset(ofNode: global)
                }
                let average = averagePathLength(tree.nSamples[node])
                samples[global] = Double(tree.nSamples[node])
                if parent >= 0 {
                    gain[global] = averagePathLength(tree.nSamples[parentNode]) - 1 - average
                }
                if tree.feature[node] < 0 {
                    nodes.append(Node(threshold: .nan, slot: paddingSlot, left: Self.offset(ofNode: global), right: Self.offset(ofNode: global)))
                    // scikit-learn: depths[leaf] + c(n) - 1 with the root at depth 1, same operations.
                    pathLength[global] = Double(tree.depth[node] + 1) + average - 1.0
                } else {
                    nodes.append(
                        Node(threshold: Self.floatBoundary(tree.threshold[node]), slot: UInt32(tree.feature[node] * Self.lanes * 4),
                             left: Self.offset(ofNode: global + 1), right: 0))
                    pending.append((tree.right[node], global, node))
                    pending.append((tree.left[node], global, node))
                }
            }
        }
        var groupDepths: [Int32] = []
        var start = 0
        while start < depths.count {
            groupDepths.append(depths[start..<min(start + Self.lanes, depths.count)].max()!)
            start += Self.lanes
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

    /// Sum over trees of the path length of one point, given as an eight-lane tile holding the
    /// point in every lane (`x[feature * 8 + lane]`, no NaN, padding initialised).
    func pathLengthSum(tile x: UnsafePointer<Float>) -> Double {
        nodes.withUnsafeBufferPointer { nodeBuffer in
            pathLength.withUnsafeBufferPointer { lengthBuffer in
                roots.withUnsafeBufferPointer { rootBuffer in
                    let nodes = UnsafeRawPointer(nodeBuffer.baseAddress!)
                    let lengths = lengthBuffer.baseAddress!
                    let roots = rootBuffer.baseAddress!
                    let treeCount = rootBuffer.count
                    var total = 0.0
                    var tree = 0
                    // Eight trees in flight hide the load latency of each level.
                    while tree + 8 <= treeCount {
                        var n0 = roots[tree], n1 = roots[tree + 1], n2 = roots[tree + 2], n3 = roots[tree + 3]
                        var n4 = roots[tree + 4], n5 = roots[tree + 5], n6 = roots[tree + 6], n7 = roots[tree + 7]
                        for _ in 0..<groupDepths[tree >> 3] {
                            n0 = Self.step(nodes, n0, x)
                            n1 = Self.step(nodes, n1, x + 1)
                            n2 = Self.step(nodes, n2, x + 2)
                            n3 = Self.step(nodes, n3, x + 3)
                            n4 = Self.step(nodes, n4, x + 4)
                            n5 = Self.step(nodes, n5, x + 5)
                            n6 = Self.step(nodes, n6, x + 6)
                            n7 = Self.step(nodes, n7, x + 7)
                        }
                        total += ((lengths[Int(n0 >> 4)] + lengths[Int(n1 >> 4)]) + (lengths[Int(n2 >> 4)] + lengths[Int(n3 >> 4)]))
                            + ((lengths[Int(n4 >> 4)] + lengths[Int(n5 >> 4)]) + (lengths[Int(n6 >> 4)] + lengths[Int(n7 >> 4)]))
                        tree += 8
                    }
                    while tree < treeCount {
                        var n = roots[tree]
                        for _ in 0..<depths[tree] { n = Self.step(nodes, n, x) }
                        total += lengths[Int(n >> 4)]
                        tree += 1
                    }
                    return total
                }
            }
        }
    }

    /// Sums over trees of the path lengths of `tiles * 8` points, stored as consecutive
    /// eight-lane tiles of ``tileSize`` floats (no NaN, padding initialised). Each tree is walked by all the
    /// points before the next tree, so its nodes stay in L1, eight interleaved traversals at a time.
    func pathLengthSums(tiles x: UnsafePointer<Float>, tiles: Int, into sums: UnsafeMutablePointer<Double>) {
        nodes.withUnsafeBufferPointer { nodeBuffer in
            pathLength.withUnsafeBufferPointer { lengthBuffer in
                let nodes = UnsafeRawPointer(nodeBuffer.baseAddress!)
                let lengths = lengthBuffer.baseAddress!
                sums.initialize(repeating: 0, count: tiles * Self.lanes)
                for tree in 0..<roots.count {
                    let root = roots[tree]
                    let depth = depths[tree]
                    for tile in 0..<tiles {
                        let t = x + tile * tileSize
                        var n0 = root, n1 = root, n2 = root, n3 = root, n4 = root, n5 = root, n6 = root, n7 = root
                        for _ in 0..<depth {
                            n0 = Self.step(nodes, n0, t)
                            n1 = Self.step(nodes, n1, t + 1)
                            n2 = Self.step(nodes, n2, t + 2)
                            n3 = Self.step(nodes, n3, t + 3)
                            n4 = Self.step(nodes, n4, t + 4)
                            n5 = Self.step(nodes, n5, t + 5)
                            n6 = Self.step(nodes, n6, t + 6)
                            n7 = Self.step(nodes, n7, t + 7)
                        }
                        // Tree by tree, in order: the same summation order as scikit-learn.
                        let s = sums + tile * Self.lanes
                        s[0] += lengths[Int(n0 >> 4)]
                        s[1] += lengths[Int(n1 >> 4)]
                        s[2] += lengths[Int(n2 >> 4)]
                        s[3] += lengths[Int(n3 >> 4)]
                        s[4] += lengths[Int(n4 >> 4)]
                        s[5] += lengths[Int(n5 >> 4)]
                        s[6] += lengths[Int(n6 >> 4)]
                        s[7] += lengths[Int(n7 >> 4)]
                    }
                }
            }
        }
    }

    /// One level down: `lane` points at this traversal's lane in the input tile.
    /// ``pathLengthSum(tile:)`` that also credits each step's gain to the feature of the split
    /// taken (see ``Attribution``): net gains in `net` and positive parts in `positive`, each
    /// ``tileSize`` doubles laid out like the tile (`[feature * 8 + lane]`), so the eight
    /// traversals never update the same accumulator and do not wait on each other. The padding
    /// feature collects the steps of points already at a leaf and is meaningless. Both are zeroed first.
    func pathLengthSum(
        tile x: UnsafePointer<Float>, attributingTo net: UnsafeMutablePointer<Double>, positive: UnsafeMutablePointer<Double>
    ) -> Double {
        nodes.withUnsafeBufferPointer { nodeBuffer in
            pathLength.withUnsafeBufferPointer { lengthBuffer in
                gain.withUnsafeBufferPointer { gainBuffer in
                    let nodes = UnsafeRawPointer(nodeBuffer.baseAddress!)
                    let lengths = lengthBuffer.baseAddress!
                    let gains = gainBuffer.baseAddress!
                    net.initialize(repeating: 0, count: tileSize)
                    positive.initialize(repeating: 0, count: tileSize)
                    var total = 0.0
                    var tree = 0
                    @inline(__always) func credit(_ parent: UInt32, _ child: UInt32, lane: Int) {
                        // slot is feature * 32 bytes; feature * 8 + lane indexes the accumulators.
                        let index = Int(nodes.load(fromByteOffset: Int(parent) + 4, as: UInt32.self) >> 2) + lane
                        let gain = gains[Int(child >> 4)]
                        net[index] += gain
                        positive[index] += max(0, gain)
                    }
                    while tree + 8 <= roots.count {
                        var n0 = roots[tree], n1 = roots[tree + 1], n2 = roots[tree + 2], n3 = roots[tree + 3]
                        var n4 = roots[tree + 4], n5 = roots[tree + 5], n6 = roots[tree + 6], n7 = roots[tree + 7]
                        for _ in 0..<groupDepths[tree >> 3] {
                            let p0 = n0, p1 = n1, p2 = n2, p3 = n3, p4 = n4, p5 = n5, p6 = n6, p7 = n7
                            n0 = Self.step(nodes, p0, x)
                            n1 = Self.step(nodes, p1, x + 1)
                            n2 = Self.step(nodes, p2, x + 2)
                            n3 = Self.step(nodes, p3, x + 3)
                            n4 = Self.step(nodes, p4, x + 4)
                            n5 = Self.step(nodes, p5, x + 5)
                            n6 = Self.step(nodes, p6, x + 6)
                            n7 = Self.step(nodes, p7, x + 7)
                            credit(p0, n0, lane: 0)
                            credit(p1, n1, lane: 1)
                            credit(p2, n2, lane: 2)
                            credit(p3, n3, lane: 3)
                            credit(p4, n4, lane: 4)
                            credit(p5, n5, lane: 5)
                            credit(p6, n6, lane: 6)
                            credit(p7, n7, lane: 7)
                        }
                        total += ((lengths[Int(n0 >> 4)] + lengths[Int(n1 >> 4)]) + (lengths[Int(n2 >> 4)] + lengths[Int(n3 >> 4)]))
                            + ((lengths[Int(n4 >> 4)] + lengths[Int(n5 >> 4)]) + (lengths[Int(n6 >> 4)] + lengths[Int(n7 >> 4)]))
                        tree += 8
                    }
                    while tree < roots.count {
                        var n = roots[tree]
                        for _ in 0..<depths[tree] {
                            let parent = n
                            n = Self.step(nodes, parent, x)
                            credit(parent, n, lane: 0)
                        }
                        total += lengths[Int(n >> 4)]
                        tree += 1
                    }
                    return total
                }
            }
        }
    }

    /// One level down from the node at byte offset `offset`; `lane` is this traversal's lane in the input tile.
    @inline(__always)
    static func step(_ nodes: UnsafeRawPointer, _ offset: UInt32, _ lane: UnsafePointer<Float>) -> UInt32 {
        let node = nodes + Int(offset)
        let threshold = node.load(as: Float.self)
        let slot = node.load(fromByteOffset: 4, as: UInt32.self)
        let value = UnsafeRawPointer(lane).load(fromByteOffset: Int(slot), as: Float.self)
        // 8 is the offset of `left`, 12 of `right`: a select between constants compiles to setcc.
        return node.load(fromByteOffset: value <= threshold ? 8 : 12, as: UInt32.self)
    }
}
