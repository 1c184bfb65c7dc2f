import Agent
import FlyingFox
import FlyingSocks
import Foundation
import Logging
import Prometheus
import Telemetry

/// The agent's HTTP side: `/` the dashboard, `/metrics` for Prometheus, `/healthz` and `/readyz` for
/// probes, `/api/…` JSON, `/api/stream` Server-Sent Events. It only reads the agent's views (and
/// publishes emulator commands through the agent's client), so it can never slow the hot path.
public final class DashboardServer: Sendable {
    let service: AgentService
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    let server: HTTPServer
    let chartJS: String
    let access: AccessControl

    /// - Throws: `ConfigurationError` for an unusable address or an unreadable token file.
    public init(service: AgentService, registry: PrometheusCollectorRegistry, logger: Logger) throws {
        let http = service.configuration.http
        self.service = service
        self.registry = registry
        self.logger = logger
        chartJS = http.chartJS
        let address: sockaddr_in
        do {
            address = try .inet(ip4: http.address, port: UInt16(http.port))
        } catch {
            throw ConfigurationError(key: "http.address", "\(http.address) cannot be listened on: \(error)")
        }
        access = AccessControl(token: try service.configuration.resolveHTTPToken())
        server = HTTPServer(config: .init(address: address, timeout: 15, logger: QuietLogging(logger: logger)))
    }

    /// Serves until `stop()`; logs the address it listens on.
    public func run() async throws {
        var routes = RoutedHTTPHandler()
        addRoutes(to: &routes)
        await server.appendRoute("*", to: Root(access: access, routes: routes))
        let listening = Task {
            try await server.waitUntilListening(timeout: 10)
            if let address = await server.listeningAddress, case .ip4(let host, let port) = address {
                logger.info("dashboard at http://\(host):\(port)/", metadata: ["metrics": "http://\(host):\(port)/metrics"])
            }
        }
        defer { listening.cancel() }
        try await server.run()
    }

    public func stop() async { await server.stop(timeout: 1) }
}

/// Checks access, then routes.
struct Root: HTTPHandler {
    let access: AccessControl
    let routes: RoutedHTTPHandler

    func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard access.allows(request) else { return AccessControl.challenge }
        guard !access.refusesCrossSite(request) else { return AccessControl.crossSite }
        // HEAD is GET without the body (RFC 9110), so HEAD-based health checks see /healthz as it is.
        if request.method == .HEAD {
            var get = request
            get.method = .GET
            let response = try await routes.handleRequest(get)
            var headers = response.headers
            headers[.contentLength] = nil
            return HTTPResponse(version: response.version, statusCode: response.statusCode, headers: headers, body: Data())
        }
        return try await routes.handleRequest(request)
    }
}

/// FlyingFox logs every request at info; ours are debug, its warnings and errors stay visible.
struct QuietLogging: FlyingSocks.Logging {
    let logger: Logger
    func logDebug(_ debug: @autoclosure () -> String) {}
    func logInfo(_ info: @autoclosure () -> String) { logger.debug("\(info())") }
    func logWarning(_ warning: @autoclosure () -> String) { logger.warning("\(warning())") }
    func logError(_ error: @autoclosure () -> String) { logger.error("\(error())") }
    func logCritical(_ critical: @autoclosure () -> String) {
        // FlyingFox reports its own orderly stop as a "server error": a CancellationError, or its listening
        // socket "Disconnected" once closed.
        let text = critical()
        if text.contains("CancellationError") || text.hasSuffix("SocketError. Disconnected") { logger.debug("\(text)") } else { logger.critical("\(text)") }
    }
}
