import Agent
import HTTP1Server
import Foundation
import Prometheus
import Telemetry

extension DashboardServer {
    static func addRoutes(to routes: inout HTTPRouter, service: AgentService, registry: PrometheusCollectorRegistry, chartJS: String) {
        routes.add("GET", "/") { _ in
            HTTPResponse(status: 200, headers: ["Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"], bytes: DashboardPage.html.utf8)
        }
        routes.add("GET", "/static/chart.min.js") { _ in
            guard let script = FileManager.default.contents(atPath: chartJS) else {
                return .text(404, "Chart.js is not at \(chartJS): apt-get install libjs-chart.js, or set http.chartJS\n")
            }
            return HTTPResponse(status: 200, headers: ["Content-Type": "text/javascript", "Cache-Control": "max-age=3600"], bytes: script)
        }
        routes.add("GET", "/metrics") { _ in
            HTTPResponse(status: 200, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"],
                         bytes: MetricHelp.annotate(registry.emitToBuffer()).utf8)
        }
        routes.add("GET", "/healthz") { _ in .text(200, "ok\n") }
        routes.add("GET", "/readyz") { _ in
            let readiness = service.readiness
            return .text(readiness.ready ? 200 : 503, readiness.reason + "\n")
        }
        routes.add("GET", "/api/info") { _ in .json(AgentInfo(service: service)) }
        routes.add("GET", "/api/health") { _ in
            guard let health = service.latestHealth else { return .text(503, "no health report yet\n") }
            return .json(health)
        }
        routes.add("GET", "/api/devices") { _ in .json(service.liveDevices) }
        routes.add("GET", "/api/devices/:device/series") { request in
            guard let device = request.routeParameters["device"], TopicLevel.problem(with: device) == nil else {
                return .text(400, "not a device id\n")
            }
            guard let series = service.liveSeries(device: device, after: request.query["since"].flatMap { Int($0) }) else {
                return .text(404, "no telemetry from \(device) yet\n")
            }
            return .json(series)
        }
        routes.add("GET", "/api/events") { _ in .json(service.liveEvents) }
        routes.add("GET", "/api/accuracy") { _ in .json(service.liveAccuracy()) }
        routes.add("GET", "/api/stream") { request in Self.stream(service: service, request: request) }
        routes.add("POST", "/api/emulator") { request in Self.control(service: service, request: request) }
    }

    /// Server-Sent Events: a frame at once, then one every `interval` seconds (default 1) with the new points.
    static func stream(service: AgentService, request: HTTPRequest) -> HTTPResponse {
        let device = request.query["device"].flatMap { TopicLevel.problem(with: $0) == nil ? $0 : nil }
        let interval = min(10, max(0.2, request.query["interval"].flatMap(Double.init) ?? 1))
        struct Cursor: Sendable {
            var since: Int?
            var device: String?
            /// When the device list was last sent, and what it held (count, open events).
            var devicesSent: (at: ContinuousClock.Instant, count: Int, open: Int)?
        }
        let events = ServerSentEvents.body(initial: Cursor(since: nil, device: device), every: interval) { cursor in
            // The list (a megabyte at thousands of devices) goes when it changed, or every 5 s for the rest.
            let frame = LiveFrame.make(service: service, device: cursor.device, since: cursor.since) { devices in
                let now = ContinuousClock.now, open = devices.count { $0.openEvent != nil }
                if let sent = cursor.devicesSent, sent.count == devices.count, sent.open == open, now - sent.at < .seconds(5) { return false }
                cursor.devicesSent = (now, devices.count, open)
                return true
            }
            // Follow the device the first frame picked, and send each point once.
            cursor.device = frame.device
            if let next = frame.series?.next { cursor.since = next - 1 }
            return String(decoding: JSONResponse.encode(frame), as: UTF8.self)
        }
        return HTTPResponse(status: 200, headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-cache"], body: events)
    }

    /// The longest control command read; the server has already refused bodies over its own, larger limit.
    static let maximumCommandBytes = 4096

    /// `POST /api/emulator` with a control command (`{"command":"inject","device":…}`), published on the
    /// configured emulator's control topic.
    static func control(service: AgentService, request: HTTPRequest) -> HTTPResponse {
        guard service.configuration.http.emulator != nil else {
            return .text(409, "no emulator is configured (http.emulator / --emulator): controls are off\n")
        }
        guard request.body.count <= maximumCommandBytes else {
            return .text(413, "a command is at most \(maximumCommandBytes) bytes\n")
        }
        let command: ControlCommand
        do {
            command = try JSONDecoder().decode(ControlCommand.self, from: Data(request.body))
        } catch {
            return .text(400, "not a control command: expected {\"command\":\"pause\"|\"resume\"|\"reset\"|\"inject\", …}\n")
        }
        if let device = command.device, let problem = TopicLevel.problem(with: device) {
            return .text(400, "device \(device.prefix(64).debugDescription) \(problem)\n")
        }
        if command.command == .inject, command.device == nil || command.kind == nil {
            return .text(400, "inject needs a device and a kind\n")
        }
        do {
            try service.sendEmulatorCommand(command)
            return .text(202, "sent \(command.command.rawValue)\n")
        } catch {
            return .text(503, "could not publish the command: \(error)\n")
        }
    }
}

/// What the page needs to set itself up.
struct AgentInfo: Encodable {
    var agent: String
    var model: String?
    var sensors: [String]
    var threshold: Double?
    var emulator: String?
    var seriesPoints: Int

    init(service: AgentService) {
        let summary = service.modelSummary
        agent = service.configuration.agent
        model = summary?.id
        sensors = summary?.sensors ?? []
        threshold = summary?.threshold
        emulator = service.configuration.http.emulator
        seriesPoints = service.configuration.http.seriesPoints
    }

    enum CodingKeys: String, CodingKey {
        case agent, model, sensors, threshold, emulator
        case seriesPoints = "series_points"
    }
}

enum JSONResponse {
    static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return (try? encoder.encode(value)) ?? Data("null".utf8)
    }
}

extension HTTPResponse {
    static func json(_ value: some Encodable) -> HTTPResponse {
        HTTPResponse(status: 200, headers: ["Content-Type": "application/json", "Cache-Control": "no-cache"], bytes: JSONResponse.encode(value))
    }
}
