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

    /// The status line and header fields, ending with the empty line. `contentLength` nil leaves the length
    /// out, for a stream.
    func head(contentLength: Int?, keepAlive: Bool) -> [UInt8] {
        var text = "HTTP/1.1 \(status) \(Self.reason(for: status))\r\n"
        // A value with a line break would start a header of its own (response splitting): never sent.
        for (name, value) in headers where !(name + value).contains(where: \.isNewline) { text += "\(name): \(value)\r\n" }
        text += "X-Content-Type-Options: nosniff\r\n"
        if let contentLength { text += "Content-Length: \(contentLength)\r\n" }
        text += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        return Array(text.utf8)
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
