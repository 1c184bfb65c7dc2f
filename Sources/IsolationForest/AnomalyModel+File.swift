extension AnomalyModel {
    /// Loads and validates a model file.
    ///
    /// - Parameters:
    ///   - path: the file to read.
    ///   - limits: bounds on size and shape; the file is refused before reading past `maxFileBytes`.
    /// - Throws: ``ModelFileError`` naming what is wrong and where.
    public init(contentsOfFile path: String, limits: ModelLimits = ModelLimits()) throws(ModelFileError) {
        let bytes = try Platform.readFile(path: path, limit: limits.maxFileBytes)
        try self.init(jsonBytes: bytes, limits: limits)
    }

    /// Parses and validates a model document (UTF-8 JSON).
    ///
    /// Everything is checked before the model is built: format and version, member types, finite
    /// numbers, tree structure (indices in range, children after parents, one parent per node,
    /// consistent sample counts), feature indices, limits, and the `id` against the content hash.
    /// Tree counts are compared with the limits before any tree is read, so a file claiming a
    /// billion trees is rejected at once.
    /// - Throws: ``ModelFileError`` naming what is wrong and where.
    public init(jsonBytes bytes: some Collection<UInt8>, limits: ModelLimits = ModelLimits()) throws(ModelFileError) {
        guard bytes.count <= limits.maxFileBytes else {
            throw ModelFileError(.limitExceeded, at: "", "\(bytes.count) bytes exceed the limit of \(limits.maxFileBytes)")
        }
        let document = try JSONValue(parsing: bytes, maxDepth: limits.maxJSONNesting, maxValues: limits.maxJSONValues)
        try self.init(document: document, limits: limits)
    }

    /// Validates a parsed model document. See ``init(jsonBytes:limits:)``.
    public init(document: JSONValue, limits: ModelLimits = ModelLimits()) throws(ModelFileError) {
        let root = try Field.object(document, at: "")
        try Field.rejectUnknown(
            root,
            allowed: ["format", "formatVersion", "id", "featureNames", "featureSpec", "scaler", "maxSamples", "nEstimators", "trees", "decision", "training"],
            at: "")
        let format = try Field.string(Field.required(root, "format", at: ""), at: "format")
        guard format == Self.format else {
            throw ModelFileError(.unsupportedVersion, at: "format", "\"\(format)\" is not \"\(Self.format)\"")
        }
        let version = try Field.integer(Field.required(root, "formatVersion", at: ""), at: "formatVersion")
        guard version == Self.formatVersion else {
            throw ModelFileError(.unsupportedVersion, at: "formatVersion", "version \(version) is not supported (this library reads version \(Self.formatVersion))")
        }
        let recordedID = try root["id"].map { value throws(ModelFileError) in try Field.string(value, at: "id") }
        if let recordedID, !Self.isSHA256Reference(recordedID) {
            throw ModelFileError(.invalidValue, at: "id", "expected \"sha256:\" and 64 lowercase hex digits")
        }

        let names = try Field.array(Field.required(root, "featureNames", at: ""), at: "featureNames")
        guard names.count <= limits.maxFeatures else {
            throw ModelFileError(.limitExceeded, at: "featureNames", "\(names.count) features exceed the limit of \(limits.maxFeatures)")
        }
        var featureNames: [String] = []
        for (index, name) in names.enumerated() { featureNames.append(try Field.string(name, at: "featureNames[\(index)]")) }
        guard !featureNames.isEmpty else { throw ModelFileError(.invalidValue, at: "featureNames", "a model needs at least one feature") }
        try Self.check(featureNames: featureNames, featureCount: featureNames.count)

        let featureSpec = root["featureSpec"]
        if let featureSpec, featureSpec.objectValue == nil {
            throw ModelFileError(.invalidValue, at: "featureSpec", "must be a JSON object when present")
        }
        let scaler = try root["scaler"].map { value throws(ModelFileError) in try Self.readScaler(value, featureCount: featureNames.count) }

        let maxSamples = try Field.integer(Field.required(root, "maxSamples", at: ""), at: "maxSamples")
        guard maxSamples >= 1 else { throw ModelFileError(.invalidValue, at: "maxSamples", "\(maxSamples) is not a positive count") }
        let claimedTrees = try Field.integer(Field.required(root, "nEstimators", at: ""), at: "nEstimators")
        guard claimedTrees >= 1 else { throw ModelFileError(.invalidValue, at: "nEstimators", "\(claimedTrees) is not a positive count") }
        guard claimedTrees <= limits.maxTrees else {
            throw ModelFileError(.limitExceeded, at: "nEstimators", "\(claimedTrees) trees exceed the limit of \(limits.maxTrees)")
        }
        let treeValues = try Field.array(Field.required(root, "trees", at: ""), at: "trees")
        guard treeValues.count == claimedTrees else {
            throw ModelFileError(.invalidStructure, at: "trees", "has \(treeValues.count) trees but nEstimators is \(claimedTrees)")
        }
        var trees: [IsolationTree] = []
        trees.reserveCapacity(treeValues.count)
        var totalNodes = 0
        for (index, value) in treeValues.enumerated() {
            let tree = try Self.readTree(value, at: "trees[\(index)]", featureCount: featureNames.count, limits: limits)
            totalNodes += tree.nodeCount
            guard totalNodes <= limits.maxTotalNodes else {
                throw ModelFileError(.limitExceeded, at: "trees[\(index)]", "more than \(limits.maxTotalNodes) nodes in the forest")
            }
            trees.append(tree)
        }

        let decision = try Self.readDecision(Field.required(root, "decision", at: ""))
        let training = try Self.readTraining(Field.required(root, "training", at: ""))
        let forest = try IsolationForest(trees: trees, featureCount: featureNames.count, maxSamples: maxSamples, offset: decision.offset)
        try self.init(featureNames: featureNames, featureSpec: featureSpec, scaler: scaler, forest: forest, decision: decision, training: training)

        // The id hashes the document as written. This library writes the same document back
        // (strict schema, canonical form), so the recomputed id must equal the recorded one.
        if let recordedID, recordedID != id {
            var content = root
            content.removeValue(forKey: "id")
            let fileHash = Self.contentID(of: .object(content))
            if fileHash == recordedID {
                throw ModelFileError(.invalidValue, at: "", "the document is not in normal form (it does not re-serialise to the content its id hashes)")
            }
            throw ModelFileError(.hashMismatch, at: "id", "\(recordedID) does not match the content hash \(fileHash)")
        }
    }

    /// The model file: canonical JSON (RFC 8785) of ``document``, UTF-8, with a final newline.
    public func jsonBytes() -> [UInt8] {
        var bytes = document.canonicalBytes()
        bytes.append(0x0A)
        return bytes
    }

    /// Writes the model file atomically (through a temporary file and a rename).
    public func write(toFile path: String) throws(ModelFileError) {
        try Platform.writeFileAtomically(path: path, bytes: jsonBytes())
    }

    /// The model as a JSON document, `id` included.
    public var document: JSONValue {
        var members = Self.document(
            featureNames: featureNames, featureSpec: featureSpec, scaler: scaler, forest: forest, decision: decision, training: training
        ).objectValue!
        members["id"] = .string(id)
        return .object(members)
    }

    // MARK: Writing

    static func contentID(of documentWithoutID: JSONValue) -> String {
        "sha256:" + SHA256.hexDigest(of: documentWithoutID.canonicalBytes())
    }

    static func document(
        featureNames: [String], featureSpec: JSONValue?, scaler: StandardScaler?, forest: IsolationForest, decision: Decision,
        training: TrainingMetadata
    ) -> JSONValue {
        var members: [String: JSONValue] = [
            "format": .string(format),
            "formatVersion": .number(Double(formatVersion)),
            "featureNames": .array(featureNames.map { .string($0) }),
            "maxSamples": .number(Double(forest.maxSamples)),
            "nEstimators": .number(Double(forest.treeCount)),
            "trees": .array(forest.trees.map(treeDocument)),
            "decision": [
                "offset": .number(decision.offset), "threshold": .number(decision.threshold),
                "method": .string(decision.method), "parameters": decision.parameters,
            ],
            "training": trainingDocument(training),
        ]
        if let featureSpec { members["featureSpec"] = featureSpec }
        if let scaler {
            members["scaler"] = ["mean": .array(scaler.mean.map { .number($0) }), "scale": .array(scaler.scale.map { .number($0) })]
        }
        return .object(members)
    }

    private static func treeDocument(_ tree: IsolationTree) -> JSONValue {
        func numbers(_ values: [Int]) -> JSONValue { .array(values.map { .number(Double($0)) }) }
        return [
            "feature": numbers(tree.feature), "threshold": .array(tree.threshold.map { .number($0) }),
            "left": numbers(tree.left), "right": numbers(tree.right), "nSamples": numbers(tree.nSamples),
        ]
    }

    private static func trainingDocument(_ training: TrainingMetadata) -> JSONValue {
        var members: [String: JSONValue] = ["parameters": training.parameters]
        if let rows = training.rows { members["rows"] = .number(Double(rows)) }
        if let seed = training.seed {
            // Seeds above 2^53 do not survive a JSON number in most readers: they go as decimal strings.
            members["seed"] = seed <= Field.maxSafeInteger ? .number(Double(seed)) : .string(String(seed))
        }
        if let date = training.date { members["date"] = .string(date) }
        if let dataHash = training.dataHash { members["dataHash"] = .string(dataHash) }
        if let software = training.software { members["software"] = .string(software) }
        return .object(members)
    }

    // MARK: Reading

    private static func readScaler(_ value: JSONValue, featureCount: Int) throws(ModelFileError) -> StandardScaler {
        let members = try Field.object(value, at: "scaler")
        try Field.rejectUnknown(members, allowed: ["mean", "scale"], at: "scaler")
        let mean = try Field.doubles(Field.required(members, "mean", at: "scaler"), at: "scaler.mean", count: featureCount)
        let scale = try Field.doubles(Field.required(members, "scale", at: "scaler"), at: "scaler.scale", count: featureCount)
        for (index, value) in scale.enumerated() where !(value > 0) {
            throw ModelFileError(.invalidValue, at: "scaler.scale[\(index)]", "\(value) is not a positive scale")
        }
        return StandardScaler(mean: mean, scale: scale)
    }

    private static func readTree(_ value: JSONValue, at location: String, featureCount: Int, limits: ModelLimits) throws(ModelFileError)
        -> IsolationTree
    {
        let members = try Field.object(value, at: location)
        try Field.rejectUnknown(members, allowed: ["feature", "threshold", "left", "right", "nSamples"], at: location)
        // Check the length before converting anything, so an oversized tree costs nothing more.
        let featureArray = try Field.array(Field.required(members, "feature", at: location), at: "\(location).feature")
        guard featureArray.count <= limits.maxNodesPerTree else {
            throw ModelFileError(.limitExceeded, at: "\(location).feature", "\(featureArray.count) nodes exceed the limit of \(limits.maxNodesPerTree) per tree")
        }
        let count = featureArray.count
        let feature = try Field.integers(.array(featureArray), at: "\(location).feature", count: count)
        let threshold = try Field.doubles(Field.required(members, "threshold", at: location), at: "\(location).threshold", count: count)
        let left = try Field.integers(Field.required(members, "left", at: location), at: "\(location).left", count: count)
        let right = try Field.integers(Field.required(members, "right", at: location), at: "\(location).right", count: count)
        let nSamples = try Field.integers(Field.required(members, "nSamples", at: location), at: "\(location).nSamples", count: count)
        return try IsolationTree(
            feature: feature, threshold: threshold, left: left, right: right, nSamples: nSamples, featureCount: featureCount,
            location: location, limits: limits)
    }

    private static func readDecision(_ value: JSONValue) throws(ModelFileError) -> Decision {
        let members = try Field.object(value, at: "decision")
        try Field.rejectUnknown(members, allowed: ["offset", "threshold", "method", "parameters"], at: "decision")
        let offset = try Field.double(Field.required(members, "offset", at: "decision"), at: "decision.offset")
        let threshold = try Field.double(Field.required(members, "threshold", at: "decision"), at: "decision.threshold")
        guard threshold == -offset else {
            throw ModelFileError(.invalidValue, at: "decision.threshold", "\(threshold) must be the negated offset \(-offset)")
        }
        let method = try Field.string(Field.required(members, "method", at: "decision"), at: "decision.method")
        guard !method.isEmpty else { throw ModelFileError(.invalidValue, at: "decision.method", "empty method name") }
        let parameters = try Field.required(members, "parameters", at: "decision")
        _ = try Field.object(parameters, at: "decision.parameters")
        return Decision(offset: offset, method: method, parameters: parameters)
    }

    private static func readTraining(_ value: JSONValue) throws(ModelFileError) -> TrainingMetadata {
        let members = try Field.object(value, at: "training")
        try Field.rejectUnknown(members, allowed: ["rows", "seed", "date", "dataHash", "software", "parameters"], at: "training")
        var training = TrainingMetadata()
        training.rows = try members["rows"].map { value throws(ModelFileError) in try Field.integer(value, at: "training.rows") }
        if let seed = members["seed"] {
            training.seed = try Field.seed(seed, at: "training.seed")
        }
        training.date = try members["date"].map { value throws(ModelFileError) in try Field.string(value, at: "training.date") }
        training.dataHash = try members["dataHash"].map { value throws(ModelFileError) in try Field.string(value, at: "training.dataHash") }
        training.software = try members["software"].map { value throws(ModelFileError) in try Field.string(value, at: "training.software") }
        let parameters = try Field.required(members, "parameters", at: "training")
        _ = try Field.object(parameters, at: "training.parameters")
        training.parameters = parameters
        try check(training: training)
        return training
    }
}
