/// The parts of a request head that decide how to read the rest: parsed from the bytes up to the empty
/// line, under the server's limits, in one pass.
struct RequestHead: Sendable {
    var request: HTTPRequest
    var contentLength: Int
    var expectsContinue: Bool
    var keepAlive: Bool

    /// Why a head was refused; each maps to the status the client gets before the connection closes.
    enum Problem: Error, Equatable, Sendable {
        case malformed(String)
        case tooLarge
        case tooManyFields
        case versionNotSupported
        case bodyTooLarge
        case chunkedBody
        case unknownTransferCoding

        var status: Int {
            switch self {
            case .malformed: 400
            case .tooLarge, .tooManyFields: 431
            case .versionNotSupported: 505
            case .bodyTooLarge: 413
            case .chunkedBody: 411
            case .unknownTransferCoding: 501
            }
        }

        var message: String {
            switch self {
            case .malformed(let why): "bad request: \(why)\n"
            case .tooLarge: "the request head is too large\n"
            case .tooManyFields: "the request has too many header fields\n"
            case .versionNotSupported: "only HTTP/1.0 and HTTP/1.1 are served\n"
            case .bodyTooLarge: "the request body is too large\n"
            case .chunkedBody: "send the body with a Content-Length (chunked request bodies are not read)\n"
            case .unknownTransferCoding: "transfer codings are not implemented; send the body with a Content-Length\n"
            }
        }
    }

    /// Where the head in `bytes` ends (the index after its empty line), looking no further back than `from`
    /// minus three, so that a head arriving in pieces is scanned once. Bare LF line ends are accepted
    /// (RFC 9112 §2.2).
    static func end(in bytes: [UInt8], from: Int) -> Int? {
        var index = max(0, from - 3)
        while index < bytes.count {
            if bytes[index] == 10 {
                if index + 1 < bytes.count, bytes[index + 1] == 10 { return index + 2 }
                if index + 2 < bytes.count, bytes[index + 1] == 13, bytes[index + 2] == 10 { return index + 3 }
            }
            index += 1
        }
        return nil
    }

    /// Parses a head that `end(in:from:)` found, the empty line included.
    static func parse(_ head: ArraySlice<UInt8>, maximumFields: Int, maximumBody: Int) throws(Problem) -> RequestHead {
        var lines = head.split(separator: 10, omittingEmptySubsequences: false).map { $0.last == 13 ? $0.dropLast() : $0 }
        // Empty lines before the request line are skipped (RFC 9112 §2.2); the last ones end the head.
        while lines.first?.isEmpty == true { lines.removeFirst() }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let requestLine = lines.first else { throw .malformed("no request line") }
        let parts = requestLine.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(isTokenByte) else { throw .malformed("not a request line") }
        let (target, authority) = try target(parts[1])
        let version = try version(parts[2])
        guard lines.count - 1 <= maximumFields else { throw .tooManyFields }
        var headers = try fields(lines.dropFirst())
        let hosts = headers.values("Host")
        if version == (1, 1), hosts.isEmpty { throw .malformed("HTTP/1.1 needs a Host") }
        guard hosts.count <= 1 else { throw .malformed("more than one Host") }
        guard hosts.allSatisfy(isHostValue) else { throw .malformed("not a host name") }
        if let authority {
            guard isHostValue(authority) else { throw .malformed("not a host name") }
            headers.removeAll("Host")
            headers.append("Host", authority)
        }
        let request = HTTPRequest(method: String(decoding: parts[0], as: UTF8.self), target: target, headers: headers, version: version)
        let connection = headers.values("Connection").flatMap { $0.lowercased().split(separator: ",") }.map { $0.trimmingSpaces }
        let keepAlive = version == (1, 1) ? !connection.contains("close") : connection.contains("keep-alive")
        // HTTP/1.0 clients do not know 100 Continue (RFC 9110 §10.1.1).
        let expectsContinue = version == (1, 1) && headers["Expect"]?.lowercased() == "100-continue"
        return RequestHead(request: request, contentLength: try bodyLength(headers, maximum: maximumBody),
                           expectsContinue: expectsContinue, keepAlive: keepAlive)
    }

    /// The request target as a path, and the authority the absolute form names (what a proxy sends), which
    /// then stands for Host (RFC 9112 §3.2.2).
    static func target(_ bytes: ArraySlice<UInt8>) throws(Problem) -> (path: String, authority: String?) {
        guard bytes.allSatisfy({ $0 > 32 && $0 < 127 }) else { throw .malformed("a character not allowed in the target") }
        let target = String(decoding: bytes, as: UTF8.self)
        if target.hasPrefix("/") { return (target, nil) }
        guard let scheme = ["http://", "https://"].first(where: { target.lowercased().hasPrefix($0) }) else {
            throw .malformed("the target must be a path or an absolute URL")
        }
        let rest = target.dropFirst(scheme.count)
        let end = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        return (rest[end...].hasPrefix("/") ? String(rest[end...]) : "/" + rest[end...], String(rest[..<end]))
    }

    /// HTTP/1.0, or 1.1 for any later 1.x (RFC 9110 §2.5); another major version is not served.
    static func version(_ bytes: ArraySlice<UInt8>) throws(Problem) -> (major: Int, minor: Int) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.utf8.count == 8, text.hasPrefix("HTTP/"), text.utf8.enumerated().allSatisfy({ index, byte in
            index == 6 ? byte == UInt8(ascii: ".") : index < 5 || (48...57).contains(byte)
        }) else { throw .malformed("not an HTTP version") }
        guard text.hasPrefix("HTTP/1.") else { throw .versionNotSupported }
        return text == "HTTP/1.0" ? (1, 0) : (1, 1)
    }

    /// Header fields; whitespace before a colon, or a line folded onto the previous one, is refused
    /// (RFC 9112 §5).
    static func fields(_ lines: ArraySlice<ArraySlice<UInt8>>) throws(Problem) -> HTTPHeaders {
        var headers = HTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else { throw .malformed("a header line without a name") }
            let name = line[..<colon]
            guard name.allSatisfy(isTokenByte) else { throw .malformed("a header name with characters not allowed in it") }
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self)[...].trimmingSpaces
            guard value.utf8.allSatisfy({ $0 == 9 || $0 >= 32 && $0 != 127 }) else { throw .malformed("a control character in a header value") }
            headers.append(String(decoding: name, as: UTF8.self), value)
        }
        return headers
    }

    /// The body's length: none without a Content-Length; no transfer codings (chunked is refused with 411,
    /// the rest with 501). Every element of every Content-Length field must be the same number: an empty
    /// one, read as 0, would make the body the next request (request smuggling).
    static func bodyLength(_ headers: HTTPHeaders, maximum: Int) throws(Problem) -> Int {
        if let codings = headers["Transfer-Encoding"] {
            throw codings.lowercased().split(separator: ",").last?.trimmingSpaces == "chunked" ? .chunkedBody : .unknownTransferCoding
        }
        let lengths = headers.values("Content-Length").flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }.map { $0.trimmingSpaces }
        guard Set(lengths).count <= 1 else { throw .malformed("conflicting Content-Length") }
        guard let length = lengths.first else { return 0 }
        guard !length.isEmpty, length.utf8.count <= 18, length.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int(length) else {
            throw .malformed("Content-Length is not a number")
        }
        guard value <= maximum else { throw .bodyTooLarge }
        return value
    }

    /// A Host value (RFC 9110 §7.2): a name, an IPv4 or bracketed IPv6 address, an optional port; nothing
    /// that would end the authority (`/ ? # @`) or break a line.
    static func isHostValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            default: "-._~%!$&'()*+,;=:[]".utf8.contains(byte)
            }
        }
    }

    /// tchar of RFC 9110 §5.6.2.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

extension Substring {
    var trimmingSpaces: String { String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()) }
}
