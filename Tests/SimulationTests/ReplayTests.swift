import Foundation
import MQTT
import MQTTTesting
import Telemetry
import Testing

/// `sensor-emulator replay` against a real mosquitto.
@Suite("replay through a real broker", .timeLimit(.minutes(1)))
struct ReplayTests {
    @Test("a SKAB-like fixture: every row as telemetry, its labels as start/end ground truth")
    func fixture() async throws {
        try await MosquittoBroker.with { broker in
            let directory = try Paths.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let recorder = try await Recorder.subscribe(broker, to: ["sensors/+/telemetry", "sensors/+/truth"])
            let log = directory.appendingPathComponent("truth.jsonl").path
            let run = try await EmulatorProcess.run([
                "replay", Paths.fixtures.appendingPathComponent("pump-small.csv").path, "--time-zone", "UTC", "--as-fast-as-possible",
                "--qos", "1", "--port", "\(broker.port)", "--truth-log", log, "--progress-interval", "0", "--client-id", unique("replay"),
            ])
            #expect(run.status == 0, "\(run.error)")
            try await recorder.wait(for: "16 rows and 6 truth records") { $0.count >= 22 }
            let telemetry = try recorder.messages(matching: "/telemetry").map { message in
                #expect(message.topic == "sensors/pump-small/telemetry")
                return try JSONDecoder().decode(TelemetryMessage.self, from: Data(message.payload))
            }
            #expect(telemetry.count == 16)
            #expect(telemetry.map(\.seq) == (0..<16).map { Int64($0) })
            #expect(telemetry[0].ts.milliseconds == 1_583_748_873_000)
            #expect(telemetry[0].values == ["Accelerometer1RMS": 0.0265878, "Current": 1.3302, "Volume Flow RateRMS": 32.0, "Temperature": 79.3366])
            #expect(telemetry[5].values["Current"] == .some(nil), "an empty cell is published as null")
            let truth = try recorder.messages(matching: "/truth").map { try JSONDecoder().decode(GroundTruthRecord.self, from: Data($0.payload)) }
            #expect(truth.map { "\($0.kind) \($0.state.rawValue) \($0.seq!)" }
                == ["anomaly start 7", "changepoint start 7", "changepoint end 7", "anomaly end 11", "changepoint start 12", "changepoint end 12"])
            #expect(try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").count == 6)
            #expect(run.error.contains("sent=16 unsent=0 failed=0 acknowledged=16"), "\(run.error)")
        }
    }

    @Test("a SKAB benchmark file replays as it is, when the shared data set is there",
          .enabled(if: FileManager.default.fileExists(atPath: Paths.skab.appendingPathComponent("valve2/0.csv").path)))
    func skab() async throws {
        try await MosquittoBroker.with { broker in
            let recorder = try await Recorder.subscribe(broker, to: ["sensors/+/telemetry"])
            let run = try await EmulatorProcess.run([
                "replay", Paths.skab.appendingPathComponent("valve2/0.csv").path, "--max-rate", "--qos", "1", "--limit", "300",
                "--port", "\(broker.port)", "--progress-interval", "0", "--client-id", unique("replay"),
            ])
            #expect(run.status == 0, "\(run.error)")
            try await recorder.wait(for: "300 rows") { $0.count >= 300 }
            let first = try JSONDecoder().decode(TelemetryMessage.self, from: Data(recorder.messages[0].payload))
            #expect(recorder.messages[0].topic == "sensors/valve2-0/telemetry")
            #expect(first.values.count == 8 && first.values["Volume Flow RateRMS"] != nil)
        }
    }
}
