import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The agent's outbox on disk: every anomaly event (and the latest health while the broker is away) is
/// appended here before it is published and marked done when the broker acknowledged it, so events
/// survive a broker outage and an agent crash (SIGKILL), and go out in order afterwards.
///
/// The file is JSON Lines: `{"n":7,"at":…,"topic":…,"retain":false,"historical":true,"payload":"…"}` for an
/// entry, `{"done":7}` when it left. Each line is one `write(2)` on an `O_APPEND` descriptor: a killed
/// process loses nothing it wrote (a power cut may lose the last lines: no fsync per event). A torn last
/// line is skipped on load. Bounded by entries, bytes and age; what is dropped is counted.
public final class EventJournal: Sendable {
    public struct Limits: Sendable, Equatable {
        public var maxEntries: Int
        public var maxBytes: Int
        public var maxAgeSeconds: Double
        public init(maxEntries: Int = 10_000, maxBytes: Int = 16 << 20, maxAgeSeconds: Double = 7 * 86_400) {
            self.maxEntries = maxEntries
            self.maxBytes = maxBytes
            self.maxAgeSeconds = maxAgeSeconds
        }
    }

    public struct Entry: Sendable, Equatable {
        public let number: Int
        /// When it was produced (epoch milliseconds).
        public let at: Int64
        public let topic: String
        public let retain: Bool
        /// Produced while the broker was unreachable, or left over from an earlier run.
        public let historical: Bool
        public let payload: String
        /// The broker connection it was produced in (the client's connect count then; in memory only): what
        /// was produced before a reconnect is late when it goes out after it (see `isHistorical`).
        public var connection = 0
        /// Health: a newer one replaces it.
        var replaceable: Bool { retain }

        /// Whether it is late when sent on connection number `connects`: known late when journaled (broker
        /// away, or left by an earlier run), or produced on an earlier connection than the current one.
        public func isHistorical(inConnection connects: Int) -> Bool { historical || connection < connects }
    }

    public struct Counts: Sendable, Equatable {
        public var pending: Int
        public var droppedFull: Int
        public var droppedOld: Int
        /// Lines of the file that could not be read at start (a write cut short by a crash).
        public var unreadable: Int
        /// Writes the disk refused or cut short (full, read-only, I/O error): those entries are still
        /// delivered from memory, but would not survive a crash.
        public var writeFailures = 0
    }

    struct State {
        var descriptor: Int32
        var pending: [Entry] = []
        var pendingBytes = 0
        var nextNumber = 1
        var fileBytes = 0
        var counts = Counts(pending: 0, droppedFull: 0, droppedOld: 0, unreadable: 0)
        /// The file ends inside a line (a write was cut short): the next line starts on a fresh one.
        var tornLine = false
    }

    public let path: String
    public let limits: Limits
    private let state: Mutex<State>
    /// Held for the journal's lifetime on `<path>.lock` (the journal itself is replaced when compacted).
    /// The file also keeps the event-number reservation (see `reserveEventNumber`).
    let lockDescriptor: Int32
    /// Event numbers below this may have been issued by this run or an earlier one.
    let eventNumberReservation: Mutex<Int>

    /// Opens (creating) the journal; entries left from an earlier run become pending and historical.
    /// - Throws: `ConfigurationError` (key `store.path`) when the file cannot be opened or written.
    public init(path: String, limits: Limits = Limits()) throws(ConfigurationError) {
        self.path = path
        self.limits = limits
        // Two agents on one journal would publish each other's events and compact each other's file.
        lockDescriptor = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockDescriptor >= 0 else {
            throw ConfigurationError(key: "store.path", "cannot create \(path).lock: \(String(cString: strerror(errno)))")
        }
        guard flock(lockDescriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(lockDescriptor)
            throw ConfigurationError(key: "store.path", "\(path) is in use by another agent (each agent needs its own journal)")
        }
        eventNumberReservation = Mutex(Self.readReservation(lockDescriptor))
        let existing = FileManager.default.contents(atPath: path) ?? Data()
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            close(lockDescriptor)
            throw ConfigurationError(key: "store.path", "cannot open \(path) for writing: \(String(cString: strerror(errno)))")
        }
        var initial = State(descriptor: descriptor)
        Self.load(existing, into: &initial)
        initial.fileBytes = existing.count
        state = Mutex(initial)
        // Start from a file that holds only what is still pending.
        state.withLock { $0.rewrite(path: path) }
    }

    deinit {
        state.withLock { _ = close($0.descriptor) }
        close(lockDescriptor)
    }

    /// Appends an entry; when the journal is full the oldest entries are dropped (and counted).
    /// A retained entry (health) replaces an older pending retained entry on the same topic.
    @discardableResult
    public func append(topic: String, payload: [UInt8], retain: Bool = false, historical: Bool, at: Int64, connection: Int = 0) -> Int {
        state.withLock { state in
            if retain, let index = state.pending.firstIndex(where: { $0.replaceable && $0.topic == topic }) {
                state.finish(state.pending[index].number, path: path)
            }
            let entry = Entry(number: state.nextNumber, at: at, topic: topic, retain: retain, historical: historical,
                              payload: String(decoding: payload, as: UTF8.self), connection: connection)
            state.nextNumber += 1
            state.pending.append(entry)
            state.pendingBytes += entry.payload.utf8.count
            state.write(Self.line(entry))
            while state.pending.count > limits.maxEntries || (state.pendingBytes > limits.maxBytes && state.pending.count > 1) {
                state.counts.droppedFull += 1
                state.finish(state.pending[0].number, path: path)
            }
            return entry.number
        }
    }

    /// The oldest pending entry after entry number `after` (nil: the oldest of all), after dropping those
    /// older than `maxAgeSeconds` (counted).
    public func next(after number: Int? = nil, now: Int64) -> Entry? {
        state.withLock { state in
            while let first = state.pending.first, Double(now - first.at) / 1000 > limits.maxAgeSeconds {
                state.counts.droppedOld += 1
                state.finish(first.number, path: path)
            }
            guard let number else { return state.pending.first }
            // Pending entries are in number order; those after `number` follow the few still in flight.
            return state.pending.first { $0.number > number }
        }
    }

    /// Marks an entry as delivered (the file is compacted as it goes, see `State.finish`).
    public func markDone(_ number: Int) {
        state.withLock { $0.finish(number, path: path) }
    }

    /// Drops pending retained entries on `topic`: a fresh health report just went out and an older one
    /// from an outage must not overwrite it on the broker.
    public func discardRetained(topic: String) {
        state.withLock { state in
            for entry in state.pending where entry.retain && entry.topic == topic { state.finish(entry.number, path: path) }
        }
    }

    public var counts: Counts { state.withLock { var counts = $0.counts; counts.pending = $0.pending.count; return counts } }
    public var pending: [Entry] { state.withLock { $0.pending } }

    // MARK: - File format

    struct Line: Codable {
        var n: Int?
        var at: Int64?
        var topic: String?
        var retain: Bool?
        var historical: Bool?
        var payload: String?
        var done: Int?
    }

    static func line(_ entry: Entry) -> [UInt8] {
        line(Line(n: entry.number, at: entry.at, topic: entry.topic, retain: entry.retain, historical: entry.historical, payload: entry.payload))
    }

    static func line(_ value: Line) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(value)) ?? Data()) + [UInt8(ascii: "\n")]
    }

    private static func load(_ data: Data, into state: inout State) {
        var entries: [Int: Entry] = [:]
        let decoder = JSONDecoder()
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            guard let record = try? decoder.decode(Line.self, from: Data(line)) else {
                state.counts.unreadable += 1
                continue
            }
            if let done = record.done {
                entries[done] = nil
            } else if let n = record.n, let at = record.at, let topic = record.topic, let payload = record.payload {
                // Left over from an earlier run: whatever it was, its delivery is late now.
                entries[n] = Entry(number: n, at: at, topic: topic, retain: record.retain ?? false, historical: true, payload: payload)
                state.nextNumber = max(state.nextNumber, n + 1)
            }
        }
        state.pending = entries.values.sorted { $0.number < $1.number }
        state.pendingBytes = state.pending.reduce(0) { $0 + $1.payload.utf8.count }
    }
}

extension EventJournal.State {
    mutating func write(_ bytes: [UInt8]) {
        // After a short write, end the torn line first, so that a crash costs only the torn entry and not
        // the one written after it too.
        let line = tornLine ? [UInt8(ascii: "\n")] + bytes : bytes
        let written = line.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        if written > 0 { fileBytes += written }
        if written == line.count {
            tornLine = false
        } else {
            counts.writeFailures += 1
            if written > 0 { tornLine = true }
        }
    }

    /// Removes a pending entry and records that, keeping the file small on every path (delivery, drops,
    /// a replaced health slot during an outage): emptied when nothing is pending, rewritten when done
    /// lines dominate it.
    mutating func finish(_ number: Int, path: String) {
        guard let index = pending.firstIndex(where: { $0.number == number }) else { return }
        pendingBytes -= pending[index].payload.utf8.count
        pending.remove(at: index)
        if pending.isEmpty {
            // The usual case after each delivery: truncating is one system call, no new file.
            if ftruncate(descriptor, 0) == 0 {
                fileBytes = 0
                tornLine = false
            }
            return
        }
        write(EventJournal.line(EventJournal.Line(done: number)))
        if fileBytes > 4 * max(pendingBytes, 1 << 16) { rewrite(path: path) }
    }

    /// Replaces the file by one holding only the pending entries (write a temporary file, rename).
    mutating func rewrite(path: String) {
        let temporary = path + ".tmp"
        var contents: [UInt8] = []
        for entry in pending { contents += EventJournal.line(entry) }
        // Private like the journal, and on disk before it replaces it: a power cut must not leave it empty.
        // A failure keeps the old file, which still holds everything: it only grows until the next try.
        let file = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard file >= 0 else {
            counts.writeFailures += 1
            return
        }
        let written = contents.withUnsafeBytes { Glibc.write(file, $0.baseAddress, $0.count) }
        let synced = fsync(file) == 0
        close(file)
        guard written == contents.count, synced, rename(temporary, path) == 0 else {
            counts.writeFailures += 1
            unlink(temporary)
            return
        }
        let reopened = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard reopened >= 0 else { return }
        close(descriptor)
        descriptor = reopened
        fileBytes = contents.count
        tornLine = false
    }
}
