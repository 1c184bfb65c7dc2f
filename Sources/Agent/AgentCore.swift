import Detection
import Foundation
import IsolationForest
import Metrics
import Telemetry

/// Everything the hot path touches, owned by one lock: the detector (or the learner before there is a
/// model), the counters and the error-report limiter. Each call is short and never does I/O.
struct AgentCore: Sendable {
    var detector: Detector?
    var learner: Learner?
    var metrics = AgentMetrics()
    var limiter: ErrorReportLimiter
    /// The dashboard's view; nil when HTTP is off.
    var live: LiveView?
    let handles = MetricHandles()

    /// What the network thread must publish after handling one message.
    struct Actions: Sendable {
        var event: AnomalyEvent?
        /// The number in `event`'s id.
        var eventNumber: Int?
        var errorReport: RejectedMessage?
        /// Telemetry timestamp of the message, for end-to-end latency.
        var ts: Timestamp?
    }

    /// The connection the last message came on (`MQTTMessage.connection`).
    var connection = 0

    mutating func handle(topic: String, payload: [UInt8], configuration: AgentConfiguration, now: Timestamp, connection: Int = 1) -> Actions {
        if connection != self.connection {
            // Back from an outage: telemetry lost meanwhile is the outage's, not a dropout of every device.
            // Noted here, on the delivering thread, before the first message of the new connection is scored.
            if self.connection != 0 { detector?.noteOutage() }
            self.connection = connection
        }
        let topicDevice = configuration.topics.telemetry.value(of: "device", in: topic)
        // Not a telemetry topic: the ground truth the dashboard subscribed to (rare; decoded the slow way).
        if topicDevice == nil, live != nil, let truthDevice = configuration.topics.truth.value(of: "device", in: topic) {
            // Only for devices being scored, and only as the topic names them: the truth topic must not be a
            // way to grow the agent's memory with made-up devices.
            if payload.count <= 4096, let record = try? JSONDecoder().decode(GroundTruthRecord.self, from: Data(payload)),
               record.device == truthDevice, live?.series[truthDevice] != nil {
                live?.record(record)
            }
            return Actions()
        }
        metrics.received += 1
        var actions = Actions()
        var rejection: Rejection?
        // Mutated in place through `self`: a local copy would share the per-device dictionary's storage, and
        // the first write would copy every device's state, on every message.
        if detector != nil {
            let started = ContinuousClock.now
            let outcome = payload.withUnsafeBytes { detector!.process(payload: $0, topicDevice: topicDevice, receivedAt: now) }
            let elapsed = ContinuousClock.now - started
            metrics.count(outcome)
            handles.count(outcome)
            if live != nil { recordLive(outcome, detector: detector!, now: now) }
            if case .scored = outcome.status {
                metrics.scoring.record(microseconds: Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
                handles.scoring.record(duration: elapsed)
                if let ts = outcome.ts { metrics.ingest.record(microseconds: Double(now.milliseconds - ts.milliseconds) * 1000) }
            }
            if case .rejected(let why) = outcome.status { rejection = why }
            // Data-quality findings on a message that was scored anyway: reported like rejections.
            if rejection == nil, outcome.seqGap > 0 {
                rejection = Rejection(.seqGap, "\(outcome.seqGap) message(s) missing before this one by seq", device: outcome.device)
            } else if rejection == nil, !outcome.unknownSensors.isEmpty {
                rejection = Rejection(.unknownSensor, "sensors the model does not know: \(outcome.unknownSensors.prefix(8).joined(separator: ", "))",
                                      device: outcome.device)
            }
            actions.event = outcome.event
            actions.eventNumber = outcome.eventNumber
            actions.ts = outcome.ts
        } else if learner != nil {
            rejection = learner!.collect(payload: payload, topicDevice: topicDevice)
            handles.received.increment()
            if let rejection {
                metrics.rejected += 1
                metrics.rejectedByReason[rejection.reason, default: 0] += 1
            } else {
                metrics.learning += 1
            }
        }
        if let rejection, let count = limiter.admit(rejection.reason, now: Double(now.milliseconds) / 1000) {
            let limit = configuration.health.errorPayloadBytes
            actions.errorReport = RejectedMessage(
                agent: configuration.agent, device: rejection.device, topic: String(topic.prefix(256)), reason: rejection.reason.rawValue,
                detail: String(rejection.detail.prefix(512)), payload: String(decoding: payload.prefix(limit), as: UTF8.self),
                count: count, ts: now)
        }
        return actions
    }

    private mutating func recordLive(_ outcome: Detector.Outcome, detector: Detector, now: Timestamp) {
        if let event = outcome.event { live?.record(event) }
        guard let device = outcome.device else { return }
        let (score, anomalous): (Double, Bool)
        switch outcome.status {
        case .scored(let value, let flag): (score, anomalous) = (value, flag)
        case .warmingUp: (score, anomalous) = (.nan, false)
        case .rejected: return
        }
        live?.record(device: device, ts: outcome.ts?.milliseconds ?? now.milliseconds, score: score, anomalous: anomalous,
                     values: detector.lastValues, sensors: detector.spec.sensors, threshold: detector.model.threshold)
    }

    /// The health report for the interval that ends now; resets the interval's histograms and rates.
    mutating func healthReport(configuration: AgentConfiguration, startedAt: ContinuousClock.Instant, intervalSeconds: Double,
                               broker: HealthReport.Broker, droppedInternally: Int, state: String) -> (HealthReport, newlyStale: [String]) {
        let now = Timestamp.now()
        let newlyStale = detector?.markStale(now: now, after: Int64(configuration.health.staleAfterSeconds * 1000)) ?? []
        let uptime = ContinuousClock.now - startedAt
        let report = HealthReport(
            agent: configuration.agent, ts: now, state: state, model: detector?.model.id,
            uptimeSeconds: (Double(uptime.components.seconds) + Double(uptime.components.attoseconds) / 1e18).rounded(),
            messages: .init(received: metrics.received, scored: metrics.scored, warmingUp: metrics.warmingUp, rejected: metrics.rejected,
                            rejectedByReason: Dictionary(uniqueKeysWithValues: metrics.rejectedByReason.map { ($0.key.rawValue, $0.value) }),
                            missingBySeq: metrics.missingBySeq, withUnknownSensors: metrics.withUnknownSensors,
                            droppedInternally: droppedInternally,
                            receivedPerSecond: Double(metrics.received - metrics.receivedAtLastReport) / intervalSeconds,
                            scoredPerSecond: Double(metrics.scored - metrics.scoredAtLastReport) / intervalSeconds),
            latencyMilliseconds: .init(scoring: .init(metrics.scoring), ingest: .init(metrics.ingest), endToEnd: .init(metrics.endToEnd)),
            devices: .init(active: (detector?.deviceCount ?? 0) - (detector?.staleCount ?? 0), stale: detector?.staleCount ?? 0,
                           warmingUp: detector?.warmingUpCount ?? 0),
            events: .init(open: detector?.openEventCount ?? 0, opened: metrics.opened, updated: metrics.updated, closed: metrics.closed,
                          publishFailures: metrics.publishFailures),
            broker: broker, residentMemoryBytes: ProcessMemory.residentBytes(), intervalSeconds: intervalSeconds)
        metrics.receivedAtLastReport = metrics.received
        metrics.scoredAtLastReport = metrics.scored
        metrics.scoring.reset()
        metrics.ingest.reset()
        metrics.endToEnd.reset()
        return (report, newlyStale)
    }
}
