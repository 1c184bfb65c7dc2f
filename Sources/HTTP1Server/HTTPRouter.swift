/// Routes by method and path pattern (`/api/devices/:device/series`). A path that matches no pattern is
/// 404; one that matches with another method is 405 with `Allow` (RFC 9110 §15.5.6). HEAD is answered as
/// GET; the server leaves out the body.
public struct HTTPRouter: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    struct Route: Sendable {
        var method: String
        var pattern: [String]
        var handler: Handler

        func parameters(for segments: [String]) -> [String: String]? {
            guard segments.count == pattern.count else { return nil }
            var parameters: [String: String] = [:]
            for (expected, given) in zip(pattern, segments) {
                if expected.hasPrefix(":") { parameters[String(expected.dropFirst())] = given } else if expected != given { return nil }
            }
            return parameters
        }
    }

    var routes: [Route] = []

    public init() {}

    public mutating func add(_ method: String, _ path: String, _ handler: @escaping Handler) {
        routes.append(Route(method: method, pattern: path.split(separator: "/").map(String.init), handler: handler))
    }

    /// The matching route's answer. `admit` sees the request once a route and method match, and may answer
    /// in its place (a refusal), so that 404 and 405 never depend on it.
    public func respond(to request: HTTPRequest, admit: (HTTPRequest) -> HTTPResponse? = { _ in nil }) -> HTTPResponse {
        let method = request.method == "HEAD" ? "GET" : request.method
        var allowed: [String] = []
        for route in routes {
            guard let parameters = route.parameters(for: request.pathSegments) else { continue }
            guard route.method == method else {
                allowed.append(route.method)
                continue
            }
            var routed = request
            routed.routeParameters = parameters
            if let refusal = admit(routed) { return refusal }
            return route.handler(routed)
        }
        guard allowed.isEmpty else {
            if allowed.contains("GET") { allowed.append("HEAD") }
            let allow = allowed.joined(separator: ", ")
            return .text(405, "\(request.method) is not served here; use \(allow)\n", headers: ["Allow": allow])
        }
        return .text(404, "not found\n")
    }
}
