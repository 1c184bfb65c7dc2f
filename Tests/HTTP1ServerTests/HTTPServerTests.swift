import Foundation
@testable import HTTP1Server
import Logging
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("The HTTP server on a real loopback socket: limits in size and time, keep-alive, streams, stop", .timeLimit(.minutes(2)))
struct HTTPServerTests {
    @Test("Keep-alive: pipelined requests are answered in order on one connection; a body arrives whole, after 100 Continue")
    func keepAliveAndBodies() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            client.send("GET /echo?n=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /echo?n=2 HTTP/1.1\r\nHost: x\r\n\r\n")
            let two = await client.read(until: { $0.components(separatedBy: "HTTP/1.1 200").count == 3 })
            #expect(two.contains("GET /echo n=1 body=0"))
            let one = try #require(two.range(of: "n=1")), another = try #require(two.range(of: "n=2"))
            #expect(one.lowerBound < another.lowerBound)
            #expect(two.contains("Connection: keep-alive"))
            client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            #expect(await client.read(until: { $0.contains("\r\n\r\n") }).hasPrefix("HTTP/1.1 100 Continue"))
            client.send("hello")
            #expect(await client.read(until: { $0.contains("body=5") }).contains("POST /echo n=- body=5"))
            // HEAD: the length GET would have ("HEAD /echo n=- body=0\n"), no body, the connection stays.
            client.send("HEAD /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            let head = await client.read(until: { $0.hasSuffix("\r\n\r\n") })
            #expect(head.hasPrefix("HTTP/1.1 200 ") && head.contains("Content-Length: 22\r\n") && head.hasSuffix("\r\n\r\n"))
            client.send("GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let last = await client.readToEnd()
            #expect(last.hasPrefix("HTTP/1.1 200 "), "no body after the HEAD answer")
            #expect(last.contains("Connection: close") && last.contains("body=0"))
        }
    }

    @Test("A head over the limit gets 431 at once and a body over it 413, without reading them; others are served meanwhile")
    func sizeLimits() async throws {
        var limits = HTTPServer.Limits()
        limits.maximumHeadBytes = 4096
        limits.maximumBodyBytes = 100
        try await withServer(limits: limits) { port in
            let huge = try RawClient(port: port)
            huge.send("GET /echo?\(String(repeating: "a", count: 1_000_000)) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await huge.readToEnd().hasPrefix("HTTP/1.1 431 "))
            let fields = try RawClient(port: port)
            fields.send("GET /echo HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X-A: b\r\n", count: 101) + "\r\n")
            #expect(await fields.readToEnd().hasPrefix("HTTP/1.1 431 "))
            let body = try RawClient(port: port)
            body.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n")
            #expect(await body.readToEnd().hasPrefix("HTTP/1.1 413 "))
            let chunked = try RawClient(port: port)
            chunked.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
            #expect(await chunked.readToEnd().hasPrefix("HTTP/1.1 411 "))
            #expect(try await RawClient(port: port).request("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n").hasPrefix("HTTP/1.1 200 "))
        }
    }

    @Test("A head that trickles in, or an idle keep-alive connection, is cut off after the request time; others are served meanwhile")
    func timeLimits() async throws {
        var limits = HTTPServer.Limits()
        limits.requestSeconds = 0.5
        try await withServer(limits: limits) { port in
            let slow = try RawClient(port: port)
            slow.send("GET /echo HTTP/1.1\r\n")
            let idle = try RawClient(port: port)
            #expect(try await RawClient(port: port).request("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n").hasPrefix("HTTP/1.1 200 "))
            #expect(await slow.readToEnd().hasPrefix("HTTP/1.1 408 "))
            #expect(await idle.readToEnd().isEmpty, "an idle connection is closed without an answer")
        }
    }

    @Test("Past the connection limit a client gets 503; once one leaves, the next is served")
    func connectionLimit() async throws {
        var limits = HTTPServer.Limits()
        limits.maximumConnections = 2
        try await withServer(limits: limits) { port in
            let first = try RawClient(port: port), second = try RawClient(port: port)
            first.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            second.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = await first.read(until: { $0.contains("body=0") })
            _ = await second.read(until: { $0.contains("body=0") })
            let third = try RawClient(port: port)
            third.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            let refused = await third.readToEnd()
            #expect(refused.hasPrefix("HTTP/1.1 503 ") && refused.contains("Retry-After: 1"))
            first.close()
            try await eventually("a place free again") {
                (try? await RawClient(port: port).request("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n").hasPrefix("HTTP/1.1 200 ")) == true
            }
        }
    }

    @Test("A stream is sent piece by piece and ends the connection; a client that leaves stops it; HEAD gets the head alone")
    func streams() async throws {
        let asked = Atomic<Int>(0)
        try await withServer(extra: { router in
            router.add("GET", "/count") { request in
                let limit = Int(request.query["to"] ?? "") ?? Int.max
                let counter = Atomic<Int>(0)
                return HTTPResponse(status: 200, headers: ["Content-Type": "text/plain"], body: .stream {
                    asked.add(1, ordering: .relaxed)
                    let next = counter.add(1, ordering: .relaxed).oldValue
                    guard next < limit else { return nil }
                    usleep(10_000)
                    return Array("\(next)\n".utf8)
                })
            }
        }) { port in
            let finite = try await RawClient(port: port).request("GET /count?to=3 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(finite.hasSuffix("\r\n\r\n0\n1\n2\n") && finite.contains("Connection: close") && !finite.contains("Content-Length"))
            let head = try await RawClient(port: port).request("HEAD /count HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(head.hasPrefix("HTTP/1.1 200 ") && head.hasSuffix("\r\n\r\n"))
            let endless = try RawClient(port: port)
            endless.send("GET /count HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = await endless.read(until: { $0.contains("\n5\n") })
            endless.close()
            // The server notices at a failing write: the pieces asked for stop growing (checked over 300 ms,
            // for up to 10 s, however slow the machine).
            try await eventually("the stream to stop for a client that left") {
                let before = asked.load(ordering: .relaxed)
                try await Task.sleep(for: .milliseconds(300))
                return asked.load(ordering: .relaxed) == before
            }
        }
    }

    @Test("A client that reads a response slowly loses its connection when the write time is up, not at its own pace")
    func slowReader() async throws {
        var limits = HTTPServer.Limits()
        limits.maximumConnections = 1
        limits.writeSeconds = 0.5
        try await withServer(limits: limits, extra: { router in
            router.add("GET", "/big") { _ in HTTPResponse(status: 200, bytes: [UInt8](repeating: 97, count: 16 << 20)) }
        }) { port in
            let slow = try RawClient(port: port)
            slow.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            // 64 KiB every 50 ms, 16 MiB in 13 s: every send makes progress well within the write time, so only
            // a deadline for the whole write ends it before the trickle does (30 s, past the wait below).
            let trickle = Task.detached { await slow.trickle(bytes: 64 << 10, every: .milliseconds(50), for: .seconds(30)) }
            try await eventually("the one connection taken back from the slow reader", seconds: 8) {
                try await RawClient(port: port).request("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n").hasPrefix("HTTP/1.1 200 ")
            }
            trickle.cancel()
        }
    }

    @Test("Handlers run on their connections' threads: handlers that block hold neither other requests nor Swift's pool")
    func blockingHandlers() async throws {
        let released = Atomic<Bool>(false), blocked = Atomic<Int>(0)
        try await withServer(extra: { router in
            router.add("GET", "/block") { _ in
                blocked.add(1, ordering: .relaxed)
                while !released.load(ordering: .relaxed) { usleep(10_000) }
                return .text(200, "released")
            }
        }) { port in
            // More blocked handlers than the pool has threads (one per core).
            let clients = try (0..<(ProcessInfo.processInfo.activeProcessorCount + 2)).map { _ in try RawClient(port: port) }
            for client in clients { client.send("GET /block HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") }
            try await eventually("every handler blocked") { blocked.load(ordering: .relaxed) == clients.count }
            #expect(try await RawClient(port: port).request("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n").hasPrefix("HTTP/1.1 200 "))
            #expect(await Task.detached { 42 }.value == 42, "the pool is free")
            released.store(true, ordering: .relaxed)
            for client in clients { #expect(await client.readToEnd().hasSuffix("released")) }
        }
    }

    @Test("Past the stream limit a stream request gets 503 while other requests are served; a closed stream frees its place")
    func streamLimit() async throws {
        var limits = HTTPServer.Limits()
        limits.maximumStreams = 1
        try await withServer(limits: limits, extra: { router in
            router.add("GET", "/ticks") { _ in
                HTTPResponse(status: 200, body: .stream {
                    usleep(20_000)
                    return Array("tick\n".utf8)
                })
            }
        }) { port in
            let first = try RawClient(port: port)
            first.send("GET /ticks HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = await first.read(until: { $0.contains("tick") })
            let second = try await RawClient(port: port).request("GET /ticks HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(second.hasPrefix("HTTP/1.1 503 ") && second.contains("streams"))
            #expect(try await RawClient(port: port).request("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n").hasPrefix("HTTP/1.1 200 "))
            first.close()
            try await eventually("the stream's place free again") {
                let third = try RawClient(port: port)
                third.send("GET /ticks HTTP/1.1\r\nHost: x\r\n\r\n")
                return await third.read(until: { $0.contains("tick") || $0.contains("503") }).contains("tick")
            }
        }
    }

    @Test("stop() ends run() and cuts open connections; a port already taken is an error that names it")
    func stopAndTakenPort() async throws {
        let server = try makeServer(limits: HTTPServer.Limits())
        let port = Atomic<UInt16>(0)
        let running = Task { try await server.run { bound in port.store(bound, ordering: .releasing) } }
        try await eventually("listening") { port.load(ordering: .acquiring) != 0 }
        let bound = port.load(ordering: .acquiring)
        let open = try RawClient(port: bound)
        #expect(try await RawClient(port: bound).request("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n").hasPrefix("HTTP/1.1 200 "))
        let second = try makeServer(limits: HTTPServer.Limits(), port: bound)
        let taken = await #expect(throws: HTTPServerError.self) { try await second.run() }
        #expect(taken.map { "\($0)".contains("127.0.0.1:\(bound)") && "\($0)".contains("in use") } == true)
        server.stop()
        try await running.value
        #expect(await open.readToEnd().isEmpty)
        #expect(throws: (any Error).self) { try RawClient(port: bound) }
    }

    @Test("An address that is not IPv4 is refused when the server is made")
    func badAddress() {
        #expect(throws: HTTPServerError.self) { try HTTPServer(address: "not-an-ip", port: 0, logger: Logger(label: "test")) { _ in .text(200, "") } }
    }

    // MARK: - Support

    /// A server with `/echo` (method, query `n`, body length) and the routes `extra` adds, on a free port.
    func withServer(limits: HTTPServer.Limits = HTTPServer.Limits(), extra: (inout HTTPRouter) -> Void = { _ in },
                    _ body: (UInt16) async throws -> Void) async throws {
        let server = try makeServer(limits: limits, extra: extra)
        let port = Atomic<UInt16>(0)
        let running = Task { try await server.run { bound in port.store(bound, ordering: .releasing) } }
        defer { server.stop() }
        try await eventually("listening") { port.load(ordering: .acquiring) != 0 }
        try await body(port.load(ordering: .acquiring))
        server.stop()
        try await running.value
    }

    func makeServer(limits: HTTPServer.Limits, port: UInt16 = 0, extra: (inout HTTPRouter) -> Void = { _ in }) throws -> HTTPServer {
        var router = HTTPRouter()
        for method in ["GET", "POST"] {
            router.add(method, "/echo") { request in
                .text(200, "\(request.method) \(request.path) n=\(request.query["n"] ?? "-") body=\(request.body.count)\n")
            }
        }
        extra(&router)
        return try HTTPServer(address: "127.0.0.1", port: port, limits: limits, logger: Logger(label: "test")) { [router] in router.respond(to: $0) }
    }
}

/// A blocking TCP client that sends raw bytes, as no HTTP library would.
final class RawClient: Sendable {
    let fd: Int32

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw HTTPServerError("cannot connect to port \(port)")
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { Glibc.close(fd) }

    /// Sends what it can; a server that closed early (after refusing a head) may take only part.
    func send(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }
            offset += sent
        }
    }

    /// Reads until `done` holds for what arrived, the server closes, or 10 s pass; on a thread of its own,
    /// as the server's handlers need Swift's pool, which a blocking read would hold.
    func read(until done: @escaping @Sendable (String) -> Bool) async -> String {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.blockingRead(until: done)) }.start()
        }
    }

    private func blockingRead(until done: (String) -> Bool) -> String {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !done(String(decoding: received, as: UTF8.self)) {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            received += chunk[..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Reads `bytes` at a time, one read per `every`, for at most `duration`, until the server closes.
    func trickle(bytes: Int, every: Duration, for duration: Duration) async {
        let end = ContinuousClock.now + duration
        var chunk = [UInt8](repeating: 0, count: bytes)
        while ContinuousClock.now < end, !Task.isCancelled {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count == 0 || count < 0 && errno != EAGAIN { return }
            try? await Task.sleep(for: every)
        }
    }

    func readToEnd() async -> String { await read(until: { _ in false }) }

    /// One request with `Connection: close` semantics left to the caller: reads until the server closes.
    func request(_ text: String) async -> String {
        send(text.replacingOccurrences(of: "\r\n\r\n", with: "\r\nConnection: close\r\n\r\n"))
        return await readToEnd()
    }

    func close() { shutdown(fd, Int32(SHUT_RDWR)) }
}

func eventually(_ what: String, seconds: Double = 10, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw HTTPServerError("timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}
