import ArgumentParser
import Foundation
import Simulation

/// What to emulate: shared by `publish` and `generate`.
struct EmulationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A profile file: sensors, devices, operating cycle (default: built in, the same as config/emulator-profile.json).", valueName: "file"))
    var profile: String?

    @Option(help: ArgumentHelp("A scenario file: scripted anomalies and/or a random schedule (default: built in, the same as config/scenario-default.json).", valueName: "file"))
    var scenario: String?

    @Flag(help: "Inject no anomalies at all (normal data only).")
    var noAnomalies = false

    @Option(help: "How many devices: the profile's first ones, then <devicePrefix>NN (default: the profile's devices, 4).")
    var devices: Int?

    @Option(help: "Readings per second per device.")
    var rate = 1.0

    @Option(help: "Seed of every random choice: the same seed gives the same data.")
    var seed: UInt64 = 42

    func validate() throws {
        if let devices, devices < 1 { throw ValidationError("--devices must be at least 1") }
        guard rate > 0, rate <= 10_000 else { throw ValidationError("--rate must be above 0 and at most 10000 readings per second") }
        if noAnomalies, scenario != nil { throw ValidationError("--no-anomalies and --scenario contradict each other") }
    }

    /// The profile and scenario, loaded and checked.
    func load() throws -> (profile: EmulatorProfile, scenario: Scenario?) {
        do {
            let profile = try profile.map { try EmulatorProfile.load(from: URL(fileURLWithPath: $0)) } ?? .default
            let scenario = noAnomalies ? nil : try scenario.map { try Scenario.load(from: URL(fileURLWithPath: $0)) } ?? .default
            return (profile, scenario)
        } catch let error as ConfigurationError {
            throw EmulatorError(error.description)
        }
    }
}

/// How to send: shared by `publish` and `replay`.
struct SendingOptions: ParsableArguments {
    @Option(help: "Telemetry QoS: 0 (at most once) or 1 (at least once). Ground truth always goes at QoS 1.")
    var qos = 0

    @Flag(help: "Publish telemetry retained (the broker keeps each device's last message).")
    var retain = false

    @Option(help: "Send K times faster than real time: emulated time (publish) or the file's time (replay) passes K times faster.")
    var speedup = 1.0

    @Flag(name: [.customLong("max-rate"), .customLong("as-fast-as-possible")],
          help: "Send as fast as the broker takes it, without pacing (the messages' timestamps do not change).")
    var asFastAsPossible = false

    @Option(help: ArgumentHelp("Seconds between progress lines on standard error (0: none).", valueName: "seconds"))
    var progressInterval = 5.0

    @Option(help: ArgumentHelp("Topic template for telemetry.", valueName: "template"))
    var telemetryTopic = "sensors/{device}/telemetry"

    @Option(help: ArgumentHelp("Topic template for ground truth.", valueName: "template"))
    var truthTopic = "sensors/{device}/truth"

    func validate() throws {
        guard qos == 0 || qos == 1 else { throw ValidationError("--qos must be 0 or 1 (the telemetry contract allows no other)") }
        guard speedup > 0, speedup.isFinite else { throw ValidationError("--speedup must be a positive number") }
        guard progressInterval >= 0 else { throw ValidationError("--progress-interval must not be negative") }
    }

    var pace: Pacer.Mode { asFastAsPossible ? .asFastAsPossible : .paced(speedup: speedup) }
}
