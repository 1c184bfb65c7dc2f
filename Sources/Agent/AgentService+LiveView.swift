import Detection
import Evaluation
import Foundation
import IsolationForest
import MQTT
import Synchronization
import Telemetry

/// Read-only views for the dashboard and the JSON API, each a short copy under the hot path's lock; the
/// work on that copy (sorting, matching events to the truth) happens outside it, so a dashboard client
/// never holds up scoring for long.
extension AgentService {
    /// Every device, sorted. Made under the hot path's lock, in time that grows with the devices: made at
    /// most once a second, however many clients ask (it may lag by as much).
    public var liveDevices: [LiveDevice] {
        let second = Timestamp.now().milliseconds / 1000
        if let cached = deviceListCache.withLock({ $0?.second == second ? $0?.devices : nil }) { return cached }
        let devices = core.withLock { $0.live?.unsortedDevices ?? [] }.sorted { $0.device < $1.device }
        deviceListCache.withLock { $0 = (second, devices) }
        return devices
    }

    /// Recent points of `device` after point number `since` (all kept points when nil).
    public func liveSeries(device: String, after since: Int? = nil) -> LiveSeries? {
        core.withLock { $0.live?.points(device: device, after: since) }
    }

    /// Recent events, newest first, each in its latest state.
    public var liveEvents: [AnomalyEvent] { core.withLock { $0.live?.events.reversed() ?? [] } }

    /// The latest `limit` true anomalies of `device` (from the ground-truth topic) for shading, still-open
    /// ones ending now.
    public func truthIntervals(device: String, limit: Int) -> [Interval] {
        let now = Timestamp.now().milliseconds
        // The collector is a value: copying it is cheap (its arrays are shared until the hot path appends).
        let episodes = core.withLock { $0.live?.episodes }
        return Array((episodes?.truth(of: device, now: now) ?? []).suffix(limit))
    }

    /// Event-wise accuracy against the ground truth so far (tolerance as `evaluate --live` uses by default).
    /// Every open dashboard asks each second, and anyone may ask more often: computed at most once a second
    /// (it may lag by as much), in time that grows with the episodes.
    public func liveAccuracy(toleranceMilliseconds: Int64 = 5000) -> LiveAccuracy {
        let now = Timestamp.now().milliseconds
        let key = AccuracyKey(second: now / 1000, tolerance: toleranceMilliseconds)
        if let cached = accuracyCache.withLock({ $0?.key == key ? $0?.accuracy : nil }) { return cached }
        // The collector is a value: copying it under the lock is cheap (its storage is shared until written).
        let (truthSeen, episodes) = core.withLock { ($0.live?.truthSeen ?? false, $0.live?.episodes) }
        let accuracy = LiveAccuracy(truthSeen: truthSeen,
                                    metrics: episodes?.metrics(now: now, tolerance: toleranceMilliseconds) ?? EventMetrics(truth: [], detected: []))
        accuracyCache.withLock { $0 = (key, accuracy) }
        return accuracy
    }

    /// The last health report (nil until the first one, a health interval after start).
    public var latestHealth: HealthReport? { lastHealth.withLock { $0 } }

    /// Ready to score: connected to the broker with a model loaded. The reason says what is missing.
    public var readiness: (ready: Bool, reason: String) {
        let hasModel = core.withLock { $0.detector != nil }
        switch (client.isConnected, hasModel) {
        case (true, true): return (true, "connected, model loaded")
        case (false, _): return (false, "not connected to the broker at \(configuration.broker.host):\(configuration.broker.port)")
        case (true, false): return (false, "no model yet (learning)")
        }
    }

    /// The model's id and sensors, when one is loaded.
    public var modelSummary: (id: String, sensors: [String], threshold: Double)? {
        core.withLock { core in core.detector.map { ($0.model.id, $0.spec.sensors, $0.model.threshold) } }
    }

    /// Publishes a command on the configured emulator's control topic, at most once (QoS 0) and only while
    /// connected.
    /// - Throws: `ConfigurationError` when no emulator is configured (`http.emulator`), or `MQTTError`.
    public func sendEmulatorCommand(_ command: ControlCommand) throws {
        guard let emulator = configuration.http.emulator else {
            throw ConfigurationError(key: "http.emulator", "no emulator is configured: the dashboard's controls are off")
        }
        let topic = try configuration.topics.control.render(["emulator": emulator])
        // At most once, never queued for a reconnect: an inject or a pause carried out minutes after the click
        // (or twice, after the operator clicked again) would surprise more than one that is lost.
        guard client.isConnected else {
            throw MQTTError(code: .notConnected, operation: "publish(\(topic))", message: "not connected to the broker")
        }
        try client.publishWithoutWaiting(topic, payload: AgentService.encode(command), qos: .atMostOnce)
    }
}
