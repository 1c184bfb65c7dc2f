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
}
