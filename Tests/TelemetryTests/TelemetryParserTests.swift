import Foundation
import Telemetry
import Testing

@Suite("Fast telemetry parser")
struct TelemetryParserTests {
    let table = SensorTable(["temperature", "vibration", "current", "pressure"])

    func parse(_ json: String) throws(TelemetryParseError) -> (TelemetryParser.Header, [Double]) {
        var values = [Double](repeating: .nan, count: table.count)
        let bytes = Array(json.utf8)
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(TelemetryParseError) in try TelemetryParser().parse(buffer, values: &values) { table.slot(for: $0) } }
        }
        return (try result.get(), values)
    }

    func reason(_ json: String) -> TelemetryParseError.Reason? {
        do { _ = try parse(json); return nil } catch { return error.reason }
    }

    @Test("The contract's example")
    func example() throws {
        let (header, values) = try parse(#"{"device":"pump-01","ts":1763794800125,"seq":1042,"values":{"temperature":71.2,"vibration":0.031,"current":12.4,"pressure":5.61}}"#)
        #expect(header.device == "pump-01")
        #expect(header.ts == 1_763_794_800_125)
        #expect(header.seq == 1042)
        #expect(values == [71.2, 0.031, 12.4, 5.61])
        #expect(header.valuesPresent == 4)
        #expect(header.unknownSensors.isEmpty)
    }

    @Test("Numbers parse exactly like Foundation's parser", arguments: [
        "0", "-0", "1", "12.5", "0.031", "5.61", "71.2", "-3.25e2", "1E-7", "123456789012345678901234567890",
        "0.1", "9007199254740993", "2.2250738585072014e-308", "4.9e-324", "1.7976931348623157e308", "3.14159265358979323846",
        "1e22", "1e23", "123.456e-5", "0.000001",
    ])
    func numbers(text: String) throws {
        let (_, values) = try parse(#"{"ts":1,"values":{"current":\#(text)}}"#)
        let reference = try JSONSerialization.jsonObject(with: Data(#"[\#(text)]"#.utf8)) as! [NSNumber]
        // Foundation reads -0 as the integer 0; IEEE -0.0 is the better answer and equal to it.
        let expected = reference[0].doubleValue
        #expect(values[2] == expected && (expected == 0 || values[2].bitPattern == expected.bitPattern), "\(text): \(values[2]) vs \(expected)")
    }

    @Test("Missing and null sensors stay NaN, unknown sensors are named, other keys are skipped")
    func partial() throws {
        let (header, values) = try parse(#" { "extra" : {"nested": [1, true, null, "x"]}, "values" : {"current": 1, "pressure": null, "humidity": 40}, "ts": "2025-11-22T07:40:00Z" } "#)
        #expect(header.device == nil && header.seq == nil)
        #expect(header.ts == 1_763_797_200_000)
        #expect(values[0].isNaN && values[1].isNaN && values[2] == 1 && values[3].isNaN)
        #expect(header.unknownSensors == ["humidity"])
        #expect(header.valuesPresent == 1)
    }

    @Test("Escaped names and device ids")
    func escapes() throws {
        let (header, values) = try parse(#"{"device":"pump\u002D01 \"A\"","ts":1,"values":{"temp\u0065rature":5}}"#)
        #expect(header.device == #"pump-01 "A""#)
        #expect(values[0] == 5)
    }

    @Test("Hostile and malformed payloads are refused with a named reason", arguments: [
        (#"{"ts":1,"values":{"current":1}"#, TelemetryParseError.Reason.malformedJSON),
        (#"not json"#, .malformedJSON),
        (#""#, .malformedJSON),
        (#"{"ts":1,"values":{"current":1}} trailing"#, .malformedJSON),
        (#"{"ts":1,"values":{"current":"12"}}"#, .nonNumericValue),
        (#"{"ts":1,"values":{"current":true}}"#, .nonNumericValue),
        (#"{"ts":1,"values":{"current":NaN}}"#, .nonFiniteValue),
        (#"{"ts":1,"values":{"current":Infinity}}"#, .nonFiniteValue),
        (#"{"ts":1,"values":{"current":1e999}}"#, .nonFiniteValue),
        (#"{"ts":1,"values":{"current":1,"current":2}}"#, .duplicateKey),
        (#"{"ts":1,"ts":2,"values":{}}"#, .duplicateKey),
        (#"{"ts":1}"#, .missingField),
        (#"{"values":{}}"#, .missingField),
        (#"{"ts":"last tuesday","values":{}}"#, .badTimestamp),
        (#"{"ts":1.5,"values":{}}"#, .badTimestamp),
        (#"{"ts":1,"values":{"current":01}}"#, .malformedJSON),
        (#"{"ts":1,"values":{"current":-}}"#, .malformedJSON),
        (#"{"ts":1,"device":"a\u{1}b","values":{}}"#, .malformedJSON),
        (#"{"ts":1,"values":{"current":1},"x":"\ud800"}"#, .invalidUTF8),
    ])
    func hostile(json: String, expected: TelemetryParseError.Reason) {
        #expect(reason(json) == expected, "\(json)")
    }

    @Test("Invalid UTF-8 is refused")
    func invalidUTF8() {
        var bytes = Array(#"{"ts":1,"device":"ab","values":{}}"#.utf8)
        bytes[17] = 0xFF
        var values = [Double](repeating: .nan, count: 4)
        #expect(throws: TelemetryParseError.self) {
            try bytes.withUnsafeBytes { buffer in try TelemetryParser().parse(buffer, values: &values) { _ in nil } }
        }
    }

    @Test("Deep nesting is refused without recursion trouble")
    func deepNesting() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(reason(#"{"ts":1,"x":\#(deep),"values":{}}"#) == .tooDeep)
    }

    @Test("Random bytes never crash the parser")
    func randomBytes() {
        var generator = SystemRandomNumberGenerator()
        let seed = Array(#"{"device":"pump-01","ts":1763794800125,"seq":1042,"values":{"temperature":71.2,"current":null}}"#.utf8)
        for _ in 0..<20_000 {
            var bytes = seed
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if Bool.random(using: &generator) { bytes.removeLast(Int.random(in: 0..<bytes.count, using: &generator)) }
            var values = [Double](repeating: .nan, count: 4)
            _ = try? bytes.withUnsafeBytes { buffer in try TelemetryParser().parse(buffer, values: &values) { table.slot(for: $0) } }
        }
    }
}
