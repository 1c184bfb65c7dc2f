import Foundation
import Telemetry
import Testing

@Suite("Wire-contract payloads")
struct PayloadTests {
    let decoder = JSONDecoder()

    @Test("The telemetry example of DESIGN.md decodes")
    func telemetryExample() throws {
        let json = #"{"device":"pump-01","ts":1763794800125,"seq":1042,"values":{"temperature":71.2,"vibration":0.031,"current":12.4,"pressure":5.61}}"#
        let message = try decoder.decode(TelemetryMessage.self, from: Data(json.utf8))
        #expect(message.device == "pump-01")
        #expect(message.ts.milliseconds == 1_763_794_800_125)
        #expect(message.seq == 1042)
        #expect(message.values["vibration"] == 0.031)
        #expect(message.values.count == 4)
    }

    @Test("Optional device and seq, null sensors, RFC 3339 time")
    func telemetryVariants() throws {
        let json = #"{"ts":"2025-11-22T07:40:00.125Z","values":{"temperature":null,"current":12}}"#
        let message = try decoder.decode(TelemetryMessage.self, from: Data(json.utf8))
        #expect(message.device == nil)
        #expect(message.seq == nil)
        #expect(message.ts.milliseconds == 1_763_797_200_125)
        #expect(message.values["temperature"] == .some(nil))
        #expect(message.values["current"] == 12)
        #expect(message.values["pressure"] == nil)
    }

    @Test("Garbage time is refused, and so is time beyond ±9e15 ms, as an integer or a float")
    func badTimestamp() throws {
        for ts in [#""yesterday""#, "9223372036854775807", "-9223372036854775808", "9000000000000000", "9e15", "-9.1e15"] {
            let json = #"{"ts":"# + ts + #","values":{}}"#
            #expect(throws: DecodingError.self, "\(ts)") { try decoder.decode(TelemetryMessage.self, from: Data(json.utf8)) }
        }
        let edge = try decoder.decode(TelemetryMessage.self, from: Data(#"{"ts":-8999999999999999,"values":{}}"#.utf8))
        #expect(edge.ts.milliseconds == -8_999_999_999_999_999)
    }

    @Test("Telemetry round-trips")
    func telemetryRoundTrip() throws {
        let message = TelemetryMessage(device: "m-1", ts: Timestamp(milliseconds: 5), seq: 7, values: ["a": 1.5, "b": nil])
        let data = try JSONEncoder().encode(message)
        #expect(try decoder.decode(TelemetryMessage.self, from: data) == message)
    }

    @Test("The anomaly event has the contract's keys, with ended_at null while open")
    func anomalyEventKeys() throws {
        let event = AnomalyEvent(eventID: "pump-01-000017", device: "pump-01", state: .open,
                                 startedAt: Timestamp(milliseconds: 1_763_794_800_125), ts: Timestamp(milliseconds: 1_763_794_800_125),
                                 endedAt: nil, score: 0.71, peakScore: 0.78, threshold: 0.62, severity: .warning,
                                 contributors: [.init(sensor: "vibration", share: 0.64, value: 0.41, expected: 0.03)],
                                 triggerSeq: 1042, model: "sha256:abc", agent: "agent-01")
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(event)) as? [String: Any])
        #expect(Set(object.keys) == ["event_id", "device", "state", "started_at", "ts", "ended_at", "score", "peak_score",
                                     "threshold", "severity", "contributors", "trigger_seq", "model", "agent"])
        #expect(object["ended_at"] is NSNull)
        #expect(object["state"] as? String == "open")
        let contributor = try #require((object["contributors"] as? [[String: Any]])?.first)
        #expect(Set(contributor.keys) == ["sensor", "share", "value", "expected"])
        #expect(try decoder.decode(AnomalyEvent.self, from: JSONEncoder().encode(event)) == event)
    }

    @Test("Ground truth, status and control decode from the contract's examples")
    func otherPayloads() throws {
        let truth = try decoder.decode(GroundTruthRecord.self, from: Data(#"{"device":"pump-01","id":"pump-01-gt-0007","kind":"spike","state":"start","sensors":["vibration"],"ts":1763794800125,"seq":1042}"#.utf8))
        #expect(truth.state == .start && truth.kind == "spike" && truth.sensors == ["vibration"])
        let status = try decoder.decode(AgentStatus.self, from: Data(#"{"agent":"agent-01","state":"offline","ts":1}"#.utf8))
        #expect(status.state == .offline)
        let control = try decoder.decode(ControlCommand.self, from: Data(#"{"command":"inject","device":"pump-01","kind":"spike","sensors":["vibration"],"duration":5}"#.utf8))
        #expect(control.command == .inject && control.duration == 5)
        #expect(throws: DecodingError.self) { try decoder.decode(ControlCommand.self, from: Data(#"{"command":"explode"}"#.utf8)) }
    }
}
