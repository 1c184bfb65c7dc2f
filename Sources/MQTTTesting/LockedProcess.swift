import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One broker process at a time, restartable, always stopped by its PID.
///
/// Spawned with `posix_spawn` and an empty signal mask rather than with Foundation's `Process`: a child
/// inherits the signal mask of the spawning thread, Swift's worker threads block SIGTERM, and mosquitto
/// then never sees the SIGTERM that should make it save its persistence file and exit.
final class LockedProcess: Sendable {
    private let binary: String
    private let directory: URL
    private let current = Mutex<pid_t?>(nil)
    private let lastStatus = Mutex<Int32>(0)

    init(binary: String, directory: URL) {
        self.binary = binary
        self.directory = directory
    }

    func launch() throws {
        let arguments = [binary, "-c", directory.appendingPathComponent("mosquitto.conf").path]
        let stderrPath = directory.appendingPathComponent("stderr.log").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // Nothing else of ours: a broker that outlives a killed test run would otherwise keep our sockets,
        // pipes and lock files (a build lock held by an orphaned broker stalled every later build).
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGUSR1, SIGUSR2] { sigaddset(&defaultSignals, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        let rc = posix_spawn(&pid, binary, &actions, &attributes, &cArguments, environ)
        guard rc == 0 else { throw BrokerError("cannot start \(binary): \(String(cString: strerror(rc)))") }
        current.withLock { $0 = pid }
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run time: Swift's
    /// Glibc module is built without `_GNU_SOURCE`, which hides the declaration.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    var pid: Int32 { current.withLock { $0 ?? 0 } }

    var isRunning: Bool {
        guard let pid = current.withLock({ $0 }) else { return false }
        return !reapIfExited(pid)
    }

    var terminationStatus: Int32 { lastStatus.withLock { $0 } }

    /// Reaps the child if it has exited; true when it is gone.
    private func reapIfExited(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid {
            lastStatus.withLock { $0 = (status >> 8) & 0xFF }
            current.withLock { if $0 == pid { $0 = nil } }
            return true
        }
        return result < 0  // ECHILD: already reaped
    }

    /// SIGTERM, a grace period, then SIGKILL; waits until the process is gone.
    func stop() {
        guard let pid = current.withLock({ $0 }) else { return }
        Glibc.kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while !reapIfExited(pid) {
            if Date() > deadline {
                Glibc.kill(pid, SIGKILL)
                var status: Int32 = 0
                _ = waitpid(pid, &status, 0)
                break
            }
            usleep(5_000)
        }
        current.withLock { $0 = nil }
    }

    /// SIGKILL at once: the broker gets no chance to save state or say goodbye.
    func kill() {
        guard let pid = current.withLock({ $0 }) else { return }
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        current.withLock { $0 = nil }
    }
}
