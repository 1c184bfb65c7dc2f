import Foundation
import MQTTTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `Type=notify` without systemd: the test plays systemd's part with a datagram socket of its own.
@Suite("systemd readiness and watchdog", .timeLimit(.minutes(1)))
struct SystemdNotifyTests {
    /// A broker, and an agent on it that reports to `listener` as it would to systemd.
    func withNotifyingAgent(environment: [String: String] = [:], beforeAgent: (MosquittoBroker) -> Void = { _ in },
                            _ body: (MosquittoBroker, AgentProcess, DatagramListener) async throws -> Void) async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try writeModel(in: directory)
        let socketPath = directory.appendingPathComponent("notify.sock").path
        let listener = try DatagramListener(path: socketPath)
        try await MosquittoBroker.with { broker in
            beforeAgent(broker)
            let agent = try AgentProcess(arguments: ["--broker-port", "\(broker.port)", "--model", model.path, "--no-http"], directory: directory,
                                         environment: environment.merging(["NOTIFY_SOCKET": socketPath]) { $1 })
            try await body(broker, agent, listener)
        }
    }

    @Test("READY=1 once connected, WATCHDOG=1 at half the interval, STOPPING=1 on SIGTERM")
    func notify() async throws {
        try await withNotifyingAgent(environment: ["WATCHDOG_USEC": "1000000"]) { broker, agent, listener in
            let ready = try #require(listener.receive(seconds: 20), "no READY=1; log:\n\(agent.output.suffix(1000))")
            #expect(ready.hasPrefix("READY=1\nSTATUS=connected to 127.0.0.1:\(broker.port)"))
            var watchdogs = 0
            let until = Date().addingTimeInterval(2.5)
            while Date() < until, let message = listener.receive(seconds: 1), message == "WATCHDOG=1" { watchdogs += 1 }
            #expect(watchdogs >= 3, "WATCHDOG_USEC=1 s asks for a ping every 0.5 s")
            agent.signal(SIGTERM)
            var stopping = false
            while let message = listener.receive(seconds: 5) { if message == "STOPPING=1" { stopping = true; break } }
            #expect(stopping)
            #expect(agent.wait() == 0)
        }
    }

    @Test("A broker down at start: the start timeout is extended with a status saying why, READY=1 once it is up")
    func brokerDownAtStart() async throws {
        try await withNotifyingAgent(beforeAgent: { $0.stop() }) { broker, agent, listener in
            let waiting = try #require(listener.receive(seconds: 20), "no message while the broker is down; log:\n\(agent.output.suffix(1000))")
            #expect(waiting.hasPrefix("EXTEND_TIMEOUT_USEC="))
            #expect(waiting.contains("STATUS=waiting for the broker at 127.0.0.1:\(broker.port)"))
            try await broker.restart()
            var ready = false
            while let message = listener.receive(seconds: 20) { if message.hasPrefix("READY=1") { ready = true; break } }
            #expect(ready, "log:\n\(agent.output.suffix(1000))")
            agent.signal(SIGTERM)
            #expect(agent.wait() == 0)
        }
    }
}

/// A bound `AF_UNIX` datagram socket, as systemd listens on `NOTIFY_SOCKET`.
final class DatagramListener: @unchecked Sendable {
    let descriptor: Int32

    init(path: String) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in for (index, byte) in path.utf8.enumerated() { buffer[index] = byte } }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard descriptor >= 0, bound == 0 else { throw HTTPTestError(description: "cannot bind \(path): \(String(cString: strerror(errno)))") }
    }

    /// The next datagram, or nil after `seconds`.
    func receive(seconds: Double) -> String? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
    }

    deinit { close(descriptor) }
}
