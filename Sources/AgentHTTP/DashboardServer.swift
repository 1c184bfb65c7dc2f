import Agent
import Foundation
import HTTP1Server
import Logging
import Prometheus
import Telemetry

/// The agent's HTTP side: `/` the dashboard, `/metrics` for Prometheus, `/healthz` and `/readyz` for
/// probes, `/api/…` JSON, `/api/stream` Server-Sent Events. It only reads the agent's views (and
/// publishes emulator commands through the agent's client), so it can never slow the hot path.
public final class DashboardServer: Sendable {
    let service: AgentService
    let logger: Logger
    let server: HTTPServer

    /// - Throws: `ConfigurationError` for an unusable address or an unreadable token file.
    public init(service: AgentService, registry: PrometheusCollectorRegistry, logger: Logger) throws {
        let http = service.configuration.http
        self.service = service
        self.logger = logger
        let access = AccessControl(token: try service.configuration.resolveHTTPToken())
        var routes = HTTPRouter()
        Self.addRoutes(to: &routes, service: service, registry: registry, chartJS: http.chartJS)
        do {
            server = try HTTPServer(address: http.address, port: UInt16(http.port), logger: logger) { [routes] request in
                guard access.allows(request) else { return AccessControl.challenge }
                return routes.respond(to: request) { access.refusesCrossSite($0) ? AccessControl.crossSite : nil }
            }
        } catch {
            throw ConfigurationError(key: "http.address", "\(http.address) cannot be listened on: \(error)")
        }
    }

    /// Serves until `stop()` or cancellation; logs the address it listens on.
    /// - Throws: `HTTPServerError` when it cannot listen (the port is taken, say).
    public func run() async throws {
        let logger = self.logger, host = service.configuration.http.address
        try await server.run { port in
            logger.info("dashboard at http://\(host):\(port)/", metadata: ["metrics": "http://\(host):\(port)/metrics"])
        }
    }

    public func stop() { server.stop() }
}
