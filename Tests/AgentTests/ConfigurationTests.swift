import Agent
import Detection
import Foundation
import Testing

@Suite("Agent configuration")
struct ConfigurationTests {
    func load(_ json: String) throws(ConfigurationError) -> AgentConfiguration {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString).json")
        try? Data(json.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try AgentConfiguration.load(file: url.path)
    }

    @Test("The example configuration in config/ loads and validates")
    func example() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("config/agent.json")
        let configuration = try AgentConfiguration.load(file: url.path)
        try configuration.validate()
        #expect(configuration.broker.port == 1883)
    }

    @Test("Keys left out keep their defaults")
    func defaults() throws {
        let configuration = try load(#"{"broker": {"port": 1884}}"#)
        #expect(configuration.broker.port == 1884)
        #expect(configuration.broker.host == "127.0.0.1")
        #expect(configuration.detection.events.openCount == 3)
        #expect(configuration.store.maxInFlight == 20)
        #expect(try load(#"{"store": {"maxInFlight": 1}}"#).store.maxInFlight == 1)
    }

    @Test("Errors name the key", arguments: [
        (#"{"broker": {"prot": 1}}"#, "broker.prot"),
        (#"{"broker": {"port": "high"}}"#, "broker.port"),
        (#"{"detection": {"events": {"openCount": 1.5}}}"#, "detection.events.openCount"),
        (#"{"topics": {"telemetry": "sensors/#"}}"#, "topics.telemetry"),
        (#"{"topics": {"anomaly": "alerts/anomaly"}}"#, "topics.anomaly"),
        (#"{"learn": {"derived": ["median"]}}"#, "learn.derived"),
        (#"[1, 2]"#, "(file)"),
        (#"{"agent": "a", "agent": "b"}"#, "(file)"),
    ])
    func namedErrors(json: String, key: String) {
        #expect(throws: ConfigurationError.self) { try load(json) }
        do { _ = try load(json) } catch { #expect(error.key == key, "\(error)") }
    }

    /// Found by `make fuzz` (Fuzz/corpus/configuration/crash-empty-key.json): `{"": …}` gave an error
    /// whose key was empty, "configuration key : is not a known key".
    @Test("An unknown key that is empty or unprintable is quoted in the error", arguments: [
        (#"{"": 1}"#, #""""#),
        (#"{"broker": {"": 1}}"#, #"broker."""#),
        (#"{"a\u0007b": 1}"#, "a\u{07}b".debugDescription),
        (#"{"ünïcode-key_1.x": 1}"#, "ünïcode-key_1.x"),
    ])
    func unknownKeyQuoted(json: String, key: String) {
        do {
            _ = try AgentConfiguration.load(json: Data(json.utf8))
            Issue.record("\(json) was accepted")
        } catch {
            #expect(error.key == key, "\(error)")
            #expect(error.problem == "is not a known key")
        }
    }

    @Test("Validation names the key", arguments: [
        (#"{"broker": {"port": 70000}}"#, "broker.port"),
        (#"{"agent": "a/b"}"#, "agent"),
        (#"{"detection": {"events": {"openCount": 9, "openWindow": 5}}}"#, "detection"),
        (#"{"logLevel": "loud"}"#, "logLevel"),
        (#"{"store": {"maxInFlight": 0}}"#, "store.maxInFlight"),
        (#"{"detection": {"maximumPayloadBytes": 1000000000000}}"#, "detection"),
        (#"{"detection": {"maximumPayloadBytes": 63}}"#, "detection"),
    ])
    func validation(json: String, key: String) throws {
        let configuration = try load(json)
        do {
            try configuration.validate()
            Issue.record("\(json) validated")
        } catch {
            #expect(error.key == key, "\(error)")
        }
    }

    @Test("The password comes from a file or the environment, never a flag")
    func password() throws {
        var configuration = AgentConfiguration()
        #expect(try configuration.resolvePassword(["EDGE_ANOMALY_MQTT_PASSWORD": "from-env"]) == "from-env")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pw-\(UUID().uuidString)")
        try Data("s3cret\nignored\n".utf8).write(to: file)
        configuration.broker.passwordFile = file.path
        #expect(try configuration.resolvePassword(["EDGE_ANOMALY_MQTT_PASSWORD": "from-env"]) == "s3cret")
        configuration.broker.passwordFile = "/nonexistent"
        #expect(throws: ConfigurationError.self) { try configuration.resolvePassword() }
    }

    @Test("Environment variables override the file")
    func environment() throws {
        var configuration = try load(#"{"broker": {"host": "file-host"}}"#)
        try configuration.applyEnvironment(["EDGE_ANOMALY_BROKER_HOST": "env-host", "EDGE_ANOMALY_BROKER_PORT": "2883"])
        #expect(configuration.broker.host == "env-host" && configuration.broker.port == 2883)
        #expect(throws: ConfigurationError.self) { try configuration.applyEnvironment(["EDGE_ANOMALY_BROKER_PORT": "x"]) }
    }
}
