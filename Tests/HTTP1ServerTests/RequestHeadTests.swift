@testable import HTTP1Server
import Testing

@Suite("Request heads: found in one pass, parsed under limits, refused with the right status")
struct RequestHeadTests {
    func parse(_ text: String, fields: Int = 100, body: Int = 1024) throws(RequestHead.Problem) -> RequestHead {
        let bytes = Array(text.utf8)
        guard let end = RequestHead.end(in: bytes, from: 0) else { throw .malformed("test: no end of head in \(text.debugDescription)") }
        return try RequestHead.parse(bytes[..<end], maximumFields: fields, maximumBody: body)
    }

    func problem(_ text: String, fields: Int = 100, body: Int = 1024) -> RequestHead.Problem? {
        do {
            _ = try parse(text, fields: fields, body: body)
            return nil
        } catch {
            return error
        }
    }

    @Test("The end of a head, with CRLF or bare LF, found the same whether the bytes come at once or one by one")
    func end() {
        #expect(RequestHead.end(in: Array("GET / HTTP/1.1\r\nHost: a\r\n\r\nBODY".utf8), from: 0) == 27)
        #expect(RequestHead.end(in: Array("GET / HTTP/1.1\nHost: a\n\nBODY".utf8), from: 0) == 24)
        #expect(RequestHead.end(in: Array("GET / HTTP/1.1\r\nHost: a\r\n".utf8), from: 0) == nil)
        let bytes = Array("GET /x HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n".utf8)
        var scanned = 0
        var found: Int?
        for count in 1...bytes.count where found == nil {
            found = RequestHead.end(in: Array(bytes[..<count]), from: scanned)
            scanned = count
        }
        #expect(found == bytes.count)
    }

    @Test("Method, path segments and query decoded; header names without regard to case; keep-alive by version")
    func valid() throws {
        let head = try parse("GET /api/devices/pump%2D07/series?since=29&device=a%20b&since=3 HTTP/1.1\r\nhost: x\r\nX-Thing:  spaced value \t\r\n\r\n")
        #expect(head.request.method == "GET")
        #expect(head.request.pathSegments == ["api", "devices", "pump-07", "series"])
        #expect(head.request.query == ["since": "29", "device": "a b"])
        #expect(head.request.headers["HOST"] == "x")
        #expect(head.request.headers["x-thing"] == "spaced value")
        #expect(head.keepAlive && head.contentLength == 0 && !head.expectsContinue)
        // An encoded slash stays inside its segment.
        #expect(try parse("GET /a%2Fb/c HTTP/1.1\r\nHost: x\r\n\r\n").request.pathSegments == ["a/b", "c"])
        // Empty lines before the request line are skipped.
        #expect(try parse("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n").request.pathSegments == [])
        #expect(try !parse("GET / HTTP/1.0\r\n\r\n").keepAlive)
        #expect(try parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keepAlive)
        #expect(try !parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: TE, close\r\n\r\n").keepAlive)
        let post = try parse("POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nExpect: 100-continue\r\n\r\n")
        #expect(post.contentLength == 12 && post.expectsContinue)
        #expect(try !parse("POST /c HTTP/1.0\r\nContent-Length: 12\r\nExpect: 100-continue\r\n\r\n").expectsContinue, "HTTP/1.0 knows no 100")
        // The absolute form: its authority stands for Host.
        let absolute = try parse("GET http://127.0.0.1:8080/api/devices?x=1 HTTP/1.1\r\nHost: elsewhere.example\r\n\r\n")
        #expect(absolute.request.pathSegments == ["api", "devices"] && absolute.request.query == ["x": "1"])
        #expect(absolute.request.headers.values("Host") == ["127.0.0.1:8080"])
        #expect(try parse("GET http://[::1]:8080 HTTP/1.1\r\nHost: x\r\n\r\n").request.target == "/")
        #expect(try parse("POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n").contentLength == 5)
    }

    @Test("Malformed, oversized and unsupported heads get the status RFC 9110/9112 gives them")
    func refused() {
        #expect(problem("GET / HTTP/1.1\r\n\r\n")?.status == 400, "HTTP/1.1 without Host")
        #expect(problem("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")?.status == 400, "two Hosts")
        #expect(problem("GET / HTTP/2.0\r\nHost: a\r\n\r\n") == .versionNotSupported)
        #expect(problem("GET / FTP/1.0\r\nHost: a\r\n\r\n")?.status == 400)
        #expect(problem("GET  / HTTP/1.1\r\nHost: a\r\n\r\n")?.status == 400, "two spaces")
        #expect(problem("GET * HTTP/1.1\r\nHost: a\r\n\r\n")?.status == 400, "asterisk form")
        #expect(problem("GET / HTTP/1.1\r\r\nHost: a\r\n\r\n")?.status == 400, "a stray CR is no version")
        #expect(problem("GET / HTTP/1.1\r\nHost: a b\r\n\r\n")?.status == 400, "not a host")
        #expect(problem("GET / HTTP/1.1\r\nHost: a/b@c\r\n\r\n")?.status == 400, "not a host")
        #expect(problem("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n")?.status == 400, "an empty length is no 0")
        #expect(problem("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ,\r\n\r\n")?.status == 400)
        #expect(problem("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,\r\n\r\n")?.status == 400)
        #expect(problem("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n") == .unknownTransferCoding)
        #expect(problem("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == .chunkedBody)
        #expect(problem("G(T / HTTP/1.1\r\nHost: a\r\n\r\n")?.status == 400, "not a token")
        #expect(problem("GET / HTTP/1.1\r\nHost : a\r\n\r\n")?.status == 400, "space before the colon")
        #expect(problem("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n")?.status == 400, "obs-fold")
        #expect(problem("GET / HTTP/1.1\r\nHost: a\u{01}b\r\n\r\n")?.status == 400, "control character")
        #expect(problem("GET / HTTP/1.1\r\nHost: a\r\nnocolon\r\n\r\n")?.status == 400)
        #expect(problem("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n") == .chunkedBody)
        #expect(problem("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")?.status == 400)
        #expect(problem("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n")?.status == 400)
        #expect(problem("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n")?.status == 400)
        #expect(problem("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n") == .bodyTooLarge)
        #expect(problem("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", fields: 2) == .tooManyFields)
        #expect(problem("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\n\r\n", fields: 2) == nil)
    }
}

@Suite("Routing: parameters, 404, 405 with Allow, HEAD as GET")
struct HTTPRouterTests {
    @Test("A route's parameters reach its handler; a known path with another method is 405 and says what is allowed")
    func routes() {
        var router = HTTPRouter()
        router.add("GET", "/api/devices/:device/series") { .text(200, "series of \($0.routeParameters["device"] ?? "?")") }
        router.add("POST", "/api/emulator") { _ in .text(202, "sent") }
        router.add("GET", "/") { _ in .text(200, "page") }
        func answer(_ method: String, _ target: String) -> (Int, String, String?) {
            let response = router.respond(to: HTTPRequest(method: method, target: target))
            guard case .bytes(let body) = response.body else { return (response.status, "<stream>", nil) }
            return (response.status, String(decoding: body, as: UTF8.self), response.headers["Allow"])
        }
        #expect(answer("GET", "/api/devices/pump-07/series?since=3") == (200, "series of pump-07", nil))
        #expect(answer("HEAD", "/api/devices/pump-07/series").0 == 200)
        #expect(answer("GET", "/").1 == "page")
        #expect(answer("GET", "/api/devices/pump-07").0 == 404)
        #expect(answer("GET", "/nothing").0 == 404)
        let wrong = answer("DELETE", "/api/devices/x/series")
        #expect(wrong.0 == 405 && wrong.2 == "GET, HEAD")
        #expect(answer("GET", "/api/emulator").2 == "POST")
    }
}
