import Agent
import AgentHTTP
import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the agent until SIGTERM or SIGINT (SIGHUP reloads the model).",
        discussion: """
            Settings come from the configuration file (see config/agent.json, every key explained), then from \
            environment variables (EDGE_ANOMALY_BROKER_HOST, EDGE_ANOMALY_BROKER_PORT, EDGE_ANOMALY_BROKER_USERNAME, EDGE_ANOMALY_AGENT, \
            EDGE_ANOMALY_MODEL, EDGE_ANOMALY_LOG_LEVEL), then from these flags. The broker password is read from \
            broker.passwordFile or the environment variable EDGE_ANOMALY_MQTT_PASSWORD, never from a flag.
            """)

    @Option(name: .long, help: "Configuration file (JSON).")
    var config: String?

    @Option(name: .long, help: "Broker host (default 127.0.0.1).")
    var brokerHost: String?

    @Option(name: .long, help: "Broker port (default 1883).")
    var brokerPort: Int?

    @Option(name: .long, help: "Broker username (the password comes from a file or EDGE_ANOMALY_MQTT_PASSWORD).")
    var username: String?

    @Option(name: .long, help: "File holding the broker password.")
    var passwordFile: String?

    @Option(name: .long, help: "Join this shared subscription group so several agents split the telemetry (per-message features only).")
    var sharedGroup: String?

    @Option(name: .long, help: "This agent's id, used in topics and events (default agent-01).")
    var agentID: String?

    @Option(name: .long, help: "Model file (default model.json). Reloaded on SIGHUP and when it changes.")
    var model: String?

    @Option(name: .long, help: "With no model file: learn from this much telemetry first, e.g. 10m, 90s, 1h.")
    var learn: String?

    @Option(name: .long, help: "Seconds between health reports (default 5).")
    var healthInterval: Double?

    @Option(name: .long, help: "Dashboard, API and /metrics address (default 127.0.0.1; any other needs a token in http.tokenFile or EDGE_ANOMALY_HTTP_TOKEN).")
    var httpAddress: String?

    @Option(name: .long, help: "Dashboard, API and /metrics port (default 8080; 0 picks a free one).")
    var httpPort: Int?

    @Flag(name: .long, help: "Serve no dashboard, API or /metrics.")
    var noHTTP = false

    @Option(name: .long, help: "The emulator whose control topic the dashboard's Pause/Resume/Reset/Inject buttons publish to (demo only).")
    var emulator: String?

    @Option(name: .long, help: "The on-disk outbox of events (default event-journal.jsonl in the working directory).")
    var storePath: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical (default info).")
    var logLevel: String?

    func run() async throws {
        var configuration = AgentConfiguration()
        do {
            if let config { configuration = try AgentConfiguration.load(file: config) }
            try configuration.applyEnvironment()
            try applyFlags(to: &configuration)
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "edge-anomaly.agent")
        logger.logLevel = level
        // Before the service creates its metric handles: they bind to the backend bootstrapped here.
        let registry = PrometheusCollectorRegistry()
        if configuration.http.enabled { MetricsSystem.bootstrap(PrometheusMetricsFactory.agent(registry: registry)) }
        let service: AgentService
        let dashboard: DashboardServer?
        do {
            service = try AgentService(configuration: configuration, logger: logger)
            dashboard = configuration.http.enabled ? try DashboardServer(service: service, registry: registry, logger: logger) : nil
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
        let signals = SignalHandlers.install(onStop: { service.shutdown() }, onReload: { service.requestReload() })
        defer { signals.cancel() }
        let serving = Task {
            // A port still held (by the agent this one replaces, say) must not cost the dashboard for good: it
            // tries again until it can listen.
            while !Task.isCancelled {
                do {
                    try await dashboard?.run()
                    return
                } catch {
                    if Task.isCancelled { return }
                    // The alerts matter more than the dashboard: keep scoring, say loudly what is missing.
                    logger.error("dashboard not available; trying again in 5 s",
                                 metadata: ["address": "\(configuration.http.address):\(configuration.http.port)", "error": "\(error)"])
                    try? await Task.sleep(for: .seconds(5))
                }
            }
        }
        // The agent's own thread, not the cooperative pool, carries the shutdown: busy HTTP handlers must not
        // hold up the exit (systemd would SIGKILL after 90 s, losing the journal's tidy close).
        try await withTaskExecutorPreference(service.executor) {
            try await service.run()
            serving.cancel()
            dashboard?.stop()
        }
    }

    func applyFlags(to configuration: inout AgentConfiguration) throws(ConfigurationError) {
        if let brokerHost { configuration.broker.host = brokerHost }
        if let brokerPort { configuration.broker.port = brokerPort }
        if let username { configuration.broker.username = username }
        if let passwordFile { configuration.broker.passwordFile = passwordFile }
        if let agentID { configuration.agent = agentID }
        if let model { configuration.model.path = model }
        if let sharedGroup { configuration.broker.sharedSubscriptionGroup = sharedGroup }
        if let learn {
            guard let seconds = DurationParser.seconds(learn) else {
                throw ConfigurationError(key: "--learn", "\(learn.debugDescription) is not a duration such as 90s, 10m or 1h")
            }
            configuration.learn.seconds = seconds
        }
        if let healthInterval { configuration.health.intervalSeconds = healthInterval }
        if let logLevel { configuration.logLevel = logLevel }
        if let storePath { configuration.store.path = storePath }
        if let httpAddress { configuration.http.address = httpAddress }
        if let httpPort { configuration.http.port = httpPort }
        if noHTTP { configuration.http.enabled = false }
        if let emulator { configuration.http.emulator = emulator }
    }
}

/// `90`, `90s`, `10m`, `1h`, `1.5h` → seconds.
enum DurationParser {
    static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let last = text.last else { return nil }
        let (number, unit) = units[last].map { (text.dropLast(), $0) } ?? (Substring(text), 1)
        guard let value = Double(number), value >= 0, value.isFinite else { return nil }
        return value * unit
    }
}
