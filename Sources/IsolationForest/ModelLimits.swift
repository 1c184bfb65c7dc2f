/// Upper bounds applied when loading a model, so that a corrupt or hostile file is rejected
/// quickly instead of exhausting memory or time. The defaults are far above any model this
/// project trains (100 trees of at most 511 nodes: about 250,000 JSON values, a few megabytes)
/// and keep the memory a hostile file can make the loader use to about 100 MB. Each limit
/// applies on its own: a forest of 10,000 full trees of 256 samples needs `maxJSONValues` and
/// `maxFileBytes` raised too.
public struct ModelLimits: Sendable, Equatable {
    /// Largest file read, in bytes; checked while reading, before parsing.
    public var maxFileBytes: Int
    /// Most trees in a forest; a claimed `nEstimators` above it is rejected before the trees are read.
    public var maxTrees: Int
    /// Most nodes in one tree.
    public var maxNodesPerTree: Int
    /// Most nodes in the whole forest.
    public var maxTotalNodes: Int
    /// Deepest tree accepted (scikit-learn's forests are at most `ceil(log2(max_samples))` deep).
    public var maxDepth: Int
    /// Most features.
    public var maxFeatures: Int
    /// Deepest JSON nesting.
    public var maxJSONNesting: Int
    /// Most JSON values (numbers, strings, arrays… each counts one) in the file.
    public var maxJSONValues: Int

    /// Creates limits; every parameter has a generous default.
    public init(
        maxFileBytes: Int = 64 << 20, maxTrees: Int = 10_000, maxNodesPerTree: Int = 1 << 20,
        maxTotalNodes: Int = 1 << 25, maxDepth: Int = 128, maxFeatures: Int = 1 << 16, maxJSONNesting: Int = 64,
        maxJSONValues: Int = 1 << 22
    ) {
        self.maxFileBytes = maxFileBytes
        self.maxTrees = maxTrees
        self.maxNodesPerTree = maxNodesPerTree
        self.maxTotalNodes = maxTotalNodes
        self.maxDepth = maxDepth
        self.maxFeatures = maxFeatures
        self.maxJSONNesting = maxJSONNesting
        self.maxJSONValues = maxJSONValues
    }
}
