import Foundation
import Logging
import MQTT
import Telemetry

extension AgentService {
    /// Publishes the journal's entries in order, up to `store.maxInFlight` at a time, each marked done when
    /// the broker acknowledged it (PUBACK). Woken by new entries, by every (re)connect and by the run loop's
    /// tick; while disconnected it waits, and what goes out on a later connection than it was produced in is
    /// historical.
    func forward() async {
        for await _ in outbox.wakeups {
            if Task.isCancelled { return }
            await drainJournal()
        }
    }

    func drainJournal() async {
        let journal = outbox.journal
        var inFlight: [(entry: EventJournal.Entry, message: MQTTClient.PendingPublish, historical: Bool)] = []
        // Returning early (shutdown): the broker may still acknowledge them, nobody listens.
        defer { for entry in inFlight { client.abandon(entry.message) } }
        // After a failure that may pass (out of memory): submit nothing more, but finish what is in flight, so
        // that the next drain does not send it again.
        var stalled = false
        while true {
            while !stalled, inFlight.count < configuration.store.maxInFlight, client.isConnected,
                  let entry = journal.next(after: inFlight.last?.entry.number, now: Timestamp.now().milliseconds) {
                // Late when produced before the connection it goes out on began (or known late when journaled).
                let historical = entry.isHistorical(inConnection: client.statistics.connects)
                let payload = historical ? Self.markedHistorical(entry.payload) : Array(entry.payload.utf8)
                do {
                    inFlight.append((entry, try client.submit(entry.topic, payload: payload, qos: .atLeastOnce, retain: entry.retain), historical))
                } catch let error as MQTTError where error.code == .payloadTooLarge || error.code == .invalidArgument {
                    // Never publishable (larger than the broker takes, an invalid topic): dropped and counted,
                    // not retried for ever in front of everything behind it.
                    journal.markDone(entry.number)
                    core.withLock { $0.metrics.publishFailures += 1 }
                    logger.error("dropped a journal entry the broker cannot take", metadata: ["topic": "\(entry.topic)", "error": "\(error)"])
                } catch {
                    logger.warning("could not publish from the journal; retrying on the next wake-up",
                                   metadata: ["pending": "\(journal.counts.pending)", "error": "\(error)"])
                    stalled = true
                }
            }
            guard let oldest = inFlight.first else { return }
            do {
                // Across a reconnect too: libmosquitto sends what was in flight again.
                try await client.acknowledgement(of: oldest.message)
            } catch {
                // Only shutdown or cancellation end the wait (it lasts across reconnects); the rest stays journaled.
                logger.info("stopped waiting for journal acknowledgements", metadata: ["pending": "\(journal.counts.pending)", "error": "\(error)"])
                return
            }
            inFlight.removeFirst()
            journal.markDone(oldest.entry.number)
            if oldest.historical {
                logger.info("historical entry delivered", metadata: ["topic": "\(oldest.entry.topic)", "produced": "\(oldest.entry.at)"])
            }
        }
    }

    /// The same JSON object with `"historical":true` first (our payloads never carry the key otherwise).
    static func markedHistorical(_ payload: String) -> [UInt8] {
        let bytes = Array(payload.utf8)
        guard bytes.first == UInt8(ascii: "{"), !payload.contains("\"historical\":") else { return bytes }
        let rest = bytes.dropFirst()
        let separator = rest.first == UInt8(ascii: "}") ? "" : ","
        return Array("{\"historical\":true\(separator)".utf8) + rest
    }
}
