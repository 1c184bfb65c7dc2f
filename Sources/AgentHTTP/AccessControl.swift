import Foundation
import HTTP1Server

/// Who may read the dashboard and the API: everyone on loopback without a token; with a token, only
/// requests that carry it, as `Authorization: Bearer <token>` (Prometheus, scripts) or basic auth with
/// any user name and the token as password (browsers ask for it). The probes stay open: they say
/// "ready" or "not ready" and nothing else.
struct AccessControl: Sendable {
    let token: String?

    static let openPaths: Set<[String]> = [["healthz"], ["readyz"]]

    func allows(_ request: HTTPRequest) -> Bool {
        guard let token, !Self.openPaths.contains(request.pathSegments) else { return true }
        guard let header = request.headers["Authorization"] else { return false }
        // Scheme names are case-insensitive (RFC 9110 §11.1).
        let scheme = header.prefix { $0 != " " }.lowercased()
        if scheme == "bearer" {
            return Self.constantTimeEqual(String(header.dropFirst(7)), token)
        }
        if scheme == "basic", let decoded = Data(base64Encoded: String(header.dropFirst(6))),
           let credentials = String(data: decoded, encoding: .utf8), let colon = credentials.firstIndex(of: ":") {
            return Self.constantTimeEqual(String(credentials[credentials.index(after: colon)...]), token)
        }
        return false
    }

    /// A page elsewhere must not reach the dashboard through the operator's browser, which may hold the
    /// basic-auth credentials or sit on loopback. Without a token the `Host` must name loopback (a
    /// DNS-rebinding page sends its own name). With or without one, a request that changes something must
    /// carry a JSON content type (a cross-site form or `text/plain` post cannot, without the preflight this
    /// server never grants) and, when the browser sends an `Origin`, come from this very host.
    func refusesCrossSite(_ request: HTTPRequest) -> Bool {
        let host = request.headers["Host"].map(Self.hostName(fromHostHeader:))
        if token == nil, let host, !Self.isLoopbackName(host) { return true }
        guard request.method != "GET", request.method != "HEAD" else { return false }
        if let origin = request.headers["Origin"] {
            guard let originHost = URL(string: origin)?.host else { return true }
            let sameHost = host.map { originHost.lowercased() == $0.lowercased() } ?? false
            guard sameHost || (token == nil && Self.isLoopbackName(originHost)) else { return true }
        }
        return !(request.headers["Content-Type"]?.lowercased().hasPrefix("application/json") ?? false)
    }

    static let crossSite = HTTPResponse.text(403, "refused: changes need a JSON post from this host, and without a token only loopback names are answered\n")

    /// `example.org:8080` → `example.org`; `[::1]:8080` → `::1`.
    static func hostName(fromHostHeader header: String) -> String {
        if header.hasPrefix("["), let end = header.firstIndex(of: "]") { return String(header[header.index(after: header.startIndex)..<end]) }
        return String(header.split(separator: ":", maxSplits: 1).first ?? "")
    }

    static func isLoopbackName(_ host: String) -> Bool {
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if name == "localhost" || name == "::1" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.first == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    static let challenge = HTTPResponse.text(401, "a token is required: Authorization: Bearer <token>, or basic auth with the token as password\n",
                                             headers: ["WWW-Authenticate": "Basic realm=\"edge-anomaly\", charset=\"UTF-8\""])

    /// Compares without stopping at the first difference, so timing does not reveal how much matched.
    static func constantTimeEqual(_ given: String, _ expected: String) -> Bool {
        let lhs = Array(given.utf8), rhs = Array(expected.utf8)
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        for index in 0..<max(lhs.count, rhs.count) {
            difference |= (index < lhs.count ? lhs[index] : 0) ^ (index < rhs.count ? rhs[index] : 0)
        }
        return difference == 0
    }
}

