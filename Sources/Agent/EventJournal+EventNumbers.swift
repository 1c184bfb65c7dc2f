import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Event ids must not repeat across restarts (consumers de-duplicate by id and state, so a repeated id
/// would hide a new episode). The time-based start of the numbers is not enough: a crash and a restart
/// within seconds of a burst of events, or a gateway whose clock starts in the past until NTP syncs,
/// would reuse numbers. So the journal keeps, in its lock file, a bound below which numbers may have been
/// issued, raised in blocks before a number beyond it goes out; the next run starts above it.
extension EventJournal {
    /// Numbers are reserved this many at a time, so the file is written once per block, not per event.
    static let eventNumberBlock = 1024

    /// The next run's event numbers start at least here.
    public var eventNumberFloor: Int { eventNumberReservation.withLock { $0 } }

    /// Records that `number` is about to be issued; raises and writes the reservation when it gets there.
    /// Returns false when the file could not be written (the next event tries again; meanwhile only the
    /// time-based start protects the next run).
    @discardableResult
    public func reserveEventNumber(_ number: Int) -> Bool {
        eventNumberReservation.withLock { reserved in
            guard number >= reserved else { return true }
            let raised = number + Self.eventNumberBlock
            // Fixed width, so a longer number never leaves digits of a shorter one behind.
            let text = Array(String(format: "%020ld\n", raised).utf8)
            let written = text.withUnsafeBytes { pwrite(lockDescriptor, $0.baseAddress, $0.count, 0) }
            // On disk before a number of the new block goes out, power cut included (once per block).
            guard written == text.count, fdatasync(lockDescriptor) == 0 else { return false }
            reserved = raised
            return true
        }
    }

    /// Above this a stored reservation is damage, not history (seconds since 2025 are about 6·10^7; the
    /// bound leaves room for 10^15 events and keeps `number + block` far from overflowing).
    static let largestReservation = 1_000_000_000_000_000

    /// The reservation an earlier run left in the lock file (0 when none, unreadable or absurd).
    static func readReservation(_ descriptor: Int32) -> Int {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return 0 }
        let text = String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let value = Int(text), (0...largestReservation).contains(value) else { return 0 }
        return value
    }
}
