import Foundation
import IsolationForest
import Testing

/// Corrupt and hostile model files are rejected with an error saying what and where; never a crash or a hang.
@Suite("Hostile model files")
struct HostileModelTests {
    /// A valid model of 3 small trees over 2 features, as a mutable document.
    static func document() throws -> [String: JSONValue] {
        let model = try AnomalyModel.train(
            data: TestData.gaussian(rows: 16, columns: 2, seed: 2), featureNames: ["a", "b"],
            configuration: .init(treeCount: 3, maxSamples: .count(8), seed: 1), date: "2025-01-01T00:00:00Z")
        return model.document.objectValue!
    }

    /// Loads a document, expecting rejection; returns the error.
    static func rejection(_ members: [String: JSONValue], limits: ModelLimits = ModelLimits()) -> ModelFileError? {
        rejection(bytes: JSONValue.object(members).canonicalBytes(), limits: limits)
    }

    static func rejection(bytes: [UInt8], limits: ModelLimits = ModelLimits()) -> ModelFileError? {
        do {
            _ = try AnomalyModel(jsonBytes: bytes, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    /// Sets `trees[tree][key][index]`.
    static func setting(_ members: [String: JSONValue], tree: Int, _ key: String, _ index: Int, to value: JSONValue) -> [String: JSONValue] {
        var members = members
        var trees = members["trees"]!.arrayValue!
        var tree0 = trees[tree].objectValue!
        var array = tree0[key]!.arrayValue!
        array[index] = value
        tree0[key] = .array(array)
        trees[tree] = .object(tree0)
        members["trees"] = .array(trees)
        return members
    }

    static func firstInternal(_ members: [String: JSONValue], tree: Int = 0) -> Int {
        members["trees"]!.arrayValue![tree]["feature"]!.arrayValue!.firstIndex { $0 != -1 }!
    }

    static func nodeCount(_ members: [String: JSONValue], tree: Int = 0) -> Int {
        members["trees"]!.arrayValue![tree]["feature"]!.arrayValue!.count
    }

    @Test("a child index out of range")
    func outOfRange() throws {
        let doc = try Self.document()
        let count = Self.nodeCount(doc)
        let error = Self.rejection(Self.setting(doc, tree: 0, "left", 0, to: 900))
        #expect(error?.code == .invalidStructure)
        #expect(error?.description == "trees[0].left[0]: index 900 out of range 0..<\(count)")
        #expect(Self.rejection(Self.setting(doc, tree: 0, "right", 0, to: -5))?.location == "trees[0].right[0]")
    }

    @Test("a cycle, a shared node, an orphan")
    func notATree() throws {
        let doc = try Self.document()
        let node = Self.firstInternal(doc, tree: 1)
        let cycle = Self.rejection(Self.setting(doc, tree: 1, "left", node, to: .number(Double(node))))
        #expect(cycle?.code == .invalidStructure)
        #expect(cycle?.location == "trees[1].left[\(node)]")
        let tree = doc["trees"]!.arrayValue![1]
        let left = tree["left"]!.arrayValue![node]
        let shared = Self.rejection(Self.setting(doc, tree: 1, "right", node, to: left))
        #expect(shared?.code == .invalidStructure)
        #expect(shared?.message.contains("already has parent") == true || shared?.message.contains("sum") == true)
        // A leaf that claims children.
        let count = Self.nodeCount(doc, tree: 2)
        let leaf = doc["trees"]!.arrayValue![2]["feature"]!.arrayValue!.lastIndex { $0 == -1 }!
        #expect(Self.rejection(Self.setting(doc, tree: 2, "left", leaf, to: .number(Double(count - 1))))?.code == .invalidStructure)
    }

    @Test("non-finite and non-numeric thresholds")
    func badNumbers() throws {
        let doc = try Self.document()
        let node = Self.firstInternal(doc)
        let text = String(decoding: JSONValue.object(Self.setting(doc, tree: 0, "threshold", node, to: 12345.678)).canonicalBytes(), as: UTF8.self)
        // NaN is what Python's json.dumps writes for float("nan"); it is not JSON.
        let nan = Self.rejection(bytes: Array(text.replacingOccurrences(of: "12345.678", with: "NaN").utf8))
        #expect(nan?.code == .syntax)
        let infinite = Self.rejection(bytes: Array(text.replacingOccurrences(of: "12345.678", with: "1e999").utf8))
        #expect(infinite?.code == .syntax)
        #expect(infinite?.message.contains("finite") == true)
        let string = Self.rejection(Self.setting(doc, tree: 0, "threshold", node, to: "0.5"))
        #expect(string?.description == "trees[0].threshold[\(node)]: expected a number, found a string")
        #expect(Self.rejection(Self.setting(doc, tree: 0, "nSamples", 0, to: 0))?.location == "trees[0].nSamples[0]")
        #expect(Self.rejection(Self.setting(doc, tree: 0, "left", node, to: 1.5))?.code == .invalidValue)
        #expect(Self.rejection(Self.setting(doc, tree: 0, "feature", node, to: 7))?.description.contains("feature 7 out of range 0..<2") == true)
    }

    @Test("a billion trees is refused from the count, before reading trees")
    func billionTrees() throws {
        var doc = try Self.document()
        doc["nEstimators"] = 1_000_000_000
        let error = Self.rejection(doc)
        #expect(error?.code == .limitExceeded)
        #expect(error?.location == "nEstimators")
        // More trees than claimed, or than the limit allows, are refused too.
        var trees = doc["trees"]!.arrayValue!
        trees.append(trees[0])
        doc["nEstimators"] = 3
        doc["trees"] = .array(trees)
        #expect(Self.rejection(doc)?.code == .invalidStructure)
        doc["nEstimators"] = 4
        #expect(Self.rejection(doc, limits: ModelLimits(maxTrees: 3))?.code == .limitExceeded)
        #expect(Self.rejection(doc, limits: ModelLimits(maxNodesPerTree: 3))?.code == .limitExceeded)
        #expect(Self.rejection(doc, limits: ModelLimits(maxTotalNodes: 10))?.code == .limitExceeded)
        #expect(Self.rejection(doc, limits: ModelLimits(maxDepth: 1))?.code == .limitExceeded)
        #expect(Self.rejection(bytes: JSONValue.object(doc).canonicalBytes(), limits: ModelLimits(maxFileBytes: 100))?.code == .limitExceeded)
        #expect(Self.rejection(bytes: JSONValue.object(doc).canonicalBytes(), limits: ModelLimits(maxJSONValues: 50))?.code == .limitExceeded)
        // Two bytes per value would otherwise become 24 bytes of memory each.
        let zeros = Array("[".utf8) + Array(repeating: Array("0,".utf8), count: 200_000).flatMap { $0 } + Array("0]".utf8)
        #expect(Self.rejection(bytes: zeros, limits: ModelLimits(maxJSONValues: 100_000))?.message.contains("more than 100000 JSON values") == true)
    }

    @Test("truncated, empty, binary and deeply nested input")
    func garbage() throws {
        let bytes = JSONValue.object(try Self.document()).canonicalBytes()
        for length in [0, 1, bytes.count / 3, bytes.count / 2, bytes.count - 1] {
            #expect(Self.rejection(bytes: Array(bytes[0..<length]))?.code == .syntax, "truncated at \(length)")
        }
        #expect(Self.rejection(bytes: [0xFF, 0xFE, 0x00, 0x7B])?.code == .syntax)
        #expect(Self.rejection(bytes: Array("\"\u{7B}".utf8) + [0xC3, 0x28, 0x22])?.code == .syntax)
        let deep = [UInt8](repeating: UInt8(ascii: "["), count: 100_000) + [UInt8](repeating: UInt8(ascii: "]"), count: 100_000)
        #expect(Self.rejection(bytes: deep)?.code == .limitExceeded)
        #expect(Self.rejection(bytes: Array("[1, 2] x".utf8))?.code == .syntax)
        #expect(Self.rejection(bytes: Array(#"{"a":1,"a":2}"#.utf8))?.message.contains("duplicate") == true)
        #expect(Self.rejection(bytes: Array("[]".utf8))?.code == .invalidValue)
        #expect(Self.rejection(bytes: Array(#"{"s": "\ud800"}"#.utf8))?.code == .syntax)
        #expect(Self.rejection(bytes: Array("[01]".utf8))?.code == .syntax)
    }

    @Test("wrong format, version, members and values")
    func schema() throws {
        var doc = try Self.document()
        doc["formatVersion"] = 2
        #expect(Self.rejection(doc)?.code == .unsupportedVersion)
        #expect(Self.rejection(doc)?.description == "formatVersion: version 2 is not supported (this library reads version 1)")
        doc = try Self.document()
        doc["format"] = "something-else"
        #expect(Self.rejection(doc)?.code == .unsupportedVersion)
        doc = try Self.document()
        doc.removeValue(forKey: "decision")
        #expect(Self.rejection(doc)?.description == "decision: required member is missing")
        doc = try Self.document()
        doc["tresholds"] = []
        #expect(Self.rejection(doc)?.location == "tresholds")
        doc = try Self.document()
        doc["featureNames"] = ["a", "a"]
        #expect(Self.rejection(doc)?.location == "featureNames[1]")
        doc = try Self.document()
        doc["featureNames"] = ["a"]
        #expect(Self.rejection(doc)?.code == .invalidStructure)
        doc = try Self.document()
        doc["decision"] = ["offset": -0.5, "threshold": 0.4, "method": "auto", "parameters": [:]]
        #expect(Self.rejection(doc)?.location == "decision.threshold")
        doc = try Self.document()
        doc["scaler"] = ["mean": [0, 0], "scale": [1, 0]]
        #expect(Self.rejection(doc)?.location == "scaler.scale[1]")
        doc = try Self.document()
        doc["maxSamples"] = 0
        #expect(Self.rejection(doc)?.location == "maxSamples")
        doc = try Self.document()
        var training = doc["training"]!.objectValue!
        training["seed"] = "42"
        doc["training"] = .object(training)
        #expect(Self.rejection(doc)?.location == "training.seed")
        doc = try Self.document()
        var tree = doc["trees"]!.arrayValue![0].objectValue!
        tree["left"] = .array(Array(tree["left"]!.arrayValue!.dropLast()))
        doc["trees"] = .array([.object(tree)] + doc["trees"]!.arrayValue!.dropFirst())
        #expect(Self.rejection(doc)?.description.hasPrefix("trees[0].left: has ") == true)
    }

    @Test("a tampered model is caught by its id")
    func tampered() throws {
        let doc = try Self.document()
        let node = Self.firstInternal(doc)
        let threshold = doc["trees"]!.arrayValue![0]["threshold"]!.arrayValue![node].doubleValue!
        let error = Self.rejection(Self.setting(doc, tree: 0, "threshold", node, to: .number(threshold + 0.001)))
        #expect(error?.code == .hashMismatch)
        #expect(error?.location == "id")
        var wrong = doc
        wrong["id"] = "sha256:0000"
        #expect(Self.rejection(wrong)?.location == "id")
    }

    @Test("an unreadable path is an io error")
    func missingFile() {
        #expect(throws: ModelFileError.self) { try AnomalyModel(contentsOfFile: "/nonexistent/model.json") }
    }
}
