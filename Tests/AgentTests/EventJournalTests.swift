@testable import Agent
import Foundation
import Testing

@Suite("Event journal on disk")
struct EventJournalTests {
    func path() throws -> String { try temporaryDirectory().appendingPathComponent("journal.jsonl").path }
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("Entries come out in order, done ones stay done after a reopen, the rest come back historical")
    func orderAndReopen() throws {
        let file = try path()
        do {
            let journal = try EventJournal(path: file)
            for number in 1...3 { journal.append(topic: "alerts/pump-01/anomaly", payload: bytes(#"{"event_id":"e\#(number)"}"#), historical: false, at: 1_000) }
            #expect(journal.next(now: 1_000)?.payload == #"{"event_id":"e1"}"#)
            #expect(journal.next(now: 1_000)?.historical == false)
            journal.markDone(1)
            #expect(journal.next(now: 1_000)?.payload == #"{"event_id":"e2"}"#)
        }
        let reopened = try EventJournal(path: file)
        #expect(reopened.pending.map(\.payload) == [#"{"event_id":"e2"}"#, #"{"event_id":"e3"}"#])
        #expect(reopened.pending.allSatisfy { $0.historical })
        reopened.markDone(2)
        reopened.markDone(3)
        #expect(reopened.counts.pending == 0)
        // Nothing pending: the file is compacted to nothing.
        #expect((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) == 0)
    }

    @Test("A line torn by a crash is skipped and counted; the entries before it survive")
    func tornLine() throws {
        let file = try path()
        let good = #"{"at":5,"historical":false,"n":4,"payload":"{\"event_id\":\"e4\"}","retain":false,"topic":"t"}"#
        try (good + "\n" + #"{"at":6,"n":5,"payl"#).write(toFile: file, atomically: true, encoding: .utf8)
        let journal = try EventJournal(path: file)
        #expect(journal.pending.map(\.number) == [4])
        #expect(journal.counts.unreadable == 1)
        #expect(journal.append(topic: "t", payload: bytes("{}"), historical: false, at: 7) == 5)
    }

    @Test("Full: the oldest entries are dropped and counted; too old: dropped and counted when reached")
    func limits() throws {
        let journal = try EventJournal(path: try path(), limits: .init(maxEntries: 3, maxBytes: 1 << 20, maxAgeSeconds: 10))
        for number in 1...5 { journal.append(topic: "t", payload: bytes("{\"n\":\(number)}"), historical: false, at: Int64(number) * 1_000) }
        #expect(journal.pending.map(\.payload) == [#"{"n":3}"#, #"{"n":4}"#, #"{"n":5}"#])
        #expect(journal.counts.droppedFull == 2)
        // At t = 14.5 s the entry from 3 s is 11.5 s old (over 10), the one from 4 s 10.5 s: both go.
        #expect(journal.next(now: 14_500)?.payload == #"{"n":5}"#)
        #expect(journal.counts.droppedOld == 2)
    }

    @Test("A newer retained entry (health) replaces the pending one on the same topic")
    func healthSlot() throws {
        let journal = try EventJournal(path: try path())
        journal.append(topic: "alerts/pump-01/anomaly", payload: bytes("{\"e\":1}"), historical: true, at: 1)
        journal.append(topic: "alerts/agent/a/health", payload: bytes("{\"h\":1}"), retain: true, historical: true, at: 2)
        journal.append(topic: "alerts/agent/a/health", payload: bytes("{\"h\":2}"), retain: true, historical: true, at: 3)
        #expect(journal.pending.map(\.payload) == [#"{"e":1}"#, #"{"h":2}"#])
    }

    @Test("A long outage replacing the health slot keeps the file small; a fresh health report discards the waiting one")
    func boundedOnDisk() throws {
        let file = try path()
        let journal = try EventJournal(path: file)
        journal.append(topic: "alerts/pump-01/anomaly", payload: bytes("{\"e\":1}"), historical: true, at: 1)
        let health = String(repeating: "x", count: 2_000)
        for number in 0..<2_000 {
            journal.append(topic: "alerts/agent/a/health", payload: bytes("{\"h\":\(number),\"pad\":\"\(health)\"}"), retain: true, historical: true, at: 2)
        }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
        #expect(size < 4 * (1 << 16) + 4_096, "journal file is \(size) bytes after 2,000 replaced health reports")
        #expect(journal.pending.count == 2)
        journal.discardRetained(topic: "alerts/agent/a/health")
        #expect(journal.pending.map(\.payload) == [#"{"e":1}"#])
        let permissions = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
        #expect(permissions == 0o600)
    }

    @Test("Two agents cannot share a journal")
    func exclusive() throws {
        let file = try path()
        let first = try EventJournal(path: file)
        #expect { try EventJournal(path: file) } throws: { ($0 as? ConfigurationError)?.key == "store.path" }
        _ = first
    }

    @Test("The event-number reservation survives a reopen, is raised in blocks, and a damaged one counts as none")
    func eventNumberReservation() throws {
        let file = try path()
        do {
            let journal = try EventJournal(path: file)
            #expect(journal.eventNumberFloor == 0)
            #expect(journal.reserveEventNumber(500))
            #expect(journal.eventNumberFloor == 500 + EventJournal.eventNumberBlock)
            #expect(journal.reserveEventNumber(600))  // inside the block: nothing written
            #expect(journal.eventNumberFloor == 500 + EventJournal.eventNumberBlock)
            #expect(journal.reserveEventNumber(100_000))
        }
        do {  // Like a crash: nothing but what is on disk carries over.
            let reopened = try EventJournal(path: file)
            #expect(reopened.eventNumberFloor == 100_000 + EventJournal.eventNumberBlock)
            #expect(try String(contentsOfFile: file + ".lock", encoding: .utf8) == "00000000000000101024\n")
        }
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: file + ".lock"))
        #expect(try EventJournal(path: file).eventNumberFloor == 0)
        // A value near Int.max would overflow the first number issued: damage, not history.
        try Data("9223372036854775000\n".utf8).write(to: URL(fileURLWithPath: file + ".lock"))
        #expect(try EventJournal(path: file).eventNumberFloor == 0)
    }

    @Test("A write the disk refuses is counted; after a torn line the next one starts on a fresh line")
    func writeFailures() throws {
        var full = EventJournal.State(descriptor: open("/dev/full", O_WRONLY))
        defer { close(full.descriptor) }
        full.write(bytes("{\"n\":1}\n"))
        #expect(full.counts.writeFailures == 1 && !full.tornLine)

        let file = try path()
        var state = EventJournal.State(descriptor: open(file, O_WRONLY | O_CREAT | O_APPEND, 0o600))
        defer { close(state.descriptor) }
        state.write(bytes("{\"n\":1,\"pay"))  // what a short write leaves
        state.tornLine = true
        state.write(bytes("{\"n\":2}\n"))
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "{\"n\":1,\"pay\n{\"n\":2}\n")
        #expect(!state.tornLine && state.counts.writeFailures == 0)
    }

    @Test("An entry is historical when journaled so, or sent on a later connection than it was produced in")
    func historicalByConnection() throws {
        let journal = try EventJournal(path: try path())
        // Produced on connection 1 (the agent still thought it was connected), on connection 2, and while away.
        journal.append(topic: "alerts/p/anomaly", payload: bytes("{}"), historical: false, at: 1_000, connection: 1)
        journal.append(topic: "alerts/p/anomaly", payload: bytes("{}"), historical: false, at: 2_000, connection: 2)
        journal.append(topic: "alerts/p/anomaly", payload: bytes("{}"), historical: true, at: 3_000, connection: 2)
        #expect(journal.pending.map { $0.isHistorical(inConnection: 1) } == [false, false, true])
        #expect(journal.pending.map { $0.isHistorical(inConnection: 2) } == [true, false, true])
        #expect(journal.pending.map { $0.isHistorical(inConnection: 3) } == [true, true, true])
    }

    @Test("Historical marking puts the flag into the JSON object and leaves other payloads alone")
    func marking() {
        #expect(String(decoding: AgentService.markedHistorical(#"{"event_id":"e1"}"#), as: UTF8.self) == #"{"historical":true,"event_id":"e1"}"#)
        #expect(String(decoding: AgentService.markedHistorical("{}"), as: UTF8.self) == #"{"historical":true}"#)
        #expect(String(decoding: AgentService.markedHistorical(#"{"historical":true}"#), as: UTF8.self) == #"{"historical":true}"#)
        #expect(String(decoding: AgentService.markedHistorical("[1]"), as: UTF8.self) == "[1]")
    }
}
