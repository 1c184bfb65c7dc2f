import Foundation

/// A value behind a pthread-based lock. Not `Synchronization.Mutex`: ThreadSanitizer does not see the
/// futex inside it and reports false races through it (as in the MQTT module), and this module is run
/// under ThreadSanitizer in `make test`.
final class Locked<Value>: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        condition.lock()
        defer { condition.unlock() }
        return try body(&value)
    }

    /// Changes the value and wakes those in `wait(for:)`.
    func update(_ body: (inout Value) -> Void) {
        condition.lock()
        body(&value)
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks the calling thread until `extract` finds what it wants in the value, or `deadline` passes (nil).
    func wait<Result>(until deadline: Date, for extract: (Value) -> Result?) -> Result? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result = extract(value) { return result }
            guard condition.wait(until: deadline) else { return extract(value) }
        }
    }
}
