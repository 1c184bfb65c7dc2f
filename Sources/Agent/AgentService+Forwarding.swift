import Foundation
import Logging
import MQTT
import Telemetry

extension AgentService {
    /// Publishes the journal's entries in order, one at a time, each awaiting the broker's PUBACK before
    /// it is marked done. Woken by new entries, by every (re)connect and by the run loop's tick; while
    /// disconnected it waits, and what goes out on a later connection than it was produced in is historical.
    func forward() async {
        for await _ in outbox.wakeups {
            if Task.isCancelled { return }
            await drainJournal()
        }
    }

    func drainJournal() async {
        let journal = outbox.journal
        while client.isConnected, let entry = journal.next(now: Timestamp.now().milliseconds) {
            // Late when produced before the connection it goes out on began (or known late when journaled).
            let historical = entry.isHistorical(inConnection: client.statistics.connects)
            let payload = historical ? Self.markedHistorical(entry.payload) : Array(entry.payload.utf8)
            do {
                try await client.publish(entry.topic, payload: payload, qos: .atLeastOnce, retain: entry.retain)
                journal.markDone(entry.number)
                if historical {
                    logger.info("historical entry delivered", metadata: ["topic": "\(entry.topic)", "produced": "\(entry.at)"])
                }
            } catch {
                // Not delivered now: it goes out after the reconnect, and is late by then.
                logger.warning("could not publish from the journal; retrying after reconnect",
                               metadata: ["pending": "\(journal.counts.pending)", "error": "\(error)"])
                return
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
