import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// One client connection, on its own thread: reads requests under the server's limits, hands each to the
/// handler on this same thread, writes the answers, until the client closes, a limit is hit or the server stops.
final class Connection {
    let fd: Int32
    let server: HTTPServer
    var limits: HTTPServer.Limits { server.limits }
    /// Bytes received and not yet used: a request's start, or pipelined requests after it.
    private var buffer: [UInt8] = []
    /// What each read fills, reused.
    private var scratch = [UInt8](repeating: 0, count: 16 * 1024)

    init(fd: Int32, server: HTTPServer) {
        self.fd = fd
        self.server = server
    }

    func serve() {
        while !server.isStopped, let (request, keepAlive) = nextRequest() {
            let response = server.handler(request)
            // The raw target: printable ASCII only, so it cannot forge log lines as a decoded path could.
            server.logger.debug("\(request.method) \(request.target) \(response.status)")
            guard respond(with: response, to: request, keepAlive: keepAlive) else { return }
        }
    }

    /// The next whole request, read within `requestSeconds`; nil when the connection is done with (closed,
    /// timed out, or refused with an answer already sent).
    private func nextRequest() -> (HTTPRequest, keepAlive: Bool)? {
        let deadline = ContinuousClock.now + .seconds(limits.requestSeconds)
        // The head: scanned once as it arrives, and never held beyond the limit.
        var scanned = 0
        var headEnd = RequestHead.end(in: buffer, from: 0)
        while headEnd == nil {
            guard buffer.count <= limits.maximumHeadBytes else { return refuse(.tooLarge) }
            scanned = buffer.count
            switch read(before: deadline) {
            case .data: headEnd = RequestHead.end(in: buffer, from: scanned)
            case .closed: return nil
            case .timedOut: return buffer.isEmpty ? nil : refuse(status: 408, "the request did not arrive in time\n")
            }
        }
        guard let headEnd, headEnd <= limits.maximumHeadBytes else { return refuse(.tooLarge) }
        let head: RequestHead
        do {
            head = try RequestHead.parse(buffer[..<headEnd], maximumFields: limits.maximumHeaderFields, maximumBody: limits.maximumBodyBytes)
        } catch {
            return refuse(error)
        }
        let end = headEnd + head.contentLength
        if head.expectsContinue, buffer.count < end, !write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8), within: limits.writeSeconds) { return nil }
        while buffer.count < end {
            switch read(before: deadline) {
            case .data: continue
            case .closed: return nil
            case .timedOut: return refuse(status: 408, "the request body did not arrive in time\n")
            }
        }
        var request = head.request
        request.body = Array(buffer[headEnd..<end])
        buffer.removeFirst(end)
        return (request, head.keepAlive)
    }

    /// Writes `response`; false when the connection is done with.
    private func respond(with response: HTTPResponse, to request: HTTPRequest, keepAlive: Bool) -> Bool {
        let headOnly = request.method == "HEAD"
        switch response.body {
        case .bytes:
            let keepAlive = keepAlive && !server.isStopped
            // HEAD gets the length GET would, without the body (RFC 9110 §9.3.2).
            guard let bytes = response.serialized(keepAlive: keepAlive, headOnly: headOnly) else { return false }
            return write(bytes, within: limits.writeSeconds) && keepAlive
        case .stream(let next):
            guard server.beginStream() else {
                answer(status: 503, "too many streams open; try again shortly\n")
                return false
            }
            defer { server.endStream() }
            // No length to announce: the end of the stream is the end of the connection.
            guard write(response.head(contentLength: nil, keepAlive: false), within: limits.writeSeconds), !headOnly else { return false }
            while !server.isStopped, let piece = next(), write(piece, within: limits.writeSeconds) {}
            return false
        }
    }

    private func refuse(_ problem: RequestHead.Problem) -> (HTTPRequest, keepAlive: Bool)? { refuse(status: problem.status, problem.message) }

    /// Sends an error answer, after which the connection closes (what follows in the stream cannot be
    /// trusted); always nil, for `nextRequest`.
    private func refuse(status: Int, _ message: String) -> (HTTPRequest, keepAlive: Bool)? {
        answer(status: status, message)
        return nil
    }

    private func answer(status: Int, _ message: String) {
        server.logger.debug("HTTP request refused", metadata: ["status": "\(status)", "reason": "\(message.dropLast())"])
        let response = HTTPResponse.text(status, message, headers: status == 503 ? ["Retry-After": "1"] : [:])
        guard let bytes = response.serialized(keepAlive: false), write(bytes, within: limits.writeSeconds) else { return }
        // Closing with unread bytes makes the kernel send a reset, which can reach the client before it has
        // read the answer: read and drop what is still coming, for a moment, first (a lingering close).
        shutdown(fd, Int32(SHUT_WR))
        let deadline = ContinuousClock.now + .seconds(1)
        var total = 0
        while total < 1 << 20, case .data = read(before: deadline) {
            total += buffer.count
            buffer.removeAll(keepingCapacity: true)
        }
    }

    enum ReadResult { case data, closed, timedOut }

    /// Waits for bytes until `deadline` and appends what came to `buffer`.
    private func read(before deadline: ContinuousClock.Instant) -> ReadResult {
        guard let milliseconds = Self.milliseconds(until: deadline) else { return .timedOut }
        var polled = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&polled, 1, milliseconds)
        if ready == 0 { return .timedOut }
        if ready < 0 { return errno == EINTR ? .data : .closed }
        let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if count < 0, errno == EINTR || errno == EAGAIN { return .data }
        guard count > 0 else { return .closed }
        buffer.append(contentsOf: scratch[..<count])
        return .data
    }

    /// All of `bytes` within `seconds` in all, or false when the client is gone or reads too slowly: the
    /// deadline is for the whole write, not each send, so a client taking a few bytes at a time cannot
    /// stretch it.
    private func write(_ bytes: [UInt8], within seconds: Double) -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var offset = 0
        while offset < bytes.count {
            guard let milliseconds = Self.milliseconds(until: deadline) else { return false }
            var polled = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&polled, 1, milliseconds)
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { return false }
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            if sent < 0, errno == EINTR || errno == EAGAIN { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    /// What is left until `deadline`, rounded up, for poll; nil once it has passed.
    static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32? {
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { return nil }
        return Int32(clamping: remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1)
    }
}
