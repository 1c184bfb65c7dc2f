import Foundation

/// A value behind a pthread-based lock. Not `Synchronization.Mutex`: ThreadSanitizer does not see the
/// futex inside it and reports false races through it (as in the MQTT module), and this module is run
/// under ThreadSanitizer in `make test`.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
