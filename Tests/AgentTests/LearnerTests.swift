@testable import Agent
import Detection
import Foundation
import IsolationForest
import Testing

@Suite("Learn mode collects what the detector would score")
struct LearnerTests {
    let limits = DetectorConfiguration(maximumPayloadBytes: 256, maximumDevices: 3)

    func learner(sensors: [String] = [], seconds: Double = 60, maximumPayloadBytes: Int? = nil) -> Learner {
        var configuration = AgentConfiguration.Learn()
        configuration.seconds = seconds
        configuration.sensors = sensors
        configuration.trees = 10
        var detection = limits
        if let maximumPayloadBytes { detection.maximumPayloadBytes = maximumPayloadBytes }
        return Learner(configuration: configuration, detection: detection)
    }

    func reading(_ index: Int, extra: String = "") -> [UInt8] {
        let wobble = Double(index % 7) / 10
        return Array(#"{"ts":\#(1_000 + index),"seq":\#(index),"values":{"temperature":\#(60 + wobble),"vibration":\#(0.03 + wobble / 100)\#(extra)}}"#.utf8)
    }

    @Test("A hostile payload is refused by learn mode for the same reason the detector refuses it")
    func sameRefusals() throws {
        let training: [[Double]] = (0..<50).map { index in
            let wobble = Double(index % 7)
            return [60 + wobble / 10, 0.03 + wobble / 1000]
        }
        let model = try ModelTrainer(sensors: ["temperature", "vibration"], forest: .init(treeCount: 10, seed: 1)).train(readings: ["d": training])
        var detector = try Detector(model: model, configuration: limits)
        let hostile: [(String, String?)] = [
            (#"{"ts":1,"values":{"temperature":1,"temperature":2}}"#, "pump-01"),
            (#"{"ts":1,"values":{"temperature":"hot"}}"#, "pump-01"),
            (#"{"ts":1,"values":{"temperature":1e999}}"#, "pump-01"),
            (#"{"ts":1,"values":{"temperature":1}"#, "pump-01"),
            (#"{"device":"pump-02","ts":1,"values":{"temperature":1}}"#, "pump-01"),
            (#"{"ts":1,"values":{"temperature":1}}"#, nil),
            (#"{"device":"a/b","ts":1,"values":{"temperature":1}}"#, nil),
            (#"{"ts":1,"values":{"temperature":null,"vibration":null}}"#, "pump-01"),
            (#"{"ts":1,"values":{"temperature":1},"pad":"\#(String(repeating: "x", count: 300))"}"#, "pump-01"),
            ("\u{FF}", "pump-01"),
        ]
        var learner = learner(sensors: ["temperature", "vibration"])
        for (payload, device) in hostile {
            let bytes = Array(payload.utf8)
            let expected = bytes.withUnsafeBytes { detector.process(payload: $0, topicDevice: device) }
            guard case .rejected(let refusal) = expected.status else { Issue.record("the detector scored \(payload)"); continue }
            #expect(learner.collect(payload: bytes, topicDevice: device)?.reason == refusal.reason, "\(payload)")
        }
        #expect(learner.messages == 0)
        // The device limit: three are learned from, a fourth is refused by both.
        for device in ["pump-01", "pump-02", "pump-03", "pump-04"] {
            let expected = reading(1).withUnsafeBytes { detector.process(payload: $0, topicDevice: device) }
            let refusal = learner.collect(payload: reading(1), topicDevice: device)
            if case .rejected(let why) = expected.status { #expect(refusal?.reason == why.reason) } else { #expect(refusal == nil) }
        }
        #expect(learner.messages == 3)
    }

    @Test("Learning every sensor seen: one that appears later joins the model, in name order; nothing else is lost")
    func sensorsDiscovered() throws {
        var learner = learner()
        for index in 0..<100 { #expect(learner.collect(payload: reading(index), topicDevice: "pump-01") == nil) }
        for index in 100..<300 {
            #expect(learner.collect(payload: reading(index, extra: #","current":\#(10 + Double(index % 5) / 10)"#), topicDevice: "pump-01") == nil)
        }
        // A name joins in the third message to carry it: the first two readings are not kept at all.
        #expect(learner.messages == 298)
        let model = try learner.train()
        #expect(model.featureNames == ["current", "temperature", "vibration"])
        // The 100 readings before current joined lack it and are left out of training; the 198 after are in.
        #expect(model.training.rows == 198)
    }

    @Test("Names a publisher invents once never take the real sensors' places; repeated ones do, up to 64")
    func sensorsBounded() throws {
        var learner = learner(maximumPayloadBytes: 4096)
        // A garbled first payload with 100 invented names, then one-off names in every message.
        let garbage = (0..<100).map { #","junk\#($0)":1"# }.joined()
        #expect(learner.collect(payload: reading(0, extra: garbage), topicDevice: "pump-01") == nil)
        for index in 1..<100 {
            let invented = (0..<10).map { #","s\#(index)x\#($0)":1"# }.joined()
            #expect(learner.collect(payload: reading(index, extra: invented), topicDevice: "pump-01") == nil)
        }
        #expect(learner.sensors == ["temperature", "vibration"])
        #expect(learner.messages == 98, "every reading from the third on, when temperature and vibration joined")
        #expect(learner.ignoredSensors.count == Learner.maximumSensors && learner.ignoredSensors.contains("junk20"))
        // Another device that really has 70 sensors: 62 of them join, the table stops at 64.
        let many = (0..<70).map { #","m\#($0)":\#($0)"# }.joined()
        for index in 0..<20 { #expect(learner.collect(payload: reading(index, extra: many), topicDevice: "pump-02") == nil) }
        #expect(learner.sensors.count == Learner.maximumSensors)
        #expect(learner.sensors.prefix(3) == ["temperature", "vibration", "m0"])
        // With the table full, a payload of unknown names only has nothing to learn from: refused, as the detector would.
        #expect(learner.collect(payload: Array(#"{"ts":5000,"values":{"zz":1}}"#.utf8), topicDevice: "pump-02")?.reason == .noKnownValues)
    }

    @Test("Waiting names: one not repeated in time expires, a device over the limit adds none, one only ever null is not learned")
    func waitingNames() throws {
        var learner = learner(maximumPayloadBytes: 4096)  // three devices at most
        // "rare" comes in pump-01's messages 0, 20 and 35: not three times within 32 of its messages.
        for index in 0..<40 {
            let extra = [0, 20, 35].contains(index) ? #","rare":1"# : ""
            #expect(learner.collect(payload: reading(index, extra: extra), topicDevice: "pump-01") == nil)
        }
        #expect(learner.sensors == ["temperature", "vibration"] && learner.ignoredSensors == ["rare"])
        // A device with 20 sensors: 16 wait at first, the other 4 after them; all are learned, none is listed as ignored.
        let twenty = (0..<20).map { #","t\#($0)":\#($0)"# }.joined()
        for index in 0..<10 { #expect(learner.collect(payload: reading(index, extra: twenty), topicDevice: "pump-02") == nil) }
        #expect(learner.sensors.count == 22 && learner.ignoredSensors == ["rare"])
        // A sensor that is only ever null is learned as a name but not trained on.
        for index in 0..<10 { #expect(learner.collect(payload: reading(index, extra: #","dead":null"#), topicDevice: "pump-03") == nil) }
        #expect(learner.sensors.contains("dead"))
        // A fourth device is refused, and its name does not join.
        for index in 0..<5 {
            #expect(learner.collect(payload: reading(index, extra: #","extra":1"#), topicDevice: "pump-04")?.reason == .tooManyDevices)
        }
        #expect(!learner.sensors.contains("extra"))
        let model = try learner.train()
        #expect(!model.featureNames.contains("dead") && model.featureNames.contains("t19") && model.featureNames.count == 22)
    }

    @Test("Learning named sensors: other sensors in the payload are ignored, and a payload with none of them is refused")
    func namedSensors() throws {
        var learner = learner(sensors: ["vibration"])
        for index in 0..<50 { #expect(learner.collect(payload: reading(index, extra: #","current":3"#), topicDevice: "pump-01") == nil) }
        let refusal = learner.collect(payload: Array(#"{"ts":1,"values":{"current":3}}"#.utf8), topicDevice: "pump-01")
        #expect(refusal?.reason == .noKnownValues)
        #expect(try learner.train().featureNames == ["vibration"])
    }
}
