import Foundation
#if canImport(Glibc)
import Glibc
#endif
import MQTT
import MQTTTesting
import Testing

@Suite("Dashboard HTTP: API, /metrics, probes and access", .timeLimit(.minutes(2)))
struct DashboardHTTPTests {
    @Test("API, probes and Prometheus metrics follow what the agent scored; promtool accepts /metrics")
    func apiAndMetrics() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try writeModel(in: directory)
        try await MosquittoBroker.with { broker in
            let agent = try AgentProcess(arguments: ["--broker-port", "\(broker.port)", "--model", model.path, "--http-port", "0",
                                                     "--health-interval", "1"], directory: directory)
            let base = "http://127.0.0.1:\(try await dashboardPort(of: agent))"
            let publisher = try MQTTClient(configuration: MQTTConfiguration(port: broker.port, clientID: "dashboard-publisher"))
            try await publisher.connect()
            try await eventually(20, "the agent is ready") { try await fetch(base + "/readyz").status == 200 }
            for seq in 0..<40 {
                try await publisher.publish("sensors/pump-07/telemetry", payload: telemetry(device: "pump-07", seq: seq, normalReading(seq)), qos: .atLeastOnce)
            }
            try await publisher.publish("sensors/pump-07/telemetry", payload: Array("{not json".utf8), qos: .atLeastOnce)
            try await eventually(20, "the agent scored 40 messages and one health report came") {
                let series = json(try await fetch(base + "/api/devices/pump-07/series").body) as? [String: Any]
                let health = try await fetch(base + "/api/health")
                return (series?["next"] as? Int) == 40 && health.status == 200
            }
            #expect(try await fetch(base + "/healthz").status == 200)
            let ready = try await fetch(base + "/readyz")
            let head = try await fetch(base + "/readyz", method: "HEAD")
            #expect(head.status == 200 && head.headers["content-length"] == "\(ready.body.utf8.count)" && !head.body.contains(ready.body),
                    "HEAD-based probes see what GET does, without the body")
            let devices = try #require(json(try await fetch(base + "/api/devices").body) as? [[String: Any]])
            #expect(devices.map { $0["device"] as? String } == ["pump-07"])
            let series = try #require(json(try await fetch(base + "/api/devices/pump-07/series?since=29").body) as? [String: Any])
            #expect(series["first"] as? Int == 30)
            #expect((series["ts"] as? [Any])?.count == 10)
            #expect((series["values"] as? [[Any]])?.count == 4)
            #expect(try await fetch(base + "/api/devices/nobody/series").status == 404)
            let wrongMethod = try await fetch(base + "/api/devices", method: "DELETE")
            #expect(wrongMethod.status == 405 && wrongMethod.headers["allow"] == "GET, HEAD")
            #expect(try await fetch(base + "/api/devices/a+b/series").status == 400)

            let metrics = try await fetch(base + "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.body.contains("edge_anomaly_messages_received_total 41"))
            #expect(metrics.body.contains("edge_anomaly_messages_rejected_total{reason=\"malformed_json\"} 1"))
            #expect(metrics.body.contains("edge_anomaly_scoring_duration_seconds_count 40"))
            #expect(metrics.body.contains("# HELP edge_anomaly_messages_received_total"))
            #expect(metrics.body.contains("edge_anomaly_model_info{model=\"sha256:"))
            #expect(metrics.body.contains("# TYPE edge_anomaly_broker_connects_total counter\nedge_anomaly_broker_connects_total 1\n"))
            #expect(!metrics.body.contains("reason=\"seq_gap\""), "a finding on scored messages is no rejection")
            try checkWithPromtool(metrics.body, in: directory)

            // Five messages lost by seq, and one with a sensor the model does not know: both counted.
            var extra = telemetry(device: "pump-07", seq: 45, normalReading(45))
            extra.removeLast(2)
            extra += Array(#","humidity":40}}"#.utf8)
            try await publisher.publish("sensors/pump-07/telemetry", payload: extra, qos: .atLeastOnce)
            try await eventually(10, "the findings counted") {
                let body = try await fetch(base + "/metrics").body
                return body.contains("edge_anomaly_messages_missing_by_seq_total 5") && body.contains("edge_anomaly_messages_with_unknown_sensors_total 1")
            }

            // No emulator configured: the control endpoint says so instead of publishing.
            #expect(try await fetch(base + "/api/emulator", method: "POST", body: #"{"command":"pause"}"#).status == 409)
            // Tokenless means loopback only: a rebinding name or a cross-site post is refused before any route.
            #expect(try await fetch(base + "/api/info", headers: ["Host: rebind.example"]).status == 403)
            #expect(try await fetch(base + "/api/emulator", method: "POST", body: #"{"command":"pause"}"#,
                                    headers: ["Origin: https://evil.example"]).status == 403)
            let stream = try await firstServerSentEvent(base + "/api/stream?device=pump-07")
            #expect(stream["device"] as? String == "pump-07")
            #expect(((stream["series"] as? [String: Any])?["ts"] as? [Any])?.count == 41, "the 40 messages and the one with an unknown sensor")

            agent.signal(SIGTERM)
            #expect(agent.wait() == 0)
            await publisher.shutdown()
        }
    }

    @Test("Off loopback the agent refuses to start without a token; with one, only holders read, probes stay open, no page shows it")
    func tokenOffLoopback() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try writeModel(in: directory)
        try await MosquittoBroker.with { broker in
            let refused = try AgentProcess(arguments: ["--broker-port", "\(broker.port)", "--model", model.path, "--http-address", "0.0.0.0",
                                                       "--http-port", "0"], directory: directory)
            #expect(refused.wait() != 0)
            #expect(refused.output.contains("http.address"))

            let token = "s3cret-token-\(UUID().uuidString)"
            let config = directory.appendingPathComponent("agent.json")
            let tokenFile = directory.appendingPathComponent("http-token")
            try token.write(to: tokenFile, atomically: true, encoding: .utf8)
            try #"{"http": {"address": "0.0.0.0", "port": 0, "tokenFile": "\#(tokenFile.path)", "emulator": "emulator-01"}}"#
                .write(to: config, atomically: true, encoding: .utf8)
            let agent = try AgentProcess(arguments: ["--config", config.path, "--broker-port", "\(broker.port)", "--model", model.path],
                                         directory: directory)
            let port = try await dashboardPort(of: agent)
            let base = "http://127.0.0.1:\(port)"
            try await eventually(20, "the agent is ready") { try await fetch(base + "/readyz").status == 200 }
            let anonymous = try await fetch(base + "/api/info")
            #expect(anonymous.status == 401)
            #expect(anonymous.headers["www-authenticate"]?.hasPrefix("Basic") == true)
            #expect(try await fetch(base + "/metrics", authorization: "Bearer wrong-token-0123456789").status == 401)
            #expect(try await fetch(base + "/healthz").status == 200)
            let bearer = try await fetch(base + "/api/info", authorization: "Bearer \(token)")
            #expect(bearer.status == 200)
            let basic = "Basic " + Data("operator:\(token)".utf8).base64EncodedString()
            let page = try await fetch(base + "/", authorization: basic)
            #expect(page.status == 200)
            for answer in [bearer.body, page.body, try await fetch(base + "/metrics", authorization: basic).body] {
                #expect(!answer.contains(token))
            }
            agent.signal(SIGTERM)
            #expect(agent.wait() == 0)
        }
    }

    func checkWithPromtool(_ exposition: String, in directory: URL) throws {
        let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let binary = try #require(promtool, "promtool is not installed: apt-get install prometheus (make deps does it)")
        let file = directory.appendingPathComponent("metrics.txt")
        try exposition.write(to: file, atomically: true, encoding: .utf8)
        // runToCompletion fails with promtool's own output when it exits non-zero.
        try runToCompletion(URL(fileURLWithPath: "/bin/sh"), ["-c", "'\(binary)' check metrics < '\(file.path)'"])
    }

    /// Reads `/api/stream` for two seconds with curl (an independent client) and decodes the first event.
    func firstServerSentEvent(_ url: String) async throws -> [String: Any] {
        // curl's --max-time ends the endless stream: exit 28 is the expected way out, not a failure.
        let output = try runToCompletion(URL(fileURLWithPath: "/bin/sh"), ["-c", "/usr/bin/curl -sN -D - --max-time 2 '\(url)'; true"])
        #expect(output.lowercased().contains("content-type: text/event-stream"))
        let line = try #require(output.split(whereSeparator: \.isNewline).first { $0.hasPrefix("data: ") }, "no event in: \(output.prefix(500))")
        return try #require(json(String(line.dropFirst(6))) as? [String: Any])
    }
}

@Suite("The dashboard outlives a connection flood")
struct DashboardFloodTests {
    @Test("Out of file descriptors, the HTTP server stops accepting; once the flood is over it serves again")
    func comesBackAfterDescriptorsRunOut() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit") else { return }  // util-linux, on every Debian
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try writeModel(in: directory)
        let httpPort = try await MosquittoBroker.with { $0.port }  // free a moment ago; fixed, so a restart binds it again
        try await MosquittoBroker.with { broker in
            let agent = try AgentProcess(arguments: ["--broker-port", "\(broker.port)", "--model", model.path, "--http-port", "\(httpPort)"],
                                         directory: directory)
            let base = "http://127.0.0.1:\(httpPort)"
            try await eventually(20, "the agent is ready") { try await fetch(base + "/readyz").status == 200 }
            // A few descriptors more than the agent holds, far fewer than the server's connection limit.
            let open = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(agent.process.processIdentifier)/fd").count
            let limit = Process()
            limit.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
            limit.arguments = ["--pid", "\(agent.process.processIdentifier)", "--nofile=\(open + 8):\(open + 8)"]
            try limit.run()
            limit.waitUntilExit()
            try #require(limit.terminationStatus == 0)
            // More idle connections than descriptors: accept fails with EMFILE, which once ended the server for good.
            // (Fewer than the listen backlog of 128, which queues them without the SYN retries that slow a flood.)
            var flood: [Int32] = []
            for _ in 0..<100 {
                flood.append(loopbackConnection(port: httpPort))
            }
            try await eventually(10, "the accept failure in the log") { agent.output.contains("Too many open files") }
            for fd in flood { close(fd) }
            try await eventually(20, "the dashboard serving again; agent log:\n\(agent.output.suffix(3000))") { (try? await fetch(base + "/healthz").status) == 200 }
        }
    }

    @Test("Clients that hold every HTTP connection hold back neither the alerts nor the exit, and the next client is told to retry")
    func alertsOutliveABusyDashboard() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try writeModel(in: directory)
        try await MosquittoBroker.with { broker in
            let agent = try AgentProcess(arguments: ["--broker-port", "\(broker.port)", "--model", model.path, "--http-port", "0"], directory: directory)
            let base = "http://127.0.0.1:\(try await dashboardPort(of: agent))"
            try await eventually(20, "the agent is ready") { try await fetch(base + "/readyz").status == 200 }
            let alerts = try await Collector(broker, filter: "alerts/+/anomaly")
            let publisher = try MQTTClient(configuration: MQTTConfiguration(port: broker.port, clientID: "busy-dashboard-publisher"))
            try await publisher.connect()
            // Every one of the 64 connection places held by a client trickling its head (slowloris), with 16 of
            // them streams that never read; and two oversized heads, which the server we used before (FlyingFox)
            // parsed for minutes on both threads of a two-core machine's pool.
            let port = try #require(Int(base.split(separator: ":").last!))
            var busy: [Int32] = []
            func hold(_ text: String) {
                let fd = loopbackConnection(port: port)
                let bytes = Array(text.utf8)
                _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                busy.append(fd)
            }
            defer { for fd in busy { close(fd) } }
            for _ in 0..<16 { hold("GET /api/stream?interval=0.2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") }
            for _ in 0..<48 { hold("GET /healthz HTTP/1.1\r\n") }
            for _ in 0..<2 { hold("GET /healthz?\(String(repeating: "a", count: 150_000)) HTTP/1.1\r\nHost: x\r\n\r\n") }
            let refused = try await fetch(base + "/healthz")
            #expect(refused.status == 503 && refused.headers["retry-after"] == "1", "every place taken: the next client is told to retry")
            for seq in 0..<12 {
                var reading = normalReading(seq)
                if seq == 11 { reading[1] = 5 }  // vibration far beyond training
                try await publisher.publish("sensors/pump-03/telemetry", payload: telemetry(device: "pump-03", seq: seq, reading), qos: .atLeastOnce)
            }
            let sent = ContinuousClock.now
            try await eventually(5, "the anomaly event while the dashboard is busy") { !alerts.messages.isEmpty }
            #expect(ContinuousClock.now - sent < .seconds(5))
            let stopping = ContinuousClock.now
            agent.signal(SIGTERM)
            #expect(agent.wait(seconds: 10) == 0)
            #expect(ContinuousClock.now - stopping < .seconds(5), "the exit waited for the busy HTTP threads")
            await publisher.shutdown()
            await alerts.client.shutdown()
        }
    }
}

/// A plain TCP connection to 127.0.0.1:`port`, as a descriptor, for tests that hold connections open or
/// send raw bytes no HTTP client would.
func loopbackConnection(port: Int) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    return fd
}
