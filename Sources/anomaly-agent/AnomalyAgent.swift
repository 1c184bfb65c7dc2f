import Agent
import ArgumentParser
import Foundation
import Logging

@main
struct AnomalyAgent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anomaly-agent",
        abstract: "Scores MQTT telemetry with an Isolation Forest and publishes anomaly events.",
        discussion: """
            The agent subscribes to sensors/{device}/telemetry, scores every message and publishes anomaly events to \
            alerts/{device}/anomaly, its health to alerts/agent/{agent}/health and its online/offline status to \
            alerts/agent/{agent}/status. Watch everything with: mosquitto_sub -t 'alerts/#' -v
            """,
        version: "0.1.0",
        subcommands: [Run.self, Train.self, Evaluate.self, Score.self, BenchmarkSKAB.self],
        defaultSubcommand: Run.self
    )

    /// ArgumentParser's main, plus a check that what the command printed reached stdout: on a full disk
    /// (`evaluate > report.txt`) the figures would otherwise be lost with exit status 0.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
        // fflush(nil): every output stream (stdout itself is off limits in Swift 6's strict concurrency).
        if fflush(nil) != 0 {
            FileHandle.standardError.write(Data("anomaly-agent: cannot write the output: \(String(cString: strerror(errno)))\n".utf8))
            Foundation.exit(1)
        }
    }
}
