import Foundation
import MQTT
import MQTTTesting
import Telemetry
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `publish --control`: pause, resume, inject and reset over a real broker.
@Suite("control commands through a real broker", .timeLimit(.minutes(1)))
struct ControlTests {
    @Test("pause stops the telemetry, resume restarts it, inject adds an anomaly with ground truth, reset replays the seed")
    func commands() async throws {
        try await MosquittoBroker.with { broker in
            let emulatorID = unique("emulator")
            let recorder = try await Recorder.subscribe(broker, to: ["sensors/+/telemetry", "sensors/+/truth"])
            let controller = try MQTTClient(configuration: .init(host: broker.host, port: broker.port, clientID: unique("controller")))
            try await controller.connect()
            let emulator = try EmulatorProcess.launch([
                "publish", "--port", "\(broker.port)", "--devices", "2", "--rate", "20", "--no-anomalies", "--control",
                "--emulator-id", emulatorID, "--no-truth-log", "--progress-interval", "0", "--client-id", unique("emulator"),
            ])
            let send = { (json: String) in
                try await controller.publish("emulator/\(emulatorID)/control", payload: Array(json.utf8), qos: .atLeastOnce)
            }
            try await emulator.waitFor("listening for control commands on emulator/\(emulatorID)/control")
            try await recorder.wait(for: "telemetry") { $0.count >= 10 }
            let telemetry = { @Sendable in
                recorder.messages(matching: "/telemetry").map { try! JSONDecoder().decode(TelemetryMessage.self, from: Data($0.payload)) }
            }
            let first = try #require(telemetry().first { $0.device == "pump-01" })

            try await send(#"{"command":"pause"}"#)
            try await emulator.waitFor("control: paused")
            try await Task.sleep(for: .milliseconds(300))
            let whilePaused = telemetry().count
            try await Task.sleep(for: .seconds(1))
            #expect(telemetry().count == whilePaused, "at 40 messages/s a second of pause would show about 40")

            try await send(#"{"command":"resume"}"#)
            try await emulator.waitFor("control: resumed")
            try await recorder.wait(for: "telemetry after resume") { $0.filter { $0.topic.hasSuffix("/telemetry") }.count > whilePaused + 5 }

            try await send(#"{"command":"inject","device":"pump-01","kind":"spike","sensors":["vibration"],"duration":0.5,"magnitude":0.8}"#)
            try await recorder.wait(for: "the injected anomaly's ground truth") { $0.filter { $0.topic == "sensors/pump-01/truth" }.count == 2 }
            let truth = try recorder.messages(matching: "/truth").map { try JSONDecoder().decode(GroundTruthRecord.self, from: Data($0.payload)) }
            #expect(truth.map(\.state) == [.start, .end] && truth.allSatisfy { $0.kind == "spike" && $0.sensors == ["vibration"] })
            let start = try #require(truth.first?.seq), end = try #require(truth.last?.seq)
            #expect(end == start + 9, "0.5 s at 20 Hz: ten readings")
            try await recorder.wait(for: "the spiked readings") { _ in telemetry().contains { $0.device == "pump-01" && $0.seq == end } }
            let pump = telemetry().filter { $0.device == "pump-01" }
            let vibration = { (message: TelemetryMessage) in (message.values["vibration"] ?? nil) ?? .nan }
            let normalPeak = pump.filter { $0.seq! < start }.map(vibration).max()!
            let spiked = pump.filter { (start...end).contains($0.seq!) }.map(vibration)
            #expect(spiked.count == 10 && spiked.allSatisfy { $0 > normalPeak + 0.08 }, "\(spiked) vs \(normalPeak)")

            try await send(#"{"command":"inject","device":"pump-07","kind":"spike"}"#)
            try await emulator.waitFor("control: inject refused")
            try await send("not json")
            try await emulator.waitFor("control: ignored")

            let beforeReset = telemetry().count
            try await send(#"{"command":"reset"}"#)
            try await emulator.waitFor("control: reset")
            try await recorder.wait(for: "the replayed first reading") { _ in
                telemetry().dropFirst(beforeReset).contains { $0.device == "pump-01" && $0.values == first.values }
            }
            let afterReset = telemetry().dropFirst(beforeReset).filter { $0.device == "pump-01" }
            let replayed = try #require(afterReset.first { $0.values == first.values })
            #expect(replayed.seq! > first.seq! && replayed.ts > first.ts, "seq and time keep counting")

            emulator.send(SIGINT)
            #expect(try await emulator.waitForExit() == 0, "\(emulator.standardError)")
            #expect(emulator.standardError.contains("summary:"))
            await controller.shutdown()
        }
    }
}
