import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One broker process at a time, restartable, always stopped by its PID.
final class LockedProcess: Sendable {
    private let binary: String
    private let directory: URL
    private let current = Mutex<Process?>(nil)

    init(binary: String, directory: URL) {
        self.binary = binary
        self.directory = directory
    }

    func launch() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-c", directory.appendingPathComponent("mosquitto.conf").path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let stderrURL = directory.appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
        current.withLock { $0 = process }
    }

    var pid: Int32 { current.withLock { $0?.processIdentifier ?? 0 } }
    var isRunning: Bool { current.withLock { $0?.isRunning ?? false } }
    var terminationStatus: Int32 { current.withLock { process in process.map { $0.isRunning ? 0 : $0.terminationStatus } ?? 0 } }

    /// SIGTERM, a grace period, then SIGKILL; waits until the process is gone.
    func stop() {
        guard let process = current.withLock({ process -> Process? in defer { process = nil }; return process }) else { return }
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        Glibc.kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { Glibc.kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGKILL at once: the broker gets no chance to save state or say goodbye.
    func kill() {
        guard let process = current.withLock({ process -> Process? in defer { process = nil }; return process }) else { return }
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
