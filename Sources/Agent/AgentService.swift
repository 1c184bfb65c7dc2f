import Detection
import Foundation
import IsolationForest
import Logging
import Metrics
import MQTT
import Synchronization
import Telemetry

/// The agent: subscribes to telemetry, scores every message on the MQTT network thread (no task hop
/// per message), publishes anomaly events, health, status and rejected-message reports.
///
/// `run()` returns after `shutdown()` (SIGTERM/SIGINT in the executable): intake stops, `offline` is
/// published, the client disconnects. `reloadModel()` (SIGHUP, or a changed model file) switches models
/// between two messages.
public final class AgentService: Sendable {
    public let configuration: AgentConfiguration
    let logger: Logger
    let core: LockedCore
    let client: MQTTClient
    let startedAt = ContinuousClock.now
    /// What drives `run()` besides messages: a tick a second, reload and stop requests.
    enum Signal: Sendable { case tick, reload, stop }
    let signals: AsyncStream<Signal>
    let signalContinuation: AsyncStream<Signal>.Continuation
    /// Set by `shutdown()` as well, for waits before `run()` reads `signals`: a task that iterated the
    /// stream and was cancelled would finish the stream for good.
    let stopRequested = Atomic<Bool>(false)
    /// Where `run()` and its tasks execute, away from the cooperative pool the HTTP server shares.
    public let executor: any TaskExecutor = DedicatedExecutor(name: "edge-anomaly")
    /// Whether the log has said that no telemetry matches the model's sensors (said once per spell).
    let sensorMismatchLogged = Atomic<Bool>(false)
    let modelFileStamp = Mutex<Date?>(nil)

    /// Loads the model (or prepares learn mode) and creates the MQTT client; nothing touches the network yet.
    /// - Throws: `ConfigurationError`, `ModelFileError`, `DetectionError` or `MQTTError`, each saying what is wrong.
    public init(configuration given: AgentConfiguration, logger: Logger) throws {
        var adjusted = given
        adjusted.detection.agent = given.agent  // events name the agent that made them
        let configuration = adjusted
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        let now = Double(Timestamp.now().milliseconds) / 1000
        var initial = AgentCore(limiter: ErrorReportLimiter(rate: configuration.health.errorReportsPerSecond, now: now))
        if configuration.http.enabled {
            initial.live = LiveView(seriesPoints: configuration.http.seriesPoints, recentEvents: configuration.http.recentEvents)
        }
        let journal = try EventJournal(path: configuration.store.path, limits: .init(
            maxEntries: configuration.store.maxEvents, maxBytes: configuration.store.maxBytes, maxAgeSeconds: configuration.store.maxAgeSeconds))
        if FileManager.default.fileExists(atPath: configuration.model.path) {
            let model: AnomalyModel
            do {
                model = try AnomalyModel(contentsOfFile: configuration.model.path)
                initial.detector = try Detector(model: model, configuration: configuration.detection, eventNumberFloor: journal.eventNumberFloor)
            } catch {
                // Named, so that a broken model file is not read as a broken configuration file.
                throw ModelFileProblem(path: configuration.model.path, problem: error)
            }
            modelFileStamp.withLock { $0 = Self.modificationDate(configuration.model.path) }
            logger.info("model loaded", metadata: ["model": "\(model.id)", "features": "\(model.featureNames)", "path": "\(configuration.model.path)"])
        } else if configuration.learn.seconds > 0 {
            initial.learner = Learner(configuration: configuration.learn, detection: configuration.detection)
            logger.info("no model file: learning from \(configuration.learn.seconds) s of telemetry first",
                        metadata: ["path": "\(configuration.model.path)"])
        } else {
            throw ConfigurationError(key: "model.path", "\(configuration.model.path) does not exist; train a model first "
                                     + "(anomaly-agent train) or let the agent learn one (--learn 10m)")
        }
        core = LockedCore(initial)
        (signals, signalContinuation) = AsyncStream.makeStream(of: Signal.self, bufferingPolicy: .bufferingNewest(16))

        var mqtt = MQTTConfiguration(host: configuration.broker.host, port: configuration.broker.port, clientID: configuration.clientID)
        mqtt.keepAlive = configuration.broker.keepAlive
        mqtt.cleanSession = configuration.broker.cleanSession
        mqtt.username = configuration.broker.username
        mqtt.password = try configuration.resolvePassword()
        mqtt.protocolVersion = configuration.broker.protocolVersion == "5" ? .v5 : .v311
        mqtt.reconnectDelay = configuration.broker.reconnectMinSeconds...configuration.broker.reconnectMaxSeconds
        if let tls = configuration.broker.tls {
            mqtt.tls = .init(caFile: tls.caFile, caDirectory: tls.caDirectory, certificateFile: tls.certificateFile, keyFile: tls.keyFile,
                             verifyHostname: tls.verifyHostname ?? true)
        }
        mqtt.will = .init(topic: try configuration.topics.status.render(["agent": configuration.agent]),
                          payload: Self.encode(AgentStatus(agent: configuration.agent, state: .offline, ts: .now())), qos: .atLeastOnce, retain: true)
        mqtt.delivery = .handler
        let outbox = Outbox(journal: journal)
        let core = self.core
        let topics = try Self.renderTopics(configuration)
        let client = try MQTTClient(configuration: mqtt, logger: logger) { message in
            AgentService.handle(message, core: core, outbox: outbox, configuration: configuration, topics: topics, logger: logger)
        }
        outbox.client.withLock { $0 = client }
        self.client = client
        self.outbox = outbox
        self.topics = topics
    }

    let outbox: Outbox
    let topics: RenderedTopics
    /// The last health report, for the dashboard and the API.
    let lastHealth = Mutex<HealthReport?>(nil)
    let accuracyCache = Mutex<(key: AccuracyKey, accuracy: LiveAccuracy)?>(nil)
    let deviceListCache = Mutex<(second: Int64, devices: [LiveDevice])?>(nil)

    /// Asks `run()` to stop: no more intake, `offline` status, disconnect.
    public func shutdown() {
        stopRequested.store(true, ordering: .sequentiallyConsistent)
        signalContinuation.yield(.stop)
    }

    /// Asks `run()` to load the model file again (SIGHUP).
    public func requestReload() { signalContinuation.yield(.reload) }

    /// The MQTT client's counters (for tests and health).
    public var mqttStatistics: MQTTClientStatistics { client.statistics }
}

/// Topics that do not depend on the device, rendered once.
struct RenderedTopics: Sendable {
    let health: String
    let status: String
    let errors: String
    let telemetryFilter: String
}

/// The agent's hot-path state behind one lock, shareable with the MQTT handler.
final class LockedCore: Sendable {
    private let mutex: Mutex<AgentCore>
    /// The swift-metrics handles, thread-safe on their own: usable without the lock.
    let handles: MetricHandles
    init(_ core: AgentCore) {
        handles = core.handles
        mutex = Mutex(core)
    }

    @inline(__always)
    func withLock<R, E: Error>(_ body: (inout AgentCore) throws(E) -> R) throws(E) -> R {
        try mutex.withLock { (core: inout sending AgentCore) throws(E) -> sending R in try body(&core) }
    }
}

/// Lets the message handler, created before the client, publish through it. Cleared at shutdown to
/// break the client → handler → outbox → client cycle.
final class Outbox: Sendable {
    let client = Mutex<MQTTClient?>(nil)
    /// Events go through the journal: written first, published by the forwarder, marked done on PUBACK.
    let journal: EventJournal
    let wake: AsyncStream<Void>.Continuation
    let wakeups: AsyncStream<Void>

    init(journal: EventJournal) {
        self.journal = journal
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func current() -> MQTTClient? { client.withLock { $0 } }
}

extension AgentService {
    static func renderTopics(_ configuration: AgentConfiguration) throws -> RenderedTopics {
        let agent = ["agent": configuration.agent]
        return RenderedTopics(health: try configuration.topics.health.render(agent), status: try configuration.topics.status.render(agent),
                              errors: try configuration.topics.errors.render(agent),
                              telemetryFilter: configuration.broker.sharedSubscriptionGroup.map { "$share/\($0)/" }.map { $0 + configuration.topics.telemetry.filter() }
                                  ?? configuration.topics.telemetry.filter())
    }

    /// A payload as the agent publishes it (sorted keys, slashes as they are).
    public static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Our payload types always encode.
        return Array((try? encoder.encode(value)) ?? Data())
    }

    static func modificationDate(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    /// The hot path, on the MQTT network thread: one lock for the detector, then journal what it produced
    /// for the forwarder (one append per event, no I/O per message).
    static func handle(_ message: MQTTMessage, core: LockedCore, outbox: Outbox, configuration: AgentConfiguration,
                       topics: RenderedTopics, logger: Logger) {
        let now = Timestamp.now()
        let actions = core.withLock {
            $0.handle(topic: message.topic, payload: message.payload, configuration: configuration, now: now, connection: message.connection)
        }
        guard actions.event != nil || actions.errorReport != nil, let client = outbox.current() else { return }
        if let event = actions.event {
            do {
                let topic = try configuration.topics.anomaly.render(["device": event.device])
                if let number = actions.eventNumber, !outbox.journal.reserveEventNumber(number) {
                    logger.warning("could not record the event-number reservation; ids may repeat after a quick restart",
                                   metadata: ["path": "\(outbox.journal.path).lock"])
                }
                // Journal first: from here on the event survives a broker outage and a crash of this process.
                let now = Timestamp.now()
                outbox.journal.append(topic: topic, payload: encode(event), historical: !client.isConnected, at: now.milliseconds,
                                      connection: client.statistics.connects)
                outbox.wake.yield()
                if let ts = actions.ts {
                    let microseconds = Double(now.milliseconds - ts.milliseconds) * 1000
                    core.withLock { $0.metrics.endToEnd.record(microseconds: microseconds) }
                    core.handles.endToEnd.recordMicroseconds(max(0, microseconds))
                }
                logger.info("anomaly event", metadata: ["device": "\(event.device)", "state": "\(event.state.rawValue)", "event_id": "\(event.eventID)",
                                                        "score": "\(event.score)", "top": "\(event.contributors.first?.sensor ?? "-")"])
            } catch {
                core.withLock { $0.metrics.publishFailures += 1 }
                logger.error("could not queue an anomaly event", metadata: ["event_id": "\(event.eventID)", "error": "\(error)"])
            }
        }
        if let report = actions.errorReport {
            try? client.publishWithoutWaiting(topics.errors, payload: encode(report), qos: .atMostOnce)
        }
    }
}

extension AgentService {
    /// Counts since start, read under the hot path's lock (for benchmarks, tests and status pages).
    public struct Counters: Sendable, Equatable {
        public var received: Int
        public var scored: Int
        public var rejected: Int
        public var eventsOpened: Int
    }

    public var counters: Counters {
        core.withLock { Counters(received: $0.metrics.received, scored: $0.metrics.scored, rejected: $0.metrics.rejected,
                                 eventsOpened: $0.metrics.opened) }
    }
}

/// A model file the agent cannot start with, and why.
public struct ModelFileProblem: Error, CustomStringConvertible {
    public let path: String
    public let problem: any Error
    public var description: String { "model file \(path): \(problem)" }
}
