import Foundation
import IsolationForest
import Testing

@Suite("Model file")
struct ModelFileTests {
    static func smallModel(standardize: Bool = true, seed: UInt64 = 3) throws -> AnomalyModel {
        try AnomalyModel.train(
            data: TestData.gaussian(rows: 200, columns: 3, seed: 1), featureNames: ["temperature", "vibration", "current"],
            configuration: .init(treeCount: 12, contamination: .fraction(0.05), seed: seed), standardize: standardize,
            featureSpec: ["sensors": ["temperature", "vibration", "current"], "derived": [], "window": 1],
            date: "2025-01-01T00:00:00Z")
    }

    @Test("write, read: same id, same content, same scores")
    func roundTrip() throws {
        let model = try Self.smallModel()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UInt64.random(in: 0...UInt64.max)).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.write(toFile: path)
        let loaded = try AnomalyModel(contentsOfFile: path)
        #expect(loaded.id == model.id)
        #expect(loaded.jsonBytes() == model.jsonBytes())
        #expect(loaded.featureNames == model.featureNames)
        #expect(loaded.featureSpec == model.featureSpec)
        #expect(loaded.scaler == model.scaler)
        #expect(loaded.decision == model.decision)
        #expect(loaded.training == model.training)
        #expect(loaded.forest.trees == model.forest.trees)
        for point in [[0.0, 0, 0], [3, -2, 1], [.nan, 1, 1]] {
            #expect(loaded.anomalyScore(point) == model.anomalyScore(point))
        }
        #expect(model.training.rows == 200)
        #expect(model.training.seed == 3)
        #expect(model.training.software == "edge-anomaly")
        #expect(model.decision.method == "contamination")
        #expect(model.decision.parameters == ["contamination": 0.05])
        #expect(model.training.dataHash == TestData.gaussian(rows: 200, columns: 3, seed: 1).contentHash())
    }

    @Test("the id is the SHA-256 of the canonical content, whatever the formatting")
    func contentHash() throws {
        let model = try Self.smallModel()
        #expect(model.id.hasPrefix("sha256:") && model.id.count == 71)
        #expect(try Self.smallModel().id == model.id, "stable across runs")
        #expect(try Self.smallModel(seed: 4).id != model.id)
        // The same document pretty-printed with other key order still has the same id.
        let object = try JSONSerialization.jsonObject(with: Data(model.jsonBytes()))
        let pretty = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted])
        #expect(try AnomalyModel(jsonBytes: Array(pretty)).id == model.id)
        // Without an id the loader computes it.
        var members = model.document.objectValue!
        members.removeValue(forKey: "id")
        #expect(try AnomalyModel(document: .object(members)).id == model.id)
        #expect(model.jsonBytes().last == 0x0A)
    }

    @Test("a new decision rule or feature spec gives a new id; the threshold is the negated offset")
    func decisions() throws {
        let model = try Self.smallModel()
        let calibrated = model.withDecision(.init(threshold: 0.62, method: "quantile", parameters: ["q": 0.999, "window": "7d"]))
        #expect(calibrated.id != model.id)
        #expect(calibrated.threshold == 0.62)
        #expect(calibrated.forest.offset == -0.62)
        #expect(calibrated.isAnomaly([0, 0, 0]) == (calibrated.anomalyScore([0, 0, 0]) > 0.62))
        let reloaded = try AnomalyModel(jsonBytes: calibrated.jsonBytes())
        #expect(reloaded.decision == calibrated.decision)
        #expect(model.withFeatureSpec(nil).featureSpec == nil)
        #expect(model.withFeatureSpec(nil).id != model.id)
    }

    @Test("large seeds travel as decimal strings")
    func largeSeed() throws {
        let model = try AnomalyModel.train(
            data: TestData.gaussian(rows: 20, columns: 1, seed: 1), featureNames: ["x"],
            configuration: .init(treeCount: 2, seed: UInt64.max), date: "2025-01-01T00:00:00Z")
        let text = String(decoding: model.jsonBytes(), as: UTF8.self)
        #expect(text.contains("\"seed\":\"18446744073709551615\""))
        #expect(try AnomalyModel(jsonBytes: model.jsonBytes()).training.seed == UInt64.max)
    }

    @Test("a model without scaler or feature spec round-trips too")
    func minimal() throws {
        let forest = try IsolationForest(trees: [TestData.twoLeafTree()], featureCount: 1, maxSamples: 10, offset: -0.5)
        let model = try AnomalyModel(featureNames: ["x"], forest: forest)
        let loaded = try AnomalyModel(jsonBytes: model.jsonBytes())
        #expect(loaded.id == model.id)
        #expect(loaded.scaler == nil && loaded.featureSpec == nil)
        #expect(loaded.decision == .auto)
    }

    @Test("the Codable bridge turns featureSpec into the caller's own type")
    func featureSpecCodable() throws {
        struct FeatureSpec: Codable, Equatable {
            let sensors: [String]
            let derived: [String]
            let window: Int
        }
        let spec = try #require(try Self.smallModel().featureSpec)
        let decoded = try JSONDecoder().decode(FeatureSpec.self, from: JSONEncoder().encode(spec))
        #expect(decoded == FeatureSpec(sensors: ["temperature", "vibration", "current"], derived: [], window: 1))
    }
}

@Suite("Canonical JSON and SHA-256")
struct CanonicalJSONTests {
    @Test("numbers print as ECMAScript does (RFC 8785)")
    func numbers() throws {
        let cases: [(Double, String)] = [
            (1, "1"), (0.5, "0.5"), (-0.0, "0"), (1e-7, "1e-7"), (1e-6, "0.000001"), (1e21, "1e+21"), (1e20, "100000000000000000000"),
            (1.2345678901234568e20, "123456789012345680000"), (-2.5e-10, "-2.5e-10"), (.leastNonzeroMagnitude, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"), (0.1, "0.1"), (9007199254740994, "9007199254740994"), (1.5e300, "1.5e+300"),
            (-0.9413280403618927, "-0.9413280403618927"), (123.456, "123.456"), (1e16, "10000000000000000"),
        ]
        for (value, text) in cases {
            #expect(String(decoding: JSONValue.number(value).canonicalBytes(), as: UTF8.self) == text, "\(value)")
        }
    }

    @Test("keys sorted, strings minimally escaped, and parsing then printing is stable")
    func structure() throws {
        let value: JSONValue = ["b": [1, "x\"\n\u{01}é"], "a": nil, "A": true]
        let text = String(decoding: value.canonicalBytes(), as: UTF8.self)
        #expect(text == #"{"A":true,"a":null,"b":[1,"x\"\n\u0001é"]}"#)
        #expect(try JSONValue(parsing: Array(text.utf8)) == value)
        #expect(try JSONValue(parsing: Array(#" { "k" : "\ud83d\ude00" } "#.utf8)) == ["k": "😀"])
    }

    @Test("SHA-256 test vectors")
    func sha256() {
        #expect(SHA256.hexDigest(of: Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hexDigest(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hexDigest(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hexDigest(of: [UInt8](repeating: 0x61, count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        var split = SHA256()
        split.update(Array("abcdbcdecdefdefgefghfghighijhijk".utf8))
        split.update(Array("ijkljklmklmnlmnomnopnopq".utf8))
        #expect(SHA256.hex(split.finalize()) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("the training data hash is numpy's: sha256 of little-endian float64 rows")
    func dataHash() {
        // python3 -c "import hashlib,numpy as np;print(hashlib.sha256(np.array([[1.0,2.5],[-3.0,0.1]],dtype='<f8').tobytes()).hexdigest())"
        #expect(FeatureMatrix(rows: [[1.0, 2.5], [-3.0, 0.1]]).contentHash() == "sha256:14df3e5b566ceabbe35127131dc538775fa42dd0828c8bbe2a338268f6dc496a")
    }
}

@Suite("Documentation example")
struct DocumentationExampleTests {
    @Test("the example in docs/model-format.md loads with the id it shows")
    func example() throws {
        let model = try AnomalyModel(contentsOfFile: Fixtures.path("doc_example.model.json"))
        #expect(model.id == "sha256:c5aa18cc3236da98a17ecf219a0b647429740f05d16f7aa187cf4e3ed2dfc5e0")
        #expect(model.featureNames == ["temperature", "vibration"])
        // vibration 0.031 standardises to 0 <= 0.7: left, a leaf with one sample at depth 1.
        let expected = exp2(-1 / averagePathLength(4))
        #expect(abs(model.anomalyScore([70.1, 0.031]) - expected) <= 1e-15)
    }
}
