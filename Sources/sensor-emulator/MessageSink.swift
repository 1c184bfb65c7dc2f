import Foundation
import MQTT
import Simulation
import Synchronization
import Telemetry

/// Publishes telemetry and ground truth through one client and accounts for every message.
///
/// - QoS 0 telemetry is handed to libmosquitto without waiting. While the broker is away that fails
///   at once and the message counts as unsent. Every `probeInterval`-th message goes at QoS 1
///   instead and its PUBACK is awaited in a child task: as the broker handles messages in order,
///   the ack says it has read everything before it, so the emulator never runs more than
///   `probeInterval · maxProbes` messages ahead of the broker (bounded memory at any speed).
/// - QoS 1 telemetry is awaited in child tasks, at most `qos1Window` at a time; while the broker is
///   away new messages count as unsent rather than piling up.
/// - Ground truth always goes at QoS 1 and is never dropped: libmosquitto keeps it across a
///   reconnect and the end of the run waits for its acks.
///
/// Awaited publishes start as immediate child tasks, so every message reaches libmosquitto's queue
/// in the order the loop produced it, and subscribers see `seq` in order.
final class MessageSink: Sendable {
    let client: MQTTClient
    let qos: MQTTQoS
    let retain: Bool
    let stop: StopSignal
    let counts = Counts()
    /// Awaited publishes (probes, QoS 1 telemetry, ground truth) in flight.
    let window = AckWindow()
    static let probeInterval = 1000
    static let maxProbes = 4
    static let qos1Window = 64

    /// Counters, read by the progress report and the summary.
    final class Counts: Sendable {
        let sent = Atomic<Int>(0)
        let unsent = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
        let acknowledged = Atomic<Int>(0)
        let truthSent = Atomic<Int>(0)
        let truthAcknowledged = Atomic<Int>(0)
        let firstFailure = Mutex<String?>(nil)
    }

    init(client: MQTTClient, qos: MQTTQoS, retain: Bool, stop: StopSignal) {
        self.client = client
        self.qos = qos
        self.retain = retain
        self.stop = stop
    }

    /// Publishes one telemetry message, suspending only for backpressure.
    @inline(__always)
    func publishTelemetry(topic: String, payload: [UInt8], group: inout DiscardingTaskGroup) async {
        if !sendWithoutWaiting(topic: topic, payload: payload) {
            await sendTracked(topic: topic, payload: payload, qos: qos == .atMostOnce ? .atLeastOnce : qos,
                              limit: qos == .atMostOnce ? Self.maxProbes : Self.qos1Window, group: &group)
        }
    }

    /// The hot path, without any suspension: a QoS 0 message that is not a probe goes straight to
    /// libmosquitto. Returns false when the message needs the awaited path instead.
    @inline(__always)
    func sendWithoutWaiting(topic: String, payload: [UInt8]) -> Bool {
        guard qos == .atMostOnce, counts.sent.load(ordering: .relaxed) % Self.probeInterval != Self.probeInterval - 1 else { return false }
        do {
            try client.publishWithoutWaiting(topic, payload: payload, qos: .atMostOnce, retain: retain)
            counts.sent.add(1, ordering: .relaxed)
        } catch where error.code == .notConnected {
            counts.unsent.add(1, ordering: .relaxed)
        } catch {
            recordFailure(error)
        }
        return true
    }

    private func sendTracked(topic: String, payload: [UInt8], qos: MQTTQoS, limit: Int, group: inout DiscardingTaskGroup) async {
        let generation = window.wakeups
        if window.outstanding >= limit, client.isConnected, !stop.isRequested {
            await window.waitForRoom(below: limit, generation: generation)
        }
        guard client.isConnected else {
            counts.unsent.add(1, ordering: .relaxed)
            return
        }
        counts.sent.add(1, ordering: .relaxed)
        window.add()
        let client = client, retain = retain, counts = counts, window = window
        // An immediate task runs `publish` on this thread up to its first suspension, so libmosquitto
        // queues the message now, in order; only the wait for the ack runs concurrently.
        group.addImmediateTask {
            do {
                try await client.publish(topic, payload: payload, qos: qos, retain: retain)
                counts.acknowledged.add(1, ordering: .relaxed)
            } catch {
                // Cancelled at the end of a run with the broker away: sent, but never confirmed.
            }
            window.remove()
        }
    }

    /// Publishes a ground-truth record at QoS 1; libmosquitto queues it while disconnected.
    func publishTruth(topic: String, record: GroundTruthRecord, group: inout DiscardingTaskGroup) {
        let payload = GroundTruthEncoding.encode(record)
        counts.truthSent.add(1, ordering: .relaxed)
        window.add()
        let client = client, counts = counts, window = window
        group.addImmediateTask {
            if (try? await client.publish(topic, payload: payload, qos: .atLeastOnce, retain: false)) != nil {
                counts.truthAcknowledged.add(1, ordering: .relaxed)
            }
            window.remove()
        }
    }

    /// At the end of a run: waits (up to `timeout`) for every awaited ack, then makes sure the broker
    /// has read every QoS 0 message too. A SUBACK is the barrier: the broker answers packets in order.
    func drain(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while window.outstanding > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        guard client.isConnected else { return }
        let barrier = "emulator/\(client.configuration.clientID)/drained"
        _ = try? await client.subscribe(barrier, qos: .atMostOnce)
        try? await client.unsubscribe(barrier)
    }

    private func recordFailure(_ error: MQTTError) {
        counts.failed.add(1, ordering: .relaxed)
        let isFirst = counts.firstFailure.withLock { first in
            guard first == nil else { return false }
            first = "\(error)"
            return true
        }
        if isFirst { Console.status("warning: a message could not be published: \(error)") }
    }
}
