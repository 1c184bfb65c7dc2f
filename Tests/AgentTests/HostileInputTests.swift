import Agent
import Detection
import Foundation
import IsolationForest
import Telemetry
import Testing

/// Named hostile inputs for the three loaders that take outside data: telemetry, configuration and
/// model files. Each must be refused (or accepted) with a clear reason, quickly, without crashing.
@Suite("Hostile input, by name", .timeLimit(.minutes(1)))
struct HostileInputTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let telemetryCases: [(name: String, payload: [UInt8], device: String?, expected: RejectReason?)] = [
        ("deeply nested JSON", Array(("{\"ts\":1,\"x\":" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + ",\"values\":{\"current\":1}}").utf8), "p", .tooDeep),
        ("a 10 MB payload", [UInt8](repeating: UInt8(ascii: " "), count: 10_000_000), "p", .oversized),
        ("a huge number", Array(#"{"ts":1,"values":{"current":1e400}}"#.utf8), "p", .nonFiniteValue),
        ("a tiny number (underflows to 0, accepted)", Array(#"{"ts":1,"values":{"current":1e-400}}"#.utf8), "p", nil),
        ("a number with 400 digits", Array(("{\"ts\":1,\"values\":{\"current\":" + String(repeating: "9", count: 400) + "}}").utf8), "p", .nonFiniteValue),
        ("invalid UTF-8 in the device", [UInt8](#"{"device":"p"#.utf8) + [0xC3, 0x28] + [UInt8](#"","ts":1,"values":{"current":1}}"#.utf8), nil, .invalidUTF8),
        ("duplicate keys", Array(#"{"ts":1,"ts":2,"values":{"current":1}}"#.utf8), "p", .duplicateKey),
        ("a device id with +", Array(#"{"device":"a+b","ts":1,"values":{"current":1}}"#.utf8), nil, .invalidDevice),
        ("a device id with #", Array(#"{"device":"a#","ts":1,"values":{"current":1}}"#.utf8), nil, .invalidDevice),
        ("a device id with /", Array(#"{"device":"a/b","ts":1,"values":{"current":1}}"#.utf8), nil, .invalidDevice),
        ("a device id ..", Array(#"{"device":"..","ts":1,"values":{"current":1}}"#.utf8), nil, .invalidDevice),
        ("a device id with a control character", Array(#"{"device":"a\u0007b","ts":1,"values":{"current":1}}"#.utf8), nil, .invalidDevice),
        ("a device id of 10,000 bytes", Array(("{\"device\":\"" + String(repeating: "d", count: 10_000) + "\",\"ts\":1,\"values\":{\"current\":1}}").utf8), nil, .invalidDevice),
        ("a payload device that contradicts the topic", Array(#"{"device":"other","ts":1,"values":{"current":1}}"#.utf8), "p", .deviceMismatch),
    ]

    @Test("Telemetry", arguments: 0..<telemetryCases.count)
    func telemetry(index: Int) throws {
        let testCase = Self.telemetryCases[index]
        let model = try ModelTrainer(sensors: ["current", "pressure"], forest: .init(treeCount: 10, seed: 1))
            .train(readings: ["t": (0..<100).map { [10 + Double($0 % 7), 5 + Double($0 % 3)] }])
        var detector = try Detector(model: model, configuration: DetectorConfiguration(maximumPayloadBytes: 65_536))
        let outcome = testCase.payload.withUnsafeBytes { detector.process(payload: $0, topicDevice: testCase.device) }
        if case .rejected(let rejection) = outcome.status {
            #expect(rejection.reason == testCase.expected, "\(testCase.name): \(rejection.detail)")
            #expect(!rejection.detail.isEmpty && rejection.detail.count < 600, "\(testCase.name): the reason is short and says what is wrong")
        } else {
            #expect(testCase.expected == nil, "\(testCase.name) was accepted: \(outcome.status)")
        }
    }

    static let configurationCases: [(name: String, text: String, key: String)] = [
        ("deeply nested JSON", "{\"a\":" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}", "(file)"),
        ("duplicate keys", #"{"agent":"a","agent":"b"}"#, "(file)"),
        ("a huge number", #"{"broker":{"port":1e400}}"#, "(file)"),
        ("an agent id with a wildcard", #"{"agent":"agent/#"}"#, "agent"),
        ("not an object", #""hello""#, "(file)"),
    ]

    @Test("Configuration files", arguments: 0..<configurationCases.count)
    func configuration(index: Int) throws {
        let testCase = Self.configurationCases[index]
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString).json")
        try Data(testCase.text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            try AgentConfiguration.load(file: url.path).validate()
            Issue.record("\(testCase.name) was accepted")
        } catch {
            #expect(error.key == testCase.key, "\(testCase.name): \(error)")
        }
    }

    @Test("Configuration with invalid UTF-8")
    func configurationInvalidUTF8() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString).json")
        try Data([UInt8](#"{"agent":""#.utf8) + [0xFF, 0xFE] + [UInt8](#""}"#.utf8)).write(to: url)
        #expect(throws: ConfigurationError.self) { try AgentConfiguration.load(file: url.path) }
    }

    static let modelCases: [(name: String, mutate: @Sendable (inout [String: Any]) -> Void, code: ModelFileError.Code)] = [
        ("a tree with a cycle", { document in mutateTree(&document) { $0["left"] = [2, -1, 0, -1, -1] } }, .invalidStructure),
        ("an out-of-range child index", { document in mutateTree(&document) { $0["right"] = [900, -1, 4, -1, -1] } }, .invalidStructure),
        ("an out-of-range feature index", { document in mutateTree(&document) { $0["feature"] = [7, -1, 0, -1, -1] } }, .invalidStructure),
        ("a billion trees", { $0["nEstimators"] = 1_000_000_000 }, .limitExceeded),
        ("a wrong format version", { $0["formatVersion"] = 99 }, .unsupportedVersion),
    ]

    static func mutateTree(_ document: inout [String: Any], _ change: (inout [String: Any]) -> Void) {
        var trees = document["trees"] as! [[String: Any]]
        change(&trees[0])
        document["trees"] = trees
        document["id"] = nil  // so the loader checks the structure, not only the hash
    }

    @Test("Model files", arguments: 0..<modelCases.count)
    func model(index: Int) throws {
        let testCase = Self.modelCases[index]
        let fixture = Self.repository.appendingPathComponent("Tests/IsolationForestTests/Fixtures/doc_example.model.json")
        var document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: fixture)) as? [String: Any])
        _ = try AnomalyModel(jsonBytes: Data(contentsOf: fixture))  // the unmodified fixture loads
        testCase.mutate(&document)
        let bytes = try JSONSerialization.data(withJSONObject: document)
        do {
            _ = try AnomalyModel(jsonBytes: bytes)
            Issue.record("\(testCase.name) was accepted")
        } catch {
            #expect(error.code == testCase.code, "\(testCase.name): \(error)")
        }
    }
}
