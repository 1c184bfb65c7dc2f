import Foundation
@testable import Simulation
import Testing

@Suite("Profile and scenario files: documented defaults, errors that name the key")
struct ConfigurationTests {
    @Test("config/emulator-profile.json is exactly the built-in profile")
    func profileFile() throws {
        let profile = try EmulatorProfile.load(from: Paths.config.appendingPathComponent("emulator-profile.json"))
        #expect(profile == EmulatorProfile.default)
    }

    @Test("config/scenario-default.json is exactly the built-in scenario")
    func defaultScenarioFile() throws {
        #expect(try Scenario.load(from: Paths.config.appendingPathComponent("scenario-default.json")) == Scenario.default)
    }

    @Test("config/scenario-example.json scripts every kind on the default devices")
    func exampleScenario() throws {
        let scenario = try Scenario.load(from: Paths.config.appendingPathComponent("scenario-example.json"))
        #expect(scenario.random == nil)
        #expect(Set(scenario.anomalies.map(\.kind)) == Set(AnomalyKind.allCases))
        try scenario.validate(sensors: EmulatorProfile.default.sensors.map(\.name), devices: EmulatorProfile.default.deviceIDs(count: nil))
    }

    @Test("an empty profile means every default; a sensor entry may give just its name")
    func defaults() throws {
        #expect(try decodeProfile("{}") == EmulatorProfile.default)
        let profile = try decodeProfile(#"{"sensors":[{"name":"current"},{"name":"bearing temperature","model":"temperature"}]}"#)
        #expect(profile.sensors[0] == SensorSpec.preset(.current))
        #expect(profile.sensors[1].model == .temperature && profile.sensors[1].lagSeconds == 480 && profile.sensors[1].name == "bearing temperature")
    }

    @Test("bad profiles are refused with the key that is wrong", arguments: [
        (#"{"sensors":[{"name":"temperature","nosie":1}]}"#, "sensors[0].nosie"),
        (#"{"sensors":[{"name":"flow"}]}"#, "sensors[0].normal"),
        (#"{"sensors":[{"name":"flow","normal":[0,10],"idle":1}]}"#, "sensors[0].full"),
        (#"{"sensors":[{"name":"current","normal":"wide"}]}"#, "sensors[0].normal"),
        (#"{"sensors":[{"name":"current","noise":2}]}"#, "sensors[0].normal"),
        (#"{"sensors":[{"name":"current","noise":-1}]}"#, "sensors[0].noise"),
        (#"{"sensors":[{"name":"current"},{"name":"current"}]}"#, "sensors[1].name"),
        (#"{"devices":[{"id":"pump/1"}]}"#, "devices[0].id"),
        (#"{"operation":{"loadLevels":[0.5,1.5]}}"#, "operation.loadLevels"),
        (#"{"levelVariation":3}"#, "levelVariation"),
        (#"{"sensors":[]}"#, "sensors"),
    ])
    func badProfile(json: String, key: String) throws {
        let url = try write(json)
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: ConfigurationError.self) { try EmulatorProfile.load(from: url) }
        #expect(error?.key == key, "\(String(describing: error))")
        #expect(error?.file == url.path)
        #expect(error?.description.hasPrefix(url.path + ": " + key + ": ") == true)
    }

    @Test("a file that is not JSON, or missing, is refused with the file's name")
    func unreadable() throws {
        let url = try write("{ sensors: ")
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: ConfigurationError.self) { try EmulatorProfile.load(from: url) }
        #expect(error?.description.contains("not valid JSON") == true)
        let missing = #expect(throws: ConfigurationError.self) { try Scenario.load(from: URL(fileURLWithPath: "/nonexistent/scenario.json")) }
        #expect(missing?.description.contains("/nonexistent/scenario.json") == true)
    }

    @Test("bad scenarios are refused with the key that is wrong", arguments: [
        (#"{"anomalies":[{"device":"pump-01","kind":"wobble","at":1}]}"#, "anomalies[0].kind"),
        (#"{"anomalies":[{"device":"pump-01","kind":"spike"}]}"#, "anomalies[0].at"),
        (#"{"anomalies":[{"device":"pump-01","kind":"spike","at":-5}]}"#, "anomalies[0].at"),
        (#"{"anomalies":[{"device":"pump-01","kind":"correlation-break","at":5,"sensors":["current"]}]}"#, "anomalies[0].sensors"),
        (#"{"random":{"kinds":{"spike":0}}}"#, "random.kinds"),
        (#"{"random":{"kinds":{"spiky":1}}}"#, "random.kinds.spiky"),
        (#"{"random":{"magnitudes":{"spiky":1}}}"#, "random.magnitudes.spiky"),
        (#"{"random":{"meanIntervalSeconds":10,"minimumGapSeconds":60}}"#, "random.meanIntervalSeconds"),
    ])
    func badScenario(json: String, key: String) throws {
        let url = try write(json)
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: ConfigurationError.self) { try Scenario.load(from: url) }
        #expect(error?.key.hasPrefix(key) == true, "\(String(describing: error))")
        if key.hasSuffix("spiky") { #expect("\(String(describing: error))".contains("drift"), "the valid kinds are listed") }
    }

    @Test("a scenario naming a device or sensor the run does not have is refused when the run starts")
    func unknownNames() throws {
        let scenario = Scenario(anomalies: [ScriptedAnomaly(device: "pump-09", kind: .spike, at: 1)])
        let error = #expect(throws: ConfigurationError.self) { try Emulation(.init(scenario: scenario, origin: SimulationRun.origin)) }
        #expect(error?.key == "anomalies[0].device")
        let sensor = Scenario(anomalies: [ScriptedAnomaly(device: "pump-01", kind: .spike, at: 1, sensors: ["rpm"])])
        let sensorError = #expect(throws: ConfigurationError.self) { try Emulation(.init(scenario: sensor, origin: SimulationRun.origin)) }
        #expect(sensorError?.key == "anomalies[0].sensors[0]")
    }

    private func decodeProfile(_ json: String) throws -> EmulatorProfile {
        let url = try write(json)
        defer { try? FileManager.default.removeItem(at: url) }
        return try EmulatorProfile.load(from: url)
    }

    private func write(_ json: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("profile-\(UUID().uuidString).json")
        try json.write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}
