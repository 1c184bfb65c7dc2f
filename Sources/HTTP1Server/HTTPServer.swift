import Foundation
import Logging
import SystemThreads
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 server on plain sockets, for a dashboard, probes and metrics on a gateway: a thread
/// per connection, at most `Limits.maximumConnections` of them, every request head and body bounded in
/// size and in time. Handlers are synchronous and run on the connection's own thread, never on Swift's
/// cooperative pool: a slow client or a slow handler holds its own connection and nothing else, so a
/// probe is answered whatever other requests are doing.
public final class HTTPServer: Sendable {
    public struct Limits: Sendable {
        /// Request line and header fields together (nginx's default buffers hold 8 KiB per line).
        public var maximumHeadBytes = 16 * 1024
        public var maximumHeaderFields = 100
        public var maximumBodyBytes = 64 * 1024
        /// Connections served at once; one more is answered 503 and closed.
        public var maximumConnections = 64
        /// Time for a whole request to arrive, counted from the connection or the previous response: a client
        /// that trickles its head (slowloris) is cut off, and so is an idle keep-alive connection.
        public var requestSeconds: Double = 10
        /// Time for a client to take a whole response, or one piece of a stream: a client that reads slowly
        /// cannot hold its connection longer.
        public var writeSeconds: Double = 10
        /// Streamed responses at once (each holds a connection for as long as its client stays); one more
        /// is answered 503, so streams can never take the connections the probes need.
        public var maximumStreams = 16
        public init() {}
    }

    let address: in_addr
    let port: UInt16
    let limits: Limits
    let logger: Logger
    let handler: @Sendable (HTTPRequest) -> HTTPResponse
    let state = Locked(State())

    /// What `stop()` and the connection threads share.
    struct State {
        /// The write end of the pipe that wakes the accept loop; -1 when not running.
        var wake: Int32 = -1
        var connections: Set<Int32> = []
        var streams = 0
        var stopped = false
    }

    /// - Throws: `HTTPServerError` when `address` is not an IPv4 address.
    public init(address: String, port: UInt16, limits: Limits = Limits(), logger: Logger,
                handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) throws(HTTPServerError) {
        var parsed = in_addr()
        guard inet_pton(AF_INET, address, &parsed) == 1 else { throw HTTPServerError("\(address.debugDescription) is not an IPv4 address") }
        self.address = parsed
        self.port = port
        self.limits = limits
        self.logger = logger
        self.handler = handler
    }

    /// Listens, tells `onListening` the port (the bound one when `port` was 0), and serves until `stop()`
    /// or cancellation.
    /// - Throws: `HTTPServerError` when it cannot listen (the port is taken, say).
    public func run(onListening: @Sendable (UInt16) -> Void = { _ in }) async throws {
        let (listening, boundPort) = try openListeningSocket()
        // A pipe to wake the accept loop's poll when the server stops.
        var wakePipe: [Int32] = [-1, -1]
        guard pipe(&wakePipe) == 0 else {
            close(listening)
            throw HTTPServerError("cannot make a pipe: \(Self.lastError)")
        }
        for end in wakePipe { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let wake = wakePipe[0]
        let registered = state.withLock { state in
            guard !state.stopped else { return false }
            state.wake = wakePipe[1]
            return true
        }
        defer {
            state.withLock { state in
                state.wake = -1
                close(listening)
                for end in wakePipe { close(end) }
            }
        }
        guard registered else { return }
        onListening(boundPort)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
                let threadStarted = DetachedThread.start { [self] in
                    done.resume(with: Result { try acceptLoop(listening: listening, wake: wake) })
                }
                if !threadStarted { done.resume(throwing: HTTPServerError("cannot start the thread that accepts connections")) }
            }
        } onCancel: {
            stop()
        }
    }

    /// Stops accepting, cuts every open connection, and makes `run()` return.
    public func stop() {
        state.withLock { state in
            // Once: nobody reads the pipe, so writes without end would fill it and block here.
            if !state.stopped, state.wake >= 0 { _ = write(state.wake, "x", 1) }
            state.stopped = true
            for connection in state.connections { shutdown(connection, Int32(SHUT_RDWR)) }
        }
    }

    var isStopped: Bool { state.withLock { $0.stopped } }

    private func openListeningSocket() throws(HTTPServerError) -> (Int32, UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPServerError("cannot open a socket: \(Self.lastError)") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        socketAddress.sin_addr = address
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let error = Self.lastError
            close(fd)
            throw HTTPServerError("cannot listen on \(Self.addressText(address)):\(port): \(error)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, UInt16(bigEndian: socketAddress.sin_port))
    }

    /// Accepts until `stop()`. Throws when the listening socket itself fails (poll or accept, other than for
    /// a lack of resources), so that the caller can start over instead of taking the end for a stop.
    private func acceptLoop(listening: Int32, wake: Int32) throws(HTTPServerError) {
        // Under a flood these repeat with every connection: said at most every 10 s each.
        var acceptFailures = Throttle(every: .seconds(10)), refusals = Throttle(every: .seconds(10))
        while !isStopped {
            var polled = [pollfd(fd: listening, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            guard poll(&polled, 2, -1) >= 0 || errno == EINTR else {
                throw HTTPServerError("cannot wait for connections: \(Self.lastError)")
            }
            guard !isStopped else { break }
            guard polled[0].revents != 0 else { continue }
            let connection = accept(listening, nil, nil)
            guard connection >= 0 else {
                let code = errno
                // Linux passes a pending connection's network errors through accept (accept(2)): try the next.
                if [EINTR, EAGAIN, ECONNABORTED, EPROTO, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH].contains(code) {
                    continue
                }
                // Anything but a lack of resources means the listening socket itself is broken: start over.
                guard [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(code) else {
                    throw HTTPServerError("cannot accept connections: \(String(cString: strerror(code)))")
                }
                // Out of descriptors (a flood of connections): the pending one stays queued, so wait a moment
                // rather than spin, and keep serving when descriptors come back.
                if acceptFailures.allows() {
                    logger.error("HTTP server cannot accept connections; retrying", metadata: ["error": "\(String(cString: strerror(code)))"])
                }
                usleep(100_000)
                continue
            }
            // Not inherited by programs the process starts later (Glibc's module has no accept4, so a fork
            // in another thread at this very moment could still inherit it; the agent starts none).
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            let admitted = state.withLock { state in
                guard !state.stopped, state.connections.count < limits.maximumConnections else { return false }
                state.connections.insert(connection)
                return true
            }
            guard admitted else {
                if refusals.allows() {
                    logger.warning("HTTP server at its connection limit; refusing more with 503", metadata: ["limit": "\(limits.maximumConnections)"])
                }
                refuse(connection, "too many connections; try again shortly\n")
                close(connection)
                continue
            }
            let started = DetachedThread.start(stackSize: 512 * 1024) { [self] in
                Connection(fd: connection, server: self).serve()
                release(connection)
            }
            if !started {
                release(connection, refusing: "the server cannot take more connections now; try again shortly\n")
            }
        }
    }

    /// Forgets a connection and closes it, after a 503 when `refusing`.
    private func release(_ connection: Int32, refusing message: String? = nil) {
        if let message { refuse(connection, message) }
        state.withLock { state in
            // Under the lock: `stop()` must never shut down a descriptor number that was reused.
            state.connections.remove(connection)
            close(connection)
        }
    }

    /// Counts a stream in, unless there are `maximumStreams` already; `endStream()` counts it out.
    func beginStream() -> Bool {
        state.withLock { state in
            guard state.streams < limits.maximumStreams else { return false }
            state.streams += 1
            return true
        }
    }

    func endStream() { state.withLock { $0.streams -= 1 } }

    /// A 503 without waiting for the client: sent only if the socket takes it at once. What the client has
    /// sent already is read first, so that closing does not reset the connection before it sees the answer.
    private func refuse(_ connection: Int32, _ message: String) {
        var scratch = [UInt8](repeating: 0, count: 16 * 1024)
        for _ in 0..<4 where scratch.withUnsafeMutableBytes({ recv(connection, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }) > 0 {}
        guard let bytes = HTTPResponse.text(503, message, headers: ["Retry-After": "1"]).serialized(keepAlive: false) else { return }
        _ = bytes.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        shutdown(connection, Int32(SHUT_WR))
    }

    static var lastError: String { String(cString: strerror(errno)) }

    static func addressText(_ address: in_addr) -> String {
        var copy = address
        var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        inet_ntop(AF_INET, &copy, &buffer, socklen_t(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Lets a repeated message through at most once per period.
struct Throttle {
    let period: Duration
    var last: ContinuousClock.Instant?

    init(every period: Duration) { self.period = period }

    mutating func allows(now: ContinuousClock.Instant = .now) -> Bool {
        if let last, now - last < period { return false }
        last = now
        return true
    }
}

public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
