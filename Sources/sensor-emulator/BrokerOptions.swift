import ArgumentParser
import Foundation
import Logging
import MQTT

/// Where the broker is and how to log in: shared by `publish` and `replay`.
struct BrokerOptions: ParsableArguments {
    @Option(help: "Broker host name or address.")
    var host = "127.0.0.1"

    @Option(help: "Broker port (1883 plain, usually 8883 with TLS).")
    var port = 1883

    @Option(help: "User name for the broker's password authentication.")
    var username: String?

    @Option(help: ArgumentHelp("A file whose first line is the password (kept off the command line and out of `ps`).", valueName: "file"))
    var passwordFile: String?

    @Flag(help: "Use TLS, trusting the system's CA certificates unless --ca-file or --ca-path says otherwise.")
    var tls = false

    @Option(help: ArgumentHelp("A PEM file of CA certificates to trust for TLS (implies --tls).", valueName: "file"))
    var caFile: String?

    @Option(help: ArgumentHelp("A directory of CA certificates to trust for TLS (implies --tls).", valueName: "directory"))
    var caPath: String?

    @Option(help: "The MQTT client id (default: sensor-emulator-<process id>).")
    var clientId: String?

    @Option(help: "MQTT protocol version: 3.1.1 or 5.")
    var mqttVersion = "3.1.1"

    @Flag(help: "Log the MQTT client's own messages (connection changes, libmosquitto debug output).")
    var verbose = false

    func validate() throws {
        guard (1...65_535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
        guard MQTTConfiguration.ProtocolVersion(rawValue: mqttVersion) != nil else {
            throw ValidationError("--mqtt-version must be 3.1.1 or 5")
        }
    }

    var address: String { "\(host):\(port)" }

    func configuration() throws -> MQTTConfiguration {
        var configuration = MQTTConfiguration(host: host, port: port, clientID: clientId ?? "sensor-emulator-\(getpid())")
        configuration.username = username
        if let passwordFile {
            guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
                throw EmulatorError("--password-file \(passwordFile): cannot be read")
            }
            configuration.password = String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
                .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
        }
        if tls || caFile != nil || caPath != nil {
            configuration.tls = .init(caFile: caFile, caDirectory: caPath ?? (caFile == nil ? "/etc/ssl/certs" : nil))
        }
        configuration.protocolVersion = MQTTConfiguration.ProtocolVersion(rawValue: mqttVersion) ?? .v311
        // A gateway's broker is usually next to it and restarts in seconds: retry every 2 s at most
        // (libmosquitto waits 1 s, then 2 s) rather than backing off to the default 30 s.
        configuration.reconnectDelay = 1...2
        configuration.connectTimeout = 10
        configuration.delivery = .stream(capacity: 256)
        return configuration
    }

    /// A connected client, or an error that says what to do.
    func connect() async throws -> MQTTClient {
        var logger = Logger(label: "edge-anomaly.sensor-emulator.mqtt")
        // The run loop reports connection changes in plain words; the client's own log is for --verbose.
        logger.logLevel = verbose ? .debug : .critical
        let client: MQTTClient
        do {
            client = try MQTTClient(configuration: try configuration(), logger: logger)
        } catch let error as MQTTError {
            throw EmulatorError("cannot set up the MQTT client: \(error.message)")
        }
        do {
            try await client.connect()
        } catch let error as MQTTError {
            await client.shutdown()
            throw EmulatorError(explain(error))
        }
        return client
    }

    private func explain(_ error: MQTTError) -> String {
        switch error.code {
        case .unreachable where error.isHostLookupFailure:
            return "cannot resolve the broker's host name \(host.debugDescription) (\(error.message)): check --host."
        case .unreachable, .connectionLost:
            return "cannot reach an MQTT broker at \(address) (\(error.message)). Start one with `mosquitto -p \(port)` "
                + "(Debian: sudo apt-get install mosquitto mosquitto-clients), or point --host/--port at yours."
        case .badCredentials, .notAuthorized:
            return "the broker at \(address) refused the login (\(error.message)): check --username and --password-file."
        case .tls:
            return "TLS with the broker at \(address) failed (\(error.message)): check --ca-file/--ca-path and that the broker speaks TLS on port \(port)."
        case .timeout:
            return "no answer from a broker at \(address) within 10 s: is something else listening there, or does it expect TLS (--tls)?"
        default:
            return "cannot connect to the broker at \(address): \(error)"
        }
    }
}
