import Detection
import Foundation
import IsolationForest
import Logging
import Metrics
import MQTT
import Synchronization
import Telemetry

extension AgentService {
    /// Connects (retrying until the broker answers or `shutdown()`), subscribes, publishes `online`,
    /// then reports health, watches the model file and finishes learn mode until `shutdown()`.
    public func run() async throws {
        try await withTaskExecutorPreference(executor) { try await runLoop() }
    }

    private func runLoop() async throws {
        let events = Task(executorPreference: executor) { await self.followConnection() }
        defer { events.cancel() }
        let forwarding = Task(executorPreference: executor) { await self.forward() }
        defer { forwarding.cancel() }
        if outbox.journal.counts.pending > 0 {
            logger.info("journal holds entries from an earlier run; they go out after the connect",
                        metadata: ["pending": "\(outbox.journal.counts.pending)", "path": "\(outbox.journal.path)"])
        }
        let systemd = SystemdNotifier()
        guard try await connectUntilUp(systemd: systemd) else { return await stop() }
        try await client.subscribe(topics.telemetryFilter, qos: MQTTQoS(rawValue: Int32(configuration.broker.telemetryQoS)) ?? .atMostOnce)
        if configuration.http.enabled && configuration.http.groundTruth {
            try await client.subscribe(configuration.topics.truth.filter(), qos: .atLeastOnce)
        }
        logger.info("agent running", metadata: ["agent": "\(configuration.agent)", "telemetry": "\(topics.telemetryFilter)",
                                                "broker": "\(configuration.broker.host):\(configuration.broker.port)"])
        systemd.notify("READY=1\nSTATUS=connected to \(configuration.broker.host):\(configuration.broker.port), scoring")
        var lastWatchdog = ContinuousClock.now
        let interval = configuration.health.intervalSeconds
        var lastReport = ContinuousClock.now
        var lastModelCheck = ContinuousClock.now
        let ticks = Task(executorPreference: executor) { [signalContinuation] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                signalContinuation.yield(.tick)
            }
        }
        defer { ticks.cancel() }
        loop: for await signal in signals {
            switch signal {
            case .stop: break loop
            case .reload: reloadModel()
            case .tick:
                outbox.wake.yield()
                // The watchdog hears from this loop only while it turns: a hung agent gets restarted.
                if let interval = systemd.watchdogInterval, ContinuousClock.now - lastWatchdog >= interval {
                    lastWatchdog = ContinuousClock.now
                    systemd.notify("WATCHDOG=1")
                }
                await finishLearningIfDue()
                if ContinuousClock.now - lastReport >= .seconds(interval) {
                    let elapsed = ContinuousClock.now - lastReport
                    lastReport = ContinuousClock.now
                    publishHealth(intervalSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                }
                if configuration.model.watchSeconds > 0, ContinuousClock.now - lastModelCheck >= .seconds(configuration.model.watchSeconds) {
                    lastModelCheck = ContinuousClock.now
                    if modelFileChanged() { reloadModel() }
                }
            }
        }
        systemd.notify("STOPPING=1")
        await stop()
    }
}

extension AgentService {
    /// Tries to connect until it works or a stop is requested; returns false when stopped first.
    ///
    /// Under systemd, READY=1 means connected, so each wait also extends the start timeout and says why in
    /// the status line: a broker that is down at boot for longer than `TimeoutStartSec` must not get the
    /// agent killed and restarted in a loop.
    func connectUntilUp(systemd: SystemdNotifier) async throws -> Bool {
        var delay = Double(configuration.broker.reconnectMinSeconds)
        while true {
            do {
                try await client.connect()
                return true
            } catch let error as MQTTError where [.unreachable, .timeout, .connectionLost, .connectionRefused].contains(error.code) {
                logger.warning("broker not reachable, retrying in \(Int(delay)) s",
                               metadata: ["broker": "\(configuration.broker.host):\(configuration.broker.port)", "error": "\(error)"])
                systemd.notify("EXTEND_TIMEOUT_USEC=\(UInt64((delay + 30) * 1_000_000))\n"
                               + "STATUS=waiting for the broker at \(configuration.broker.host):\(configuration.broker.port) (\(error.code))")
            }
            // Wait, but wake up for a stop request. Not by iterating `signals` in a task cancelled after the
            // wait: cancelling its iteration finishes the stream, and the agent stopped after the second
            // failed try, or at once after connecting.
            let deadline = ContinuousClock.now + .seconds(delay)
            while ContinuousClock.now < deadline {
                if stopRequested.load(ordering: .sequentiallyConsistent) || Task.isCancelled { return false }
                try? await Task.sleep(for: .milliseconds(100))
            }
            delay = min(delay * 2, Double(configuration.broker.reconnectMaxSeconds))
        }
    }

    /// Publishes `online` (retained) on every connect: the broker may have lost the retained status,
    /// and a reconnect after a network failure has published our `offline` will in between.
    func followConnection() async {
        for await event in client.connectionEvents {
            switch event {
            case .connected:
                core.handles.brokerConnectsTotal.increment()
                outbox.wake.yield()
                let status = AgentService.encode(AgentStatus(agent: configuration.agent, state: .online, ts: .now()))
                do {
                    try client.publishWithoutWaiting(topics.status, payload: status, qos: .atLeastOnce, retain: true)
                } catch {
                    logger.warning("could not publish online status", metadata: ["error": "\(error)"])
                }
            case .disconnected(let reason?):
                logger.warning("broker connection lost; reconnecting", metadata: ["error": "\(reason)"])
            case .disconnected(nil), .refused:
                break
            }
        }
    }

    func publishHealth(intervalSeconds: Double) {
        let statistics = client.statistics
        let broker = HealthReport.Broker(connected: client.isConnected, connects: statistics.connects, disconnects: statistics.disconnects)
        let state = core.withLock { $0.detector == nil ? "learning" : "running" }
        var (report, newlyStale) = core.withLock {
            $0.healthReport(configuration: configuration, startedAt: startedAt, intervalSeconds: intervalSeconds, broker: broker,
                            droppedInternally: statistics.dropped, state: state)
        }
        let journal = outbox.journal.counts
        report.store = .init(pending: journal.pending, droppedFull: journal.droppedFull, droppedOld: journal.droppedOld,
                             writeFailures: journal.writeFailures)
        let previous = lastHealth.withLock { last in defer { last = report }; return last }
        core.handles.update(from: report, previousModel: previous?.model)
        logSensorMismatch(report, previous: previous)
        // Health is current state: while disconnected only the latest waits in the journal (each replaces
        // the one before), to go out, marked historical, after the reconnect.
        guard client.isConnected else {
            outbox.journal.append(topic: topics.health, payload: AgentService.encode(report), retain: true, historical: true,
                                  at: report.ts.milliseconds)
            return
        }
        outbox.journal.discardRetained(topic: topics.health)
        try? client.publishWithoutWaiting(topics.health, payload: AgentService.encode(report), qos: .atLeastOnce, retain: true)
        // A device that went silent is a data-quality finding, reported once when it happens.
        for device in newlyStale.prefix(100) {
            let topic = (try? configuration.topics.telemetry.render(["device": device])) ?? device
            let finding = RejectedMessage(agent: configuration.agent, device: device, topic: topic, reason: "stale_device",
                                          detail: "no telemetry for more than \(configuration.health.staleAfterSeconds) s", payload: "",
                                          count: 1, ts: report.ts)
            try? client.publishWithoutWaiting(topics.errors, payload: AgentService.encode(finding), qos: .atMostOnce)
        }
    }

    /// Says in the log, once per spell, when no message of an interval had any of the model's sensors: a model
    /// trained on other telemetry (other names) otherwise shows only as rejections on the errors topic.
    func logSensorMismatch(_ report: HealthReport, previous: HealthReport?) {
        guard let previous else { return }
        let received = report.messages.received - previous.messages.received
        let unmatched = (report.messages.rejectedByReason[RejectReason.noKnownValues.rawValue] ?? 0)
            - (previous.messages.rejectedByReason[RejectReason.noKnownValues.rawValue] ?? 0)
        // An interval without telemetry says nothing either way.
        guard received > 0 else { return }
        let mismatch = unmatched == received
        guard mismatch != sensorMismatchLogged.load(ordering: .relaxed) else { return }
        sensorMismatchLogged.store(mismatch, ordering: .relaxed)
        if mismatch {
            let sensors = core.withLock { $0.detector?.spec.sensors ?? [] }
            logger.warning("none of the last \(received) messages had a value for any of the model's sensors: is the model trained on this telemetry?",
                           metadata: ["model sensors": "\(sensors)"])
        } else {
            logger.info("telemetry matches the model's sensors again")
        }
    }

    /// Stops intake, publishes `offline` and disconnects.
    func stop() async {
        logger.info("agent stopping")
        if client.isConnected {
            // A persistent session keeps its subscription, so the broker queues telemetry (QoS 1) until we are back.
            if configuration.broker.cleanSession { try? await client.unsubscribe(topics.telemetryFilter) }
            let status = AgentService.encode(AgentStatus(agent: configuration.agent, state: .offline, ts: .now()))
            // Bounded: a broker that has just gone away must not hold up the shutdown.
            _ = try? await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.client.publish(self.topics.status, payload: status, qos: .atLeastOnce, retain: true) }
                group.addTask { try await Task.sleep(for: .seconds(3)) }
                defer { group.cancelAll() }
                try await group.next()
            }
        }
        await client.shutdown()
        outbox.client.withLock { $0 = nil }
        logger.info("agent stopped")
    }
}
