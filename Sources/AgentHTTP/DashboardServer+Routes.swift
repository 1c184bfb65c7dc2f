import Agent
import FlyingFox
import Foundation
import Prometheus
import Telemetry

extension DashboardServer {
    func addRoutes(to routes: inout RoutedHTTPHandler) {
        let service = self.service, registry = self.registry, chartJS = self.chartJS
        routes.appendRoute("GET /") { _ in
            HTTPResponse(statusCode: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                         body: Data(DashboardPage.html.utf8))
        }
        routes.appendRoute("GET /static/chart.min.js") { _ in
            guard let script = FileManager.default.contents(atPath: chartJS) else {
                return .text(.notFound, "Chart.js is not at \(chartJS): apt-get install libjs-chart.js, or set http.chartJS\n")
            }
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "text/javascript", .cacheControl: "max-age=3600"], body: script)
        }
        routes.appendRoute("GET /metrics") { _ in
            HTTPResponse(statusCode: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: Data(MetricHelp.annotate(registry.emitToBuffer()).utf8))
        }
        routes.appendRoute("GET /healthz") { _ in .text(.ok, "ok\n") }
        routes.appendRoute("GET /readyz") { _ in
            let readiness = service.readiness
            return .text(readiness.ready ? .ok : .serviceUnavailable, readiness.reason + "\n")
        }
        routes.appendRoute("GET /api/info") { _ in .json(AgentInfo(service: service)) }
        routes.appendRoute("GET /api/health") { _ in
            guard let health = service.latestHealth else { return .text(.serviceUnavailable, "no health report yet\n") }
            return .json(health)
        }
        routes.appendRoute("GET /api/devices") { _ in .json(service.liveDevices) }
        routes.appendRoute("GET /api/devices/:device/series") { request in
            guard let device = request.routeParameters["device"], TopicLevel.problem(with: device) == nil else {
                return .text(.badRequest, "not a device id\n")
            }
            guard let series = service.liveSeries(device: device, after: request.query["since"].flatMap { Int($0) }) else {
                return .text(.notFound, "no telemetry from \(device) yet\n")
            }
            return .json(series)
        }
        routes.appendRoute("GET /api/events") { _ in .json(service.liveEvents) }
        routes.appendRoute("GET /api/accuracy") { _ in .json(service.liveAccuracy()) }
        routes.appendRoute("GET /api/stream") { request in Self.stream(service: service, request: request) }
        routes.appendRoute("POST /api/emulator") { request in await Self.control(service: service, request: request) }
    }

    /// Server-Sent Events: a frame at once, then one every `interval` seconds (default 1) with the new points.
    static func stream(service: AgentService, request: HTTPRequest) -> HTTPResponse {
        let device = request.query["device"].flatMap { TopicLevel.problem(with: $0) == nil ? $0 : nil }
        let interval = min(10, max(0.2, request.query["interval"].flatMap(Double.init) ?? 1))
        struct Cursor: Sendable { var since: Int?; var device: String?; var first = true }
        let events = ServerSentEvents(initial: Cursor(since: nil, device: device)) { cursor in
            if !cursor.first { try? await Task.sleep(for: .seconds(interval)) }
            cursor.first = false
            let frame = LiveFrame.make(service: service, device: cursor.device, since: cursor.since)
            // Follow the device the first frame picked, and send each point once.
            cursor.device = frame.device
            if let next = frame.series?.next { cursor.since = next - 1 }
            return String(decoding: JSONResponse.encode(frame), as: UTF8.self)
        }
        return HTTPResponse(statusCode: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                            body: HTTPBodySequence(from: events))
    }

    /// `POST /api/emulator` with a control command (`{"command":"inject","device":…}`), published on the
    /// configured emulator's control topic.
    static func control(service: AgentService, request: HTTPRequest) async -> HTTPResponse {
        guard service.configuration.http.emulator != nil else {
            return .text(.conflict, "no emulator is configured (http.emulator / --emulator): controls are off\n")
        }
        let command: ControlCommand
        do {
            guard let body = try await Self.body(of: request, atMost: 4096) else {
                return .text(.payloadTooLarge, "a command is at most 4096 bytes\n")
            }
            command = try JSONDecoder().decode(ControlCommand.self, from: body)
        } catch {
            return .text(.badRequest, "not a control command: expected {\"command\":\"pause\"|\"resume\"|\"reset\"|\"inject\", …}\n")
        }
        if let device = command.device, let problem = TopicLevel.problem(with: device) {
            return .text(.badRequest, "device \(device.prefix(64).debugDescription) \(problem)\n")
        }
        if command.command == .inject, command.device == nil || command.kind == nil {
            return .text(.badRequest, "inject needs a device and a kind\n")
        }
        do {
            try await service.sendEmulatorCommand(command)
            return .text(.accepted, "sent \(command.command.rawValue)\n")
        } catch {
            return .text(.serviceUnavailable, "could not publish the command: \(error)\n")
        }
    }
}

extension DashboardServer {
    /// The request body, or nil when it is longer than `limit`: refused by its declared length before
    /// reading, and a chunked one (no length) is read only until it passes the limit.
    static func body(of request: HTTPRequest, atMost limit: Int) async throws -> Data? {
        if let length = request.bodySequence.count, length > limit { return nil }
        var body = Data()
        for try await chunk in request.bodySequence {
            body.append(chunk)
            if body.count > limit { return nil }
        }
        return body
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
        HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json", .cacheControl: "no-cache"], body: JSONResponse.encode(value))
    }

    static func text(_ status: HTTPStatusCode, _ text: String) -> HTTPResponse {
        HTTPResponse(statusCode: status, headers: [.contentType: "text/plain; charset=utf-8"], body: Data(text.utf8))
    }
}
