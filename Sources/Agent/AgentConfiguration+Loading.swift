import Detection
import Foundation
import Telemetry

extension AgentConfiguration {
    /// Reads a configuration file. Keys left out keep their defaults; unknown keys are errors.
    public static func load(file path: String) throws(ConfigurationError) -> AgentConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(key: "(file)", "cannot read \(path)")
        }
        return try load(json: data)
    }

    /// Reads a configuration document (UTF-8 JSON) held in memory: what `load(file:)` does after
    /// reading the file, exposed so the fuzz target and tests reach the parser without a file.
    public static func load(json data: Data) throws(ConfigurationError) -> AgentConfiguration {
        var configuration = AgentConfiguration()
        var reader = try ConfigurationReader(json: data)
        try configuration.apply(&reader)
        return configuration
    }

    mutating func apply(_ root: inout ConfigurationReader) throws(ConfigurationError) {
        agent = try root.string("agent") ?? agent
        logLevel = try root.string("logLevel") ?? logLevel
        if var section = try root.object("broker") {
            broker.host = try section.string("host") ?? broker.host
            broker.port = try section.int("port") ?? broker.port
            broker.clientID = try section.string("clientID") ?? broker.clientID
            broker.username = try section.string("username") ?? broker.username
            broker.passwordFile = try section.string("passwordFile") ?? broker.passwordFile
            broker.passwordEnvironment = try section.string("passwordEnvironment") ?? broker.passwordEnvironment
            broker.protocolVersion = try section.string("protocolVersion") ?? broker.protocolVersion
            broker.keepAlive = try section.int("keepAlive") ?? broker.keepAlive
            broker.cleanSession = try section.bool("cleanSession") ?? broker.cleanSession
            broker.telemetryQoS = try section.int("telemetryQoS") ?? broker.telemetryQoS
            broker.sharedSubscriptionGroup = try section.string("sharedSubscriptionGroup") ?? broker.sharedSubscriptionGroup
            broker.reconnectMinSeconds = try section.int("reconnectMinSeconds") ?? broker.reconnectMinSeconds
            broker.reconnectMaxSeconds = try section.int("reconnectMaxSeconds") ?? broker.reconnectMaxSeconds
            if var tls = try section.object("tls") {
                broker.tls = Broker.TLS(caFile: try tls.string("caFile"), caDirectory: try tls.string("caDirectory"),
                                        certificateFile: try tls.string("certificateFile"), keyFile: try tls.string("keyFile"),
                                        verifyHostname: try tls.bool("verifyHostname"))
                try tls.finish()
            }
            try section.finish()
        }
        if var section = try root.object("topics") {
            func template(_ name: String, _ current: TopicTemplate, _ section: inout ConfigurationReader) throws(ConfigurationError) -> TopicTemplate {
                guard let text = try section.string(name) else { return current }
                do { return try TopicTemplate(text) } catch { throw ConfigurationError(key: "topics.\(name)", error.reason) }
            }
            topics.telemetry = try template("telemetry", topics.telemetry, &section)
            topics.truth = try template("truth", topics.truth, &section)
            topics.anomaly = try template("anomaly", topics.anomaly, &section)
            topics.health = try template("health", topics.health, &section)
            topics.status = try template("status", topics.status, &section)
            topics.errors = try template("errors", topics.errors, &section)
            topics.control = try template("control", topics.control, &section)
            try section.finish()
            for (name, template, placeholder) in [("telemetry", topics.telemetry, "device"), ("anomaly", topics.anomaly, "device"),
                                                  ("health", topics.health, "agent"), ("status", topics.status, "agent"),
                                                  ("errors", topics.errors, "agent")] where !template.placeholders.contains(placeholder) {
                throw ConfigurationError(key: "topics.\(name)", "must contain {\(placeholder)}")
            }
        }
        if var section = try root.object("model") {
            model.path = try section.string("path") ?? model.path
            model.watchSeconds = try section.double("watchSeconds") ?? model.watchSeconds
            try section.finish()
        }
        if var section = try root.object("learn") {
            learn.seconds = try section.double("seconds") ?? learn.seconds
            learn.sensors = try section.strings("sensors") ?? learn.sensors
            if let names = try section.strings("derived") {
                learn.derived = try names.map { (name) throws(ConfigurationError) -> FeatureSpec.Derived in
                    guard let kind = FeatureSpec.Derived(rawValue: name) else {
                        throw ConfigurationError(key: "learn.derived", "\(name.debugDescription) is not one of \(FeatureSpec.Derived.names)")
                    }
                    return kind
                }
            }
            learn.window = try section.int("window") ?? learn.window
            learn.trees = try section.int("trees") ?? learn.trees
            learn.contamination = try section.double("contamination") ?? learn.contamination
            learn.seed = UInt64(max(0, try section.int("seed") ?? Int(learn.seed)))
            try section.finish()
        }
        if var section = try root.object("detection") {
            detection.envelopeTolerance = try section.double("envelopeTolerance") ?? detection.envelopeTolerance
            detection.maximumPayloadBytes = try section.int("maximumPayloadBytes") ?? detection.maximumPayloadBytes
            detection.maximumDevices = try section.int("maximumDevices") ?? detection.maximumDevices
            detection.maximumContributors = try section.int("maximumContributors") ?? detection.maximumContributors
            if var events = try section.object("events") {
                detection.events.openCount = try events.int("openCount") ?? detection.events.openCount
                detection.events.openWindow = try events.int("openWindow") ?? detection.events.openWindow
                detection.events.closeAfter = try events.int("closeAfter") ?? detection.events.closeAfter
                detection.events.updateGrowth = try events.double("updateGrowth") ?? detection.events.updateGrowth
                detection.events.updateInterval = Int64(try events.int("updateIntervalMilliseconds") ?? Int(detection.events.updateInterval))
                detection.events.criticalMargin = try events.double("criticalMargin") ?? detection.events.criticalMargin
                try events.finish()
            }
            if var quality = try section.object("dataQuality") {
                detection.dataQuality.stuckFactor = try quality.double("stuckFactor") ?? detection.dataQuality.stuckFactor
                detection.dataQuality.missingAfter = try quality.int("missingAfter") ?? detection.dataQuality.missingAfter
                try quality.finish()
            }
            try section.finish()
        }
        if var section = try root.object("health") {
            health.intervalSeconds = try section.double("intervalSeconds") ?? health.intervalSeconds
            health.staleAfterSeconds = try section.double("staleAfterSeconds") ?? health.staleAfterSeconds
            health.errorReportsPerSecond = try section.double("errorReportsPerSecond") ?? health.errorReportsPerSecond
            health.errorPayloadBytes = try section.int("errorPayloadBytes") ?? health.errorPayloadBytes
            try section.finish()
        }
        if var section = try root.object("store") {
            store.path = try section.string("path") ?? store.path
            store.maxEvents = try section.int("maxEvents") ?? store.maxEvents
            store.maxBytes = try section.int("maxBytes") ?? store.maxBytes
            store.maxAgeSeconds = try section.double("maxAgeSeconds") ?? store.maxAgeSeconds
            store.maxInFlight = try section.int("maxInFlight") ?? store.maxInFlight
            try section.finish()
        }
        if var section = try root.object("http") {
            http.enabled = try section.bool("enabled") ?? http.enabled
            http.address = try section.string("address") ?? http.address
            http.port = try section.int("port") ?? http.port
            http.tokenFile = try section.string("tokenFile") ?? http.tokenFile
            http.tokenEnvironment = try section.string("tokenEnvironment") ?? http.tokenEnvironment
            http.seriesPoints = try section.int("seriesPoints") ?? http.seriesPoints
            http.recentEvents = try section.int("recentEvents") ?? http.recentEvents
            http.groundTruth = try section.bool("groundTruth") ?? http.groundTruth
            http.emulator = try section.string("emulator") ?? http.emulator
            http.chartJS = try section.string("chartJS") ?? http.chartJS
            try section.finish()
        }
        try root.finish()
        detection.agent = agent
    }

    /// Environment overrides: `EDGE_ANOMALY_AGENT`, `EDGE_ANOMALY_BROKER_HOST`, `EDGE_ANOMALY_BROKER_PORT`,
    /// `EDGE_ANOMALY_BROKER_USERNAME`, `EDGE_ANOMALY_MODEL`, `EDGE_ANOMALY_LOG_LEVEL`.
    public mutating func applyEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) {
        if let value = environment["EDGE_ANOMALY_AGENT"] { agent = value; detection.agent = value }
        if let value = environment["EDGE_ANOMALY_BROKER_HOST"] { broker.host = value }
        if let value = environment["EDGE_ANOMALY_BROKER_PORT"] {
            guard let port = Int(value) else { throw ConfigurationError(key: "EDGE_ANOMALY_BROKER_PORT", "\(value.debugDescription) is not a port") }
            broker.port = port
        }
        if let value = environment["EDGE_ANOMALY_BROKER_USERNAME"] { broker.username = value }
        if let value = environment["EDGE_ANOMALY_MODEL"] { model.path = value }
        if let value = environment["EDGE_ANOMALY_LOG_LEVEL"] { logLevel = value }
    }

    /// The broker password: from `broker.passwordFile` (first line), else from the environment variable
    /// named by `broker.passwordEnvironment`, else none. Never from the command line, where `ps` shows it.
    public func resolvePassword(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> String? {
        if let file = broker.passwordFile {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ConfigurationError(key: "broker.passwordFile", "cannot read \(file)")
            }
            return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        }
        return environment[broker.passwordEnvironment]
    }
}
