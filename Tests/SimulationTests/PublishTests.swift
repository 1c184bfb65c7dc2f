import Foundation
import MQTT
import MQTTTesting
import Telemetry
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `sensor-emulator publish` against a real mosquitto.
@Suite("publish through a real broker", .timeLimit(.minutes(1)))
struct PublishTests {
    static var contract: Regex<(Substring, Substring, Substring, Substring, Substring)> { #/^\{"device":"pump-0[1-9]","ts":[0-9]+,"seq":[0-9]+,"values":\{"temperature":(-?[0-9.e+-]+|null),"vibration":(-?[0-9.e+-]+|null),"current":(-?[0-9.e+-]+|null),"pressure":(-?[0-9.e+-]+|null)\}\}$/# }

    static func writeScenario(_ json: String, in directory: URL) throws -> String {
        let url = directory.appendingPathComponent("scenario.json")
        try json.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test("the expected count of contract-shaped telemetry arrives, with ground truth on the truth topic and in the log", arguments: [1, 0])
    func countAndContract(qos: Int) async throws {
        try await MosquittoBroker.with { broker in
            let directory = try Paths.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let scenario = try Self.writeScenario("""
                {"anomalies":[{"device":"pump-02","kind":"spike","at":5,"duration":0.3,"sensors":["vibration"]},
                              {"device":"pump-03","kind":"dropout","at":10,"duration":1,"sensors":["current"]}]}
                """, in: directory)
            let recorder = try await Recorder.subscribe(broker, to: ["sensors/+/telemetry", "sensors/+/truth"])
            let log = directory.appendingPathComponent("truth.jsonl").path
            let run = try await EmulatorProcess.run([
                "publish", "--port", "\(broker.port)", "--devices", "3", "--rate", "10", "--max-rate", "--count", "600",
                "--qos", "\(qos)", "--scenario", scenario, "--truth-log", log, "--progress-interval", "0", "--client-id", unique("emulator"),
            ])
            #expect(run.status == 0, "\(run.error)")
            try await recorder.wait(for: "600 telemetry and 4 truth messages") {
                $0.filter { $0.topic.hasSuffix("/telemetry") }.count >= 600 && $0.filter { $0.topic.hasSuffix("/truth") }.count >= 4
            }
            let telemetry = recorder.messages(matching: "/telemetry")
            #expect(telemetry.count == 600)
            var seqs: [String: [Int64]] = [:]
            for message in telemetry {
                #expect(message.payloadString.wholeMatch(of: Self.contract) != nil, "\(message.payloadString)")
                let decoded = try JSONDecoder().decode(TelemetryMessage.self, from: Data(message.payload))
                #expect(message.topic == "sensors/\(decoded.device ?? "?")/telemetry")
                #expect(Set(decoded.values.keys) == ["temperature", "vibration", "current", "pressure"])
                seqs[decoded.device!, default: []].append(decoded.seq!)
            }
            #expect(seqs.keys.sorted() == ["pump-01", "pump-02", "pump-03"])
            #expect(seqs.values.allSatisfy { $0 == Array(0..<200) })

            let truth = try recorder.messages(matching: "/truth").map { try JSONDecoder().decode(GroundTruthRecord.self, from: Data($0.payload)) }
            #expect(truth.map(\.kind) == ["spike", "spike", "dropout", "dropout"])
            #expect(truth.map(\.state) == [.start, .end, .start, .end])
            #expect(truth[0].seq == 50 && truth[1].seq == 52, "0.3 s at 10 Hz: readings 50, 51, 52")
            let logged = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
                .map { try JSONDecoder().decode(GroundTruthRecord.self, from: Data($0.utf8)) }
            #expect(logged == truth)
            let nulls = telemetry.filter { $0.topic == "sensors/pump-03/telemetry" && $0.payloadString.contains(#""current":null"#) }
            #expect(nulls.count == 10)

            let summary = run.error.split(separator: "\n").last { $0.hasPrefix("summary:") } ?? ""
            #expect(summary.contains("sent=600 unsent=0 failed=0"), "\(run.error)")
            if qos == 1 { #expect(summary.contains("acknowledged=600")) }
            #expect(summary.contains("truth=4 truth_acknowledged=4"))
        }
    }

    @Test("the broker goes away and comes back: publishing goes on, and what could not be sent is counted")
    func brokerRestart() async throws {
        try await MosquittoBroker.with { broker in
            let recorder = try await Recorder.subscribe(broker, to: ["sensors/+/telemetry"])
            let emulator = try EmulatorProcess.launch([
                "publish", "--port", "\(broker.port)", "--devices", "2", "--rate", "20", "--no-anomalies",
                "--no-truth-log", "--progress-interval", "1", "--client-id", unique("emulator"),
            ])
            let seqs = { @Sendable in
                recorder.messages.compactMap { try? JSONDecoder().decode(TelemetryMessage.self, from: Data($0.payload)).seq }
            }
            try await recorder.wait(for: "telemetry before the outage") { $0.count >= 20 }
            broker.stop()
            try await emulator.waitFor("lost the broker at 127.0.0.1:\(broker.port)")
            let beforeOutage = seqs().max() ?? 0
            try await emulator.waitFor("disconnected", seconds: 5)  // a progress line during the outage
            try await broker.restart()
            try await emulator.waitFor("reconnected to the broker", seconds: 20)
            try await recorder.wait(for: "telemetry after the outage") { _ in seqs().filter { $0 > beforeOutage }.count >= 10 }
            emulator.send(SIGINT)
            #expect(try await emulator.waitForExit() == 0, "\(emulator.standardError)")
            let summary = emulator.summary
            let unsent = Int(summary["unsent"] ?? "") ?? 0
            #expect(unsent > 0, "\(emulator.standardError)")
            #expect(Int(summary["sent"] ?? "") ?? 0 > 0)
            #expect(Int(summary["disconnects"] ?? "") ?? 0 >= 1)
            let after = seqs().filter { $0 > beforeOutage }.min() ?? 0
            #expect(after > beforeOutage + 1, "the outage leaves a gap in seq (\(beforeOutage) → \(after))")
        }
    }

    @Test("TLS with a CA file and a password from a file: accepted when right, refused with advice when wrong")
    func tlsAndPassword() async throws {
        try await MosquittoBroker.with(.init(authentication: .password(user: "emulator", password: "s3cret"), tls: true)) { broker in
            let certificates = try #require(broker.certificates)
            let directory = try Paths.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let passwordFile = directory.appendingPathComponent("password").path
            try "s3cret\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
            let recorder = try await Recorder.subscribe(broker, to: [], tls: certificates.caFile, user: ("emulator", "s3cret"))
            try await recorder.client.subscribe("sensors/+/telemetry", qos: .atLeastOnce)
            let common = ["publish", "--host", "localhost", "--port", "\(broker.port)", "--ca-file", certificates.caFile, "--username", "emulator",
                          "--count", "8", "--max-rate", "--no-truth-log", "--progress-interval", "0"]
            let good = try await EmulatorProcess.run(common + ["--password-file", passwordFile, "--client-id", unique("emulator")])
            #expect(good.status == 0, "\(good.error)")
            try await recorder.wait(for: "8 messages over TLS") { $0.count >= 8 }

            try "wrong\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
            let refused = try await EmulatorProcess.run(common + ["--password-file", passwordFile, "--client-id", unique("emulator")])
            #expect(refused.status != 0 && refused.error.contains("refused the login"), "\(refused.error)")
            let wrongCA = try await EmulatorProcess.run(["publish", "--port", "\(broker.port)", "--ca-file", certificates.wrongCAFile,
                                                        "--count", "1", "--no-truth-log", "--client-id", unique("emulator")])
            // Depending on the MQTT module version a failed handshake is reported as a TLS error or, later, as
            // no answer; both messages point at TLS.
            #expect(wrongCA.status != 0 && wrongCA.error.contains("127.0.0.1:\(broker.port)") && wrongCA.error.contains("TLS"), "\(wrongCA.error)")
        }
    }

    @Test("SIGTERM stops cleanly: open anomalies get their end record, then the summary")
    func cleanStop() async throws {
        try await MosquittoBroker.with { broker in
            let directory = try Paths.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let scenario = try Self.writeScenario(#"{"anomalies":[{"device":"pump-01","kind":"level-shift","at":0.5,"duration":3600,"sensors":["pressure"]}]}"#,
                                                  in: directory)
            let recorder = try await Recorder.subscribe(broker, to: ["sensors/+/truth"])
            let log = directory.appendingPathComponent("truth.jsonl").path
            let emulator = try EmulatorProcess.launch([
                "publish", "--port", "\(broker.port)", "--devices", "1", "--rate", "10", "--scenario", scenario, "--truth-log", log,
                "--progress-interval", "0", "--client-id", unique("emulator"),
            ])
            try await recorder.wait(for: "the start record") { !$0.isEmpty }
            emulator.send(SIGTERM)
            #expect(try await emulator.waitForExit() == 0, "\(emulator.standardError)")
            #expect(emulator.standardError.contains("SIGTERM: stopping"))
            try await recorder.wait(for: "the end record") { $0.count == 2 }
            let records = try recorder.messages.map { try JSONDecoder().decode(GroundTruthRecord.self, from: Data($0.payload)) }
            #expect(records.map(\.state) == [.start, .end] && records[0].id == records[1].id)
            #expect(try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").count == 2)
            #expect(emulator.summary["truth_acknowledged"] == "2")
        }
    }
}
