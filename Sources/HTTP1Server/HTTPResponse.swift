#if canImport(Glibc)
import Glibc
#endif

/// A response: a status, header fields and a body that is either bytes (sent with `Content-Length`,
/// the connection may carry more requests) or a stream (sent as it comes, the connection closes after it).
public struct HTTPResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        /// Called for each piece, on the connection's thread (it may block, to pace the stream), until it
        /// returns nil; the server stops asking when the client goes away or the server stops.
        case stream(@Sendable () -> [UInt8]?)
    }

    public var status: Int
    /// Fields besides `Content-Length` and `Connection`, which the server writes itself.
    public var headers: HTTPHeaders
    public var body: Body

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), bytes: some Sequence<UInt8>) {
        self.init(status: status, headers: headers, body: .bytes(Array(bytes)))
    }

    /// A short `text/plain` answer.
    public static func text(_ status: Int, _ text: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var fields = headers
        fields.append("Content-Type", "text/plain; charset=utf-8")
        return HTTPResponse(status: status, headers: fields, bytes: text.utf8)
    }

    /// Fields the server writes itself, whatever a handler set.
    static let serverFields: Set<String> = ["content-length", "connection", "transfer-encoding", "date", "x-content-type-options"]

    /// The status line and header fields, ending with the empty line. `contentLength` nil leaves the length
    /// out, for a stream.
    func head(contentLength: Int?, keepAlive: Bool) -> [UInt8] {
        var text = "HTTP/1.1 \(status) \(Self.reason(for: status))\r\nDate: \(Self.httpDate())\r\n"
        // A value with a line break would start a header of its own (response splitting): never sent; nor a
        // second Content-Length or Connection, which would make the framing ambiguous.
        for (name, value) in headers where !(name + value).contains(where: \.isNewline) && !Self.serverFields.contains(name.lowercased()) {
            text += "\(name): \(value)\r\n"
        }
        text += "X-Content-Type-Options: nosniff\r\n"
        if let contentLength { text += "Content-Length: \(contentLength)\r\n" }
        text += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        return Array(text.utf8)
    }

    /// The whole response for a bytes body (the head alone for HEAD); nil for a stream.
    func serialized(keepAlive: Bool, headOnly: Bool = false) -> [UInt8]? {
        guard case .bytes(let body) = body else { return nil }
        return head(contentLength: body.count, keepAlive: keepAlive) + (headOnly ? [] : body)
    }

    /// Now as an IMF-fixdate (RFC 9110 §5.6.7), `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func httpDate() -> String {
        var now = time(nil), parts = tm()
        gmtime_r(&now, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"], months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    static func reason(for status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 202: "Accepted"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }
}
