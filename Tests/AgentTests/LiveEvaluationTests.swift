import Foundation
import MQTT
import MQTTTesting
import Testing

@Suite("anomaly-agent evaluate --live", .timeLimit(.minutes(1)))
struct LiveEvaluationTests {
    @Test("Live evaluation pairs ground truth with anomaly events from the topics")
    func live() async throws {
        try await MosquittoBroker.with { broker in
            let process = Process()
            process.executableURL = AgentProcess.executable
            // 15 s: with every other broker test (and the headless browser) running in parallel on 2 cores,
            // the records below can take many seconds to arrive, and any after the window are not counted
            // (8 s was once too short under `make test`).
            process.arguments = ["evaluate", "--live", "--duration", "15s", "--broker-port", "\(broker.port)", "--json", "--tolerance", "0"]
            let pipe = Pipe()
            let progressFile = FileManager.default.temporaryDirectory.appendingPathComponent("live-\(UUID().uuidString).log")
            _ = FileManager.default.createFile(atPath: progressFile.path, contents: nil)
            defer { try? FileManager.default.removeItem(at: progressFile) }
            process.standardOutput = pipe
            process.standardError = try FileHandle(forWritingTo: progressFile)
            try process.run()
            // It prints "evaluating for …" once subscribed; records sent before that would be missed.
            let deadline = Date().addingTimeInterval(20)
            while !((try? String(contentsOf: progressFile, encoding: .utf8)) ?? "").contains("evaluating for") && Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            let publisher = try MQTTClient(configuration: MQTTConfiguration(port: broker.port, clientID: "live-publisher"))
            try await publisher.connect()
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            func truth(_ device: String, _ id: String, _ kind: String, _ state: String, _ ts: Int64) -> [UInt8] {
                Array(#"{"device":"\#(device)","id":"\#(id)","kind":"\#(kind)","state":"\#(state)","sensors":["current"],"ts":\#(ts)}"#.utf8)
            }
            func event(_ device: String, _ id: String, _ state: String, _ start: Int64, _ ts: Int64) -> [UInt8] {
                let ended = state == "closed" ? "\(ts)" : "null"
                return Array(#"{"event_id":"\#(id)","device":"\#(device)","state":"\#(state)","started_at":\#(start),"ts":\#(ts),"ended_at":\#(ended),"score":0.7,"peak_score":0.7,"threshold":0.6,"severity":"warning","contributors":[],"trigger_seq":null,"model":"m","agent":"a"}"#.utf8)
            }
            // pump-01: a spike found 200 ms late; pump-02: a drift never found; pump-03: a false event.
            try await publisher.publish("sensors/pump-01/truth", payload: truth("pump-01", "t1", "spike", "start", now), qos: .atLeastOnce)
            try await publisher.publish("alerts/pump-01/anomaly", payload: event("pump-01", "e1", "open", now + 200, now + 200), qos: .atLeastOnce)
            try await publisher.publish("sensors/pump-01/truth", payload: truth("pump-01", "t1", "spike", "end", now + 1_000), qos: .atLeastOnce)
            try await publisher.publish("alerts/pump-01/anomaly", payload: event("pump-01", "e1", "closed", now + 200, now + 1_200), qos: .atLeastOnce)
            try await publisher.publish("sensors/pump-02/truth", payload: truth("pump-02", "t2", "drift", "start", now), qos: .atLeastOnce)
            try await publisher.publish("alerts/pump-03/anomaly", payload: event("pump-03", "e3", "open", now, now), qos: .atLeastOnce)
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let object = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
            let events = try #require(object["events"] as? [String: Any])
            #expect(events["true_anomalies"] as? Int == 2)
            #expect(events["found"] as? Int == 1)
            #expect(events["raised"] as? Int == 2)
            #expect(events["false_events"] as? Int == 1)
            #expect(events["mean_delay_ms"] as? Double == 200)
            await publisher.shutdown()
        }
    }
}
