import ArgumentParser

/// The emulator's command line: a thin front end over `Simulation` and `MQTT`.
@main
struct SensorEmulator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensor-emulator",
        abstract: "Emulate industrial sensors over MQTT, write training and test data sets, replay CSV files.",
        discussion: """
        Watch what it publishes with:  mosquitto_sub -t 'sensors/#' -v
        Every option has a default; see docs/emulator.md for the profile, scenario and CSV formats.
        """,
        subcommands: [PublishCommand.self, GenerateCommand.self, ReplayCommand.self])
}
