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
        guard parts[1].allSatisfy({ $0 > 32 && $0 < 127 }) else { throw .malformed("a character not allowed in the target") }
        var target = String(decoding: parts[1], as: UTF8.self)
        // The absolute form (what a proxy sends) names the host itself, which then stands for Host (RFC 9112 §3.2.2).
        var authority: String?
        if let scheme = ["http://", "https://"].first(where: { target.lowercased().hasPrefix($0) }) {
            let rest = target.dropFirst(scheme.count)
            let slash = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            authority = String(rest[..<slash])
            target = rest[slash...].hasPrefix("/") ? String(rest[slash...]) : "/" + rest[slash...]
        }
        guard target.hasPrefix("/") else { throw .malformed("the target must be a path or an absolute URL") }
        let version: (major: Int, minor: Int)
        let versionText = String(decoding: parts[2], as: UTF8.self)
        switch versionText {
        case "HTTP/1.0": version = (1, 0)
        case let other where other.utf8.count == 8 && other.hasPrefix("HTTP/") && other.utf8.enumerated().allSatisfy({ index, byte in
            index == 6 ? byte == UInt8(ascii: ".") : index < 5 || (48...57).contains(byte)
        }):
            // A later 1.x is answered as 1.1 (RFC 9110 §2.5); another major version is not served.
            guard other.hasPrefix("HTTP/1.") else { throw .versionNotSupported }
            version = (1, 1)
        default: throw .malformed("not an HTTP version")
        }
        guard lines.count - 1 <= maximumFields else { throw .tooManyFields }
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else { throw .malformed("a header line without a name") }
            let name = line[..<colon]
            // Whitespace before the colon, or a line folded onto the previous one, is refused (RFC 9112 §5).
            guard name.allSatisfy(isTokenByte) else { throw .malformed("a header name with characters not allowed in it") }
            let value = line[(colon + 1)...].drop { $0 == 32 || $0 == 9 }.reversed().drop { $0 == 32 || $0 == 9 }.reversed()
            guard value.allSatisfy({ $0 == 9 || $0 >= 32 && $0 != 127 }) else { throw .malformed("a control character in a header value") }
            headers.append(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
        }
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
        if let codings = request.headers["Transfer-Encoding"] {
            throw codings.lowercased().split(separator: ",").last?.trimmingSpaces == "chunked" ? .chunkedBody : .unknownTransferCoding
        }
        // Every element of every Content-Length field must be the same number: an empty one, read as 0,
        // would make the body the next request (request smuggling).
        let lengths = request.headers.values("Content-Length").flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }.map { $0.trimmingSpaces }
        guard Set(lengths).count <= 1 else { throw .malformed("conflicting Content-Length") }
        var contentLength = 0
        if let length = lengths.first {
            guard !length.isEmpty, length.utf8.count <= 18, length.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int(length) else {
                throw .malformed("Content-Length is not a number")
            }
            guard value <= maximumBody else { throw .bodyTooLarge }
            contentLength = value
        }
        let connection = request.headers.values("Connection").flatMap { $0.lowercased().split(separator: ",") }.map { $0.trimmingSpaces }
        let keepAlive = version == (1, 1) ? !connection.contains("close") : connection.contains("keep-alive")
        // HTTP/1.0 clients do not know 100 Continue (RFC 9110 §10.1.1).
        let expectsContinue = version == (1, 1) && request.headers["Expect"]?.lowercased() == "100-continue"
        return RequestHead(request: request, contentLength: contentLength, expectsContinue: expectsContinue, keepAlive: keepAlive)
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
