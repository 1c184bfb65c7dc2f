import Foundation
@testable import Simulation
import Telemetry
import Testing

@Suite("Hand-rolled encoders: the contract's bytes")
struct EncodingTests {
    @Test("telemetry payloads follow the contract and decode as TelemetryMessage")
    func telemetry() throws {
        let encoder = TelemetryEncoder(devices: ["pump-01", "odd \"id\""], sensors: ["temperature", "Volume Flow RateRMS", "current"],
                                       formats: [DecimalFormat(resolution: 0.1), .shortest, DecimalFormat(resolution: 0.01)])
        var buffer: [UInt8] = []
        encoder.encode(device: 0, timestamp: 1_763_794_800_125, seq: 1042, values: [71.2, 0.031, .nan], into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self)
            == #"{"device":"pump-01","ts":1763794800125,"seq":1042,"values":{"temperature":71.2,"Volume Flow RateRMS":0.031,"current":null}}"#)
        let message = try JSONDecoder().decode(TelemetryMessage.self, from: Data(buffer))
        #expect(message.device == "pump-01" && message.ts.milliseconds == 1_763_794_800_125 && message.seq == 1042)
        #expect(message.values["temperature"] == 71.2 && message.values["current"] == .some(nil))

        encoder.encode(device: 1, timestamp: 5, seq: nil, values: [-0.04, 1e-7, .infinity], into: &buffer)
        let odd = try JSONDecoder().decode(TelemetryMessage.self, from: Data(buffer))
        #expect(odd.device == #"odd "id""# && odd.seq == nil && odd.values["temperature"] == -0.0 && odd.values["Volume Flow RateRMS"] == 1e-7)
        #expect(odd.values["current"] == .some(nil), "infinity is never written as a number")
    }

    @Test("numbers are compact and exact at the sensor's resolution", arguments: [
        (0.1, 71.30000000000001, "71.3"), (0.1, 70.0, "70"), (0.01, -0.05, "-0.05"), (0.0001, 0.0123, "0.0123"),
        (0.001, 5.61, "5.61"), (0.25, 3.75, "3.75"), (0.1, -0.04, "0"), (0, 0.1 + 0.2, "0.30000000000000004"),
        (0.01, 123_456_789.125, "123456789.13"), (0.1, 1e300, "1e+300"),
    ])
    func numbers(resolution: Double, value: Double, text: String) {
        var buffer: [UInt8] = []
        DecimalFormat(resolution: resolution).append(value, to: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == text)
    }

    @Test("every emulated payload decodes, and its numbers read back to the values")
    func emulatedPayloads() throws {
        var emulation = try Emulation(.init(rate: 5, seed: 2, origin: SimulationRun.origin))
        let encoder = TelemetryEncoder(emulation: emulation)
        var buffer: [UInt8] = []
        for _ in 0..<5000 {
            let reading = emulation.next().reading
            encoder.encode(reading, into: &buffer)
            let message = try JSONDecoder().decode(TelemetryMessage.self, from: Data(buffer))
            #expect(message == reading.telemetryMessage(sensors: emulation.sensorNames))
        }
    }

    @Test("ground-truth lines keep the contract's key order and decode as GroundTruthRecord")
    func groundTruth() throws {
        let record = GroundTruthRecord(device: "pump-01", id: "pump-01-gt-0007", kind: "spike", state: .start, sensors: ["vibration"],
                                       ts: Timestamp(milliseconds: 1_763_794_800_125), seq: 1042)
        let bytes = GroundTruthEncoding.encode(record)
        #expect(String(decoding: bytes, as: UTF8.self)
            == #"{"device":"pump-01","id":"pump-01-gt-0007","kind":"spike","state":"start","sensors":["vibration"],"ts":1763794800125,"seq":1042}"#)
        #expect(try JSONDecoder().decode(GroundTruthRecord.self, from: Data(bytes)) == record)
    }

    @Test("CSV fields are quoted only when they must be, and read back unchanged")
    func csvFields() throws {
        let fields = ["plain", "with,comma", "with \"quotes\"", "two\nlines", "Volume Flow RateRMS", ""]
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fields-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(CSVText.line(fields) + [10] + CSVText.line(["a", "b"]) + [13, 10]).write(to: url)
        #expect(String(decoding: CSVText.line(fields), as: UTF8.self) == "plain,\"with,comma\",\"with \"\"quotes\"\"\",\"two\nlines\",Volume Flow RateRMS,")
        let reader = try CSVReader(path: url.path, separator: nil)
        #expect(try reader.nextRecord() == fields)
        #expect(try reader.nextRecord() == ["a", "b"])
        #expect(try reader.nextRecord() == nil)
    }
}
