import Foundation
import FlyingFox

/// Who may read the dashboard and the API: everyone on loopback without a token; with a token, only
/// requests that carry it, as `Authorization: Bearer <token>` (Prometheus, scripts) or basic auth with
/// any user name and the token as password (browsers ask for it). The probes stay open: they say
/// "ready" or "not ready" and nothing else.
struct AccessControl: Sendable {
    let token: String?

    static let openPaths: Set<String> = ["/healthz", "/readyz"]

    func allows(_ request: HTTPRequest) -> Bool {
        guard let token, !Self.openPaths.contains(request.path) else { return true }
        guard let header = request.headers[.authorization] else { return false }
        if header.hasPrefix("Bearer ") {
            return Self.constantTimeEqual(String(header.dropFirst(7)), token)
        }
        if header.hasPrefix("Basic "), let decoded = Data(base64Encoded: String(header.dropFirst(6))),
           let credentials = String(data: decoded, encoding: .utf8), let colon = credentials.firstIndex(of: ":") {
            return Self.constantTimeEqual(String(credentials[credentials.index(after: colon)...]), token)
        }
        return false
    }

    static let challenge = HTTPResponse(statusCode: .unauthorized,
                                        headers: [.wwwAuthenticate: "Basic realm=\"edge-anomaly\", charset=\"UTF-8\"",
                                                  .contentType: "text/plain; charset=utf-8"],
                                        body: Data("a token is required: Authorization: Bearer <token>, or basic auth with the token as password\n".utf8))

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

extension HTTPHeader {
    static let wwwAuthenticate = HTTPHeader("WWW-Authenticate")
}
