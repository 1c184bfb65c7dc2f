import Detection
import Metrics
import Telemetry

/// The agent's figures through swift-metrics: the executable bootstraps a Prometheus backend for
/// `/metrics`; without a backend (tests, benchmarks) every call is a no-op. Counters and timers are
/// fed on the hot path (an atomic add or one short lock each); gauges at every health interval.
struct MetricHandles: Sendable {
    let received = Counter(label: "edge_anomaly_messages_received_total")
    let scored = Counter(label: "edge_anomaly_messages_scored_total")
    let warmingUp = Counter(label: "edge_anomaly_messages_warming_up_total")
    /// Reasons a message is refused; `seq_gap` and `unknown_sensor` are findings on messages that were
    /// scored, counted below, so they get no rejected series that would never move.
    let rejected: [RejectReason: Counter] = Dictionary(uniqueKeysWithValues: RejectReason.allCases.filter { ![.seqGap, .unknownSensor].contains($0) }.map {
        ($0, Counter(label: "edge_anomaly_messages_rejected_total", dimensions: [("reason", $0.rawValue)]))
    })
    let missingBySeq = Counter(label: "edge_anomaly_messages_missing_by_seq_total")
    let withUnknownSensors = Counter(label: "edge_anomaly_messages_with_unknown_sensors_total")
    let events: [AnomalyEvent.State: Counter] = Dictionary(uniqueKeysWithValues: [AnomalyEvent.State.open, .update, .closed].map {
        ($0, Counter(label: "edge_anomaly_events_total", dimensions: [("state", $0.rawValue)]))
    })
    let scoring = Timer(label: "edge_anomaly_scoring_duration_seconds")
    let endToEnd = Timer(label: "edge_anomaly_event_latency_seconds")
    let devices = [("active", Gauge(label: "edge_anomaly_devices", dimensions: [("state", "active")])),
                   ("stale", Gauge(label: "edge_anomaly_devices", dimensions: [("state", "stale")])),
                   ("warming_up", Gauge(label: "edge_anomaly_devices", dimensions: [("state", "warming_up")]))]
    let openEvents = Gauge(label: "edge_anomaly_events_open")
    let brokerConnected = Gauge(label: "edge_anomaly_broker_connected")
    /// Kept for dashboards built on it; a count belongs in a counter (`…_total`, which `rate()` and
    /// `increase()` understand across agent restarts).
    let brokerConnects = Gauge(label: "edge_anomaly_broker_connects")
    let brokerConnectsTotal = Counter(label: "edge_anomaly_broker_connects_total")
    let residentMemory = Gauge(label: "edge_anomaly_resident_memory_bytes")
    let uptime = Gauge(label: "edge_anomaly_uptime_seconds")

    func count(_ outcome: Detector.Outcome) {
        received.increment()
        switch outcome.status {
        case .scored: scored.increment()
        case .warmingUp: warmingUp.increment()
        case .rejected(let rejection): rejected[rejection.reason]?.increment()
        }
        if outcome.seqGap > 0 { missingBySeq.increment(by: outcome.seqGap) }
        if !outcome.unknownSensors.isEmpty { withUnknownSensors.increment() }
        if let event = outcome.event { events[event.state]?.increment() }
    }

    func update(from report: HealthReport, previousModel: String?) {
        if let previousModel, previousModel != report.model {
            Gauge(label: "edge_anomaly_model_info", dimensions: [("model", previousModel)]).record(0)
        }
        if let model = report.model { Gauge(label: "edge_anomaly_model_info", dimensions: [("model", model)]).record(1) }
        devices[0].1.record(report.devices.active)
        devices[1].1.record(report.devices.stale)
        devices[2].1.record(report.devices.warmingUp)
        openEvents.record(report.events.open)
        brokerConnected.record(report.broker.connected ? 1 : 0)
        brokerConnects.record(report.broker.connects)
        if let bytes = report.residentMemoryBytes { residentMemory.record(bytes) }
        uptime.record(report.uptimeSeconds)
    }
}
