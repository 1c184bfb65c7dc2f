@testable import Agent
@testable import AgentHTTP
import Detection
import Evaluation
import HTTP1Server
import Foundation
import IsolationForest
import Telemetry
import Synchronization
import Testing

@Suite("Dashboard pieces without a broker")
struct DashboardUnitTests {
    @Test("The series ring keeps the newest points, numbers them, and answers 'after N' with only newer ones")
    func ring() {
        var series = DeviceSeries(capacity: 4, sensorCount: 2)
        for index in 0..<6 { series.append(ts: Int64(index), score: Double(index) / 10, anomalous: index == 5, values: [Double(index), index == 3 ? .nan : 1]) }
        let all = series.points(after: nil, sensors: ["a", "b"], device: "d", threshold: 0.5)
        #expect(all.first == 2)
        #expect(all.next == 6)
        #expect(all.ts == [2, 3, 4, 5])
        #expect(all.anomalous == [false, false, false, true])
        #expect(all.values[0] == [2, 3, 4, 5])
        #expect(all.values[1] == [1, nil, 1, 1])
        let newer = series.points(after: 4, sensors: ["a", "b"], device: "d", threshold: 0.5)
        #expect(newer.ts == [5])
        #expect(series.points(after: 5, sensors: ["a", "b"], device: "d", threshold: 0.5).ts.isEmpty)
        // From a query string: the extremes answer, they do not trap.
        #expect(series.points(after: .max, sensors: ["a", "b"], device: "d", threshold: 0.5).ts.isEmpty)
        #expect(series.points(after: .min, sensors: ["a", "b"], device: "d", threshold: 0.5).ts == [2, 3, 4, 5])
        #expect(series.lastTimestamp == 5)
    }

    @Test("The live view keeps each event once in its latest state, bounded; accuracy counts only after ground truth")
    func events() {
        var view = LiveView(seriesPoints: 10, recentEvents: 2)
        func event(_ id: String, _ state: AnomalyEvent.State, _ ts: Int64) -> AnomalyEvent {
            AnomalyEvent(eventID: id, device: "pump-01", state: state, startedAt: Timestamp(milliseconds: 1_000), ts: Timestamp(milliseconds: ts),
                         endedAt: state == .closed ? Timestamp(milliseconds: ts) : nil, score: 0.7, peakScore: 0.7, threshold: 0.6,
                         severity: .warning, contributors: [], triggerSeq: nil, model: "m", agent: "a")
        }
        view.record(event("e1", .open, 1_000))
        view.record(event("e1", .closed, 2_000))
        #expect(view.events.map(\.eventID) == ["e1"])
        #expect(view.events.first?.state == .closed)
        view.record(event("e2", .open, 3_000))
        view.record(event("e3", .open, 4_000))
        #expect(view.events.map(\.eventID) == ["e2", "e3"])
        #expect(view.episodes.devices.isEmpty)
        view.record(GroundTruthRecord(device: "pump-01", id: "t1", kind: "spike", state: .start, sensors: ["vibration"], ts: Timestamp(milliseconds: 900)))
        view.record(event("e3", .closed, 5_000))
        #expect(view.truthSeen)
        #expect(view.episodes.metrics(now: 6_000).detectedAnomalies == 1)
    }

    @Test("Accuracy data is bounded: kinds past 32 count as other, and truth and events together start afresh past the limit")
    func episodeBounds() {
        var view = LiveView(seriesPoints: 10, recentEvents: 2)
        func truth(_ index: Int, _ state: GroundTruthRecord.State) -> GroundTruthRecord {
            GroundTruthRecord(device: "pump-01", id: "t\(index)", kind: "kind-\(index)", state: state, sensors: [], ts: Timestamp(milliseconds: Int64(index)))
        }
        for index in 0..<40 {
            view.record(truth(index, .start))
            view.record(truth(index, .end))
        }
        let kinds = view.episodes.metrics(now: 100).byKind
        #expect(kinds.count == LiveView.maximumKinds + 1)
        #expect(kinds.first { $0.kind == "other" }?.total == 8)
        // Events count too, once truth has been seen: the 10,000th record after those 80 starts afresh.
        for index in 0..<(LiveView.episodeLimit - 80) {
            view.record(AnomalyEvent(eventID: "e\(index)", device: "pump-01", state: .open, startedAt: Timestamp(milliseconds: 1), ts: Timestamp(milliseconds: 1),
                                     endedAt: nil, score: 0.7, peakScore: 0.7, threshold: 0.6, severity: .warning, contributors: [], triggerSeq: nil,
                                     model: "m", agent: "a"))
        }
        #expect(view.episodes.metrics(now: 100).trueAnomalies == 40)
        view.record(truth(99, .end))
        #expect(view.episodes.metrics(now: 100).trueAnomalies == 1 && view.episodes.metrics(now: 100).alarms == 0)
    }

    @Test("A reloaded model with other sensors starts the series afresh")
    func modelChange() {
        var view = LiveView(seriesPoints: 10, recentEvents: 5)
        view.record(device: "d", ts: 1, score: 0.5, anomalous: false, values: [1, 2], sensors: ["a", "b"], threshold: 0.6)
        view.record(device: "d", ts: 2, score: 0.5, anomalous: false, values: [1], sensors: ["a"], threshold: 0.6)
        #expect(view.points(device: "d", after: nil)?.ts == [2])
        #expect(view.points(device: "d", after: nil)?.sensors == ["a"])
    }

    @Test("Access: open without a token; with one, bearer or basic (any user) with the right token, probes always")
    func access() throws {
        func request(_ path: String, _ authorization: String? = nil) -> HTTPRequest {
            var headers = HTTPHeaders()
            if let authorization { headers.append("Authorization", authorization) }
            return HTTPRequest(method: "GET", target: path, headers: headers)
        }
        #expect(AccessControl(token: nil).allows(request("/api/info")))
        let access = AccessControl(token: "0123456789abcdef")
        #expect(!access.allows(request("/api/info")))
        #expect(!access.allows(request("/api/info", "Bearer 0123456789abcdeX")))
        #expect(!access.allows(request("/api/info", "Bearer 0123456789abcdef0")))
        #expect(access.allows(request("/api/info", "Bearer 0123456789abcdef")))
        #expect(access.allows(request("/api/info", "bearer 0123456789abcdef")), "schemes are case-insensitive")
        #expect(!access.allows(request("/api/info", "Bearerx0123456789abcdef")))
        #expect(access.allows(request("/", "Basic " + Data("anyone:0123456789abcdef".utf8).base64EncodedString())))
        #expect(!access.allows(request("/", "Basic " + Data("0123456789abcdef:".utf8).base64EncodedString())))
        #expect(!access.allows(request("/", "Basic not-base64")))
        #expect(access.allows(request("/healthz")))
        #expect(access.allows(request("/readyz")))
    }

    @Test("Without a token only loopback Host names; with or without one, changes only as JSON posts from this host")
    func crossSite() {
        func request(_ method: String, host: String?, origin: String? = nil, contentType: String? = nil) -> HTTPRequest {
            var headers = HTTPHeaders()
            if let host { headers.append("Host", host) }
            if let origin { headers.append("Origin", origin) }
            if let contentType { headers.append("Content-Type", contentType) }
            return HTTPRequest(method: method, target: "/api/emulator", headers: headers)
        }
        let open = AccessControl(token: nil)
        #expect(!open.refusesCrossSite(request("GET", host: "127.0.0.1:8080")))
        #expect(!open.refusesCrossSite(request("GET", host: "localhost:8080")))
        #expect(!open.refusesCrossSite(request("GET", host: "[::1]:8080")))
        #expect(!open.refusesCrossSite(request("GET", host: nil)))
        #expect(open.refusesCrossSite(request("GET", host: "rebind.example:8080")))  // DNS rebinding
        #expect(open.refusesCrossSite(request("GET", host: "127.0.0.1.example")))
        #expect(!open.refusesCrossSite(request("POST", host: "127.0.0.1:8080", origin: "http://127.0.0.1:8080", contentType: "application/json")))
        #expect(!open.refusesCrossSite(request("POST", host: "127.0.0.1:8080", contentType: "application/json")))  // curl: no Origin
        #expect(open.refusesCrossSite(request("POST", host: "127.0.0.1:8080", origin: "https://evil.example", contentType: "application/json")))
        #expect(open.refusesCrossSite(request("POST", host: "127.0.0.1:8080", contentType: "text/plain")))  // a simple cross-site post
        // With a token any host name may be used, but changes still need a JSON post from that very host:
        // the browser resends basic-auth credentials to a cross-site form post by itself.
        let guarded = AccessControl(token: "0123456789abcdef")
        #expect(!guarded.refusesCrossSite(request("GET", host: "gateway.plant:8080")))
        #expect(!guarded.refusesCrossSite(request("POST", host: "gateway.plant:8080", origin: "http://gateway.plant:8080", contentType: "application/json")))
        #expect(!guarded.refusesCrossSite(request("POST", host: "gateway.plant:8080", contentType: "application/json")))  // a script
        #expect(guarded.refusesCrossSite(request("POST", host: "gateway.plant:8080", contentType: "text/plain")))
        #expect(guarded.refusesCrossSite(request("POST", host: "gateway.plant:8080", origin: "https://evil.example", contentType: "application/json")))
        #expect(guarded.refusesCrossSite(request("POST", host: "gateway.plant:8080", origin: "http://127.0.0.1:8080", contentType: "application/json")))
    }

    @Test("/metrics gets a HELP line before each TYPE line that has a text, nothing else changes")
    func help() {
        let exposition = "# TYPE edge_anomaly_events_open gauge\nedge_anomaly_events_open 1.0\n# TYPE other counter\nother 2"
        #expect(MetricHelp.annotate(Array(exposition.utf8)) == """
            # HELP edge_anomaly_events_open Devices with an open anomaly event.
            # TYPE edge_anomaly_events_open gauge
            edge_anomaly_events_open 1.0
            # TYPE other counter
            other 2
            """)
    }

    @Test("HTTP settings are checked: port, address, a token off loopback, the emulator id")
    func configuration() throws {
        var configuration = AgentConfiguration()
        #expect(throws: Never.self) { try configuration.validate() }
        configuration.http.address = "0.0.0.0"
        #expect { try configuration.validate() } throws: { ($0 as? ConfigurationError)?.key == "http.address" }
        configuration.http.tokenEnvironment = "EDGE_ANOMALY_TEST_TOKEN_THAT_IS_NOT_SET"
        #expect(try configuration.resolveHTTPToken(["EDGE_ANOMALY_TEST_TOKEN_THAT_IS_NOT_SET": "long-enough-token-123"]) == "long-enough-token-123")
        #expect { try configuration.resolveHTTPToken(["EDGE_ANOMALY_TEST_TOKEN_THAT_IS_NOT_SET": "short"]) } throws: { _ in true }
        configuration.http.address = "localhost"
        #expect { try configuration.validate() } throws: { ($0 as? ConfigurationError)?.key == "http.address" }
        configuration.http.address = "127.0.0.1"
        configuration.http.port = 70_000
        #expect { try configuration.validate() } throws: { ($0 as? ConfigurationError)?.key == "http.port" }
        configuration.http.port = 8080
        configuration.http.emulator = "a/b"
        #expect { try configuration.validate() } throws: { ($0 as? ConfigurationError)?.key == "http.emulator" }
        configuration.http.enabled = false
        configuration.http.address = "not an address"
        #expect(throws: Never.self) { try configuration.validate() }
    }

    @Test("A token file written with CRLF line endings gives the token without the carriage return")
    func crlfToken() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try "0123456789abcdef\r\nsecond line\r\n".write(to: file, atomically: true, encoding: .utf8)
        var configuration = AgentConfiguration()
        configuration.http.tokenFile = file.path
        #expect(try configuration.resolveHTTPToken() == "0123456789abcdef")
    }

    @Test("The configuration file's http section is read, unknown keys refused")
    func loading() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("http-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try #"{"http": {"port": 9090, "seriesPoints": 120, "emulator": "emulator-02", "groundTruth": false}}"#.write(to: file, atomically: true, encoding: .utf8)
        let configuration = try AgentConfiguration.load(file: file.path)
        #expect(configuration.http.port == 9090)
        #expect(configuration.http.seriesPoints == 120)
        #expect(configuration.http.emulator == "emulator-02")
        #expect(configuration.http.groundTruth == false)
        try #"{"http": {"prot": 9090}}"#.write(to: file, atomically: true, encoding: .utf8)
        #expect { try AgentConfiguration.load(file: file.path) } throws: { ($0 as? ConfigurationError)?.key.hasPrefix("http") == true }
    }
}

@Suite("Ground truth reaches the live view only for scored devices")
struct LiveTruthRoutingTests {
    @Test("Truth for a device never scored, or naming another device than its topic, is ignored")
    func routing() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try AnomalyModel(contentsOfFile: try writeModel(in: directory).path)
        var core = AgentCore(limiter: ErrorReportLimiter(rate: 5, now: 0))
        core.detector = try Detector(model: model)
        core.live = LiveView(seriesPoints: 10, recentEvents: 10)
        let configuration = AgentConfiguration()
        func truth(_ device: String, on topicDevice: String) -> AgentCore.Actions {
            let record = #"{"device":"\#(device)","id":"t1","kind":"spike","state":"start","sensors":["vibration"],"ts":1000}"#
            return core.handle(topic: "sensors/\(topicDevice)/truth", payload: Array(record.utf8), configuration: configuration, now: Timestamp(milliseconds: 1_000))
        }
        _ = truth("pump-01", on: "pump-01")
        #expect(core.live?.truthSeen == false)
        _ = core.handle(topic: "sensors/pump-01/telemetry", payload: telemetry(device: "pump-01", seq: 1, normalReading(1)),
                        configuration: configuration, now: .now())
        _ = truth("pump-02", on: "pump-01")
        #expect(core.live?.truthSeen == false)
        _ = truth("pump-01", on: "pump-01")
        #expect(core.live?.truthSeen == true)
        #expect(core.metrics.received == 1)  // truth is not telemetry
    }
}

@Suite("Telemetry lost across the agent's own outage")
struct OutageGapTests {
    @Test("The first gap in seq on a new connection is not a missing_data event; a later gap on the same connection is")
    func gapAcrossReconnect() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var core = AgentCore(limiter: ErrorReportLimiter(rate: 5, now: 0))
        core.detector = try Detector(model: try AnomalyModel(contentsOfFile: try writeModel(in: directory).path))
        let configuration = AgentConfiguration()
        var findings: [String] = []
        func send(_ seq: Int, connection: Int) {
            let actions = core.handle(topic: "sensors/pump-01/telemetry", payload: telemetry(device: "pump-01", seq: seq, normalReading(seq)),
                                      configuration: configuration, now: .now(), connection: connection)
            if let finding = actions.event?.finding, actions.event?.state == .open { findings.append("\(finding)@\(seq)") }
        }
        for seq in 1...30 { send(seq, connection: 1) }
        for seq in 41...60 { send(seq, connection: 2) }  // ten lost while the agent was reconnecting
        #expect(findings.isEmpty, "\(findings)")
        for seq in 71...80 { send(seq, connection: 2) }  // ten lost on a connection that stayed up
        #expect(findings == ["missing_data@71"])
    }
}

@Suite("The live device list")
struct LiveDeviceListTests {
    @Test("A device without a score yet has last_score null, not the string NaN")
    func unscoredIsNull() throws {
        var live = LiveView(seriesPoints: 10, recentEvents: 10)
        live.record(device: "pump-01", ts: 1_000, score: .nan, anomalous: false, values: [1, 2, 3, 4], sensors: sensors, threshold: 0.6)
        let device = try #require(live.unsortedDevices.first)
        #expect(device.lastScore == nil)
        let text = String(decoding: try JSONEncoder().encode(device), as: UTF8.self)
        #expect(!text.contains("NaN"), "\(text)")
        live.record(device: "pump-01", ts: 2_000, score: 0.42, anomalous: false, values: [1, 2, 3, 4], sensors: sensors, threshold: 0.6)
        #expect(abs((live.unsortedDevices.first?.lastScore ?? 0) - 0.42) < 1e-6)
    }
}
