import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real headless Chromium (Debian `chromium`), driven over the DevTools protocol on a pipe
/// (`--remote-debugging-pipe`: JSON messages separated by NUL on file descriptors 3 and 4), so the
/// test needs no WebSocket client and no Python. Stopped by its PID.
final class HeadlessBrowser: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible { let description: String }

    private let pid: pid_t
    private let toBrowser: Int32
    private let fromBrowser: Int32
    private let profile: URL
    private var nextID = 0
    private var pending: [UInt8] = []
    /// One DevTools exchange at a time, off the cooperative pool (reads block).
    private let queue = DispatchQueue(label: "headless-browser")

    static var executable: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    init(width: Int = 1400, height: Int = 1000, log: URL) throws {
        guard let binary = Self.executable else {
            throw Failure(description: "chromium is not installed: apt-get install chromium (make deps does it)")
        }
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)")
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
        guard pipe(&input) == 0, pipe(&output) == 0 else { throw Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_adddup2(&actions, input[0], 3)
        posix_spawn_file_actions_adddup2(&actions, output[1], 4)
        for fd in [input[0], input[1], output[0], output[1]] where fd > 4 { posix_spawn_file_actions_addclose(&actions, fd) }
        let arguments = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                         "--remote-debugging-pipe", "--window-size=\(width),\(height)", "--user-data-dir=\(profile.path)", "about:blank"]
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, binary, &actions, nil, &cArguments, environ)
        close(input[0])
        close(output[1])
        guard rc == 0 else { throw Failure(description: "cannot start \(binary): \(String(cString: strerror(rc)))") }
        pid = child
        toBrowser = input[1]
        fromBrowser = output[0]
    }

    /// Sends one DevTools command and returns its `result` (events in between are skipped).
    func send(_ method: String, _ params: [String: Any] = [:], session: String? = nil, timeout: Double = 30) async throws -> [String: Any] {
        // Crosses to the queue as bytes: JSON objects are not Sendable.
        let request = try JSONSerialization.data(withJSONObject: params)
        let reply: Data = try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do { continuation.resume(returning: try self.exchange(method, request, session: session, timeout: timeout)) } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        return (try JSONSerialization.jsonObject(with: reply)) as? [String: Any] ?? [:]
    }

    private func exchange(_ method: String, _ params: Data, session: String?, timeout: Double) throws -> Data {
        nextID += 1
        var message: [String: Any] = ["id": nextID, "method": method, "params": try JSONSerialization.jsonObject(with: params)]
        if let session { message["sessionId"] = session }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        guard bytes.withUnsafeBytes({ write(toBrowser, $0.baseAddress, $0.count) }) == bytes.count else {
            throw Failure(description: "the browser's pipe is closed")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let reply = try readMessage(until: deadline)
            guard reply["id"] as? Int == nextID else { continue }
            if let error = reply["error"] { throw Failure(description: "\(method): \(error)") }
            return try JSONSerialization.data(withJSONObject: reply["result"] as? [String: Any] ?? [:])
        }
    }

    private func readMessage(until deadline: Date) throws -> [String: Any] {
        while true {
            if let end = pending.firstIndex(of: 0) {
                let data = Data(pending[..<end])
                pending.removeSubrange(...end)
                return (try JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            }
            let remaining = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            var poller = pollfd(fd: fromBrowser, events: Int16(POLLIN), revents: 0)
            guard remaining > 0, poll(&poller, 1, remaining) > 0 else { throw Failure(description: "no answer from the browser in time") }
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            let count = read(fromBrowser, &buffer, buffer.count)
            guard count > 0 else { throw Failure(description: "the browser closed its pipe") }
            pending.append(contentsOf: buffer[..<count])
        }
    }

    /// Opens `url` in a new tab; returns the session to talk to the page.
    func open(_ url: String) async throws -> String {
        let target = try await send("Target.createTarget", ["url": url])
        guard let targetID = target["targetId"] as? String else { throw Failure(description: "no target id") }
        let attached = try await send("Target.attachToTarget", ["targetId": targetID, "flatten": true])
        guard let session = attached["sessionId"] as? String else { throw Failure(description: "no session id") }
        return session
    }

    /// Evaluates a JavaScript expression in the page and returns its value (JSON-compatible).
    func evaluate(_ expression: String, session: String) async throws -> Any? {
        let result = try await send("Runtime.evaluate", ["expression": expression, "returnByValue": true], session: session)
        return (result["result"] as? [String: Any])?["value"]
    }

    func screenshot(session: String) async throws -> Data {
        let result = try await send("Page.captureScreenshot", ["format": "png"], session: session)
        guard let base64 = result["data"] as? String, let data = Data(base64Encoded: base64) else { throw Failure(description: "no screenshot") }
        return data
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(toBrowser)
        close(fromBrowser)
        try? FileManager.default.removeItem(at: profile)
    }
}
