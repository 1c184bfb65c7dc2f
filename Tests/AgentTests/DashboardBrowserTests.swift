import Foundation
import MQTTTesting
import Testing

/// The dashboard in a real browser: mosquitto, the real emulator (with ground truth and control), the
/// real agent and headless Chromium. The page must draw charts with data, list events, show non-zero
/// health, and its Inject button must produce an anomaly event. Saves a screenshot.
@Suite("Dashboard in headless Chromium", .timeLimit(.minutes(3)))
struct DashboardBrowserTests {
    @Test("Charts drawn, health shown, ground truth shaded; Inject from the page opens an event")
    func dashboard() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data")
        try runToCompletion(emulatorExecutable, ["generate", "--output-dir", data.path, "--devices", "3", "--rate", "1",
                                                 "--training-duration", "40m", "--duration", "1m", "--seed", "5"])
        let model = directory.appendingPathComponent("model.json")
        try runToCompletion(AgentProcess.executable, ["train", "--data", data.appendingPathComponent("train.csv").path, "--output", model.path])
        try await MosquittoBroker.with(.init(extraConfiguration: ["set_tcp_nodelay true"])) { broker in
            let agent = try AgentProcess(arguments: ["--broker-port", "\(broker.port)", "--model", model.path, "--http-port", "0",
                                                     "--emulator", "emulator-01", "--health-interval", "1"], directory: directory)
            let base = "http://127.0.0.1:\(try await dashboardPort(of: agent))"
            try await eventually(20, "the agent is ready") { try await fetch(base + "/readyz").status == 200 }
            let emulator = Process()
            emulator.executableURL = emulatorExecutable
            // A hundred devices: the device list must cope, the watched one still gets 4 points a second.
            emulator.arguments = ["publish", "--port", "\(broker.port)", "--devices", "100", "--rate", "4", "--no-anomalies", "--control",
                                  "--no-truth-log", "--progress-interval", "0", "--seed", "5"]
            emulator.standardOutput = FileHandle.nullDevice
            emulator.standardError = FileHandle.nullDevice
            try emulator.run()
            defer { emulator.terminate(); emulator.waitUntilExit() }

            let browser = try HeadlessBrowser(width: 1500, height: 1050, log: directory.appendingPathComponent("chromium.log"))
            let page = try await browser.open(base + "/#autotest")
            var status: [String: String] = [:]
            do {
                try await eventually(90, "the page to draw, press Inject and list the resulting event") {
                    let text = try await browser.evaluate("JSON.stringify(document.getElementById('status').dataset)", session: page) as? String
                    status = (json(text ?? "{}") as? [String: String]) ?? [:]
                    return status["injectedEvent"] != nil && Double(status["rate"] ?? "0") ?? 0 > 0
                }
            } catch {
                Issue.record("page status \(status); agent log:\n\(agent.output.suffix(1500))")
                throw error
            }
            // Charts: one per sensor plus the score, each with data points drawn by Chart.js.
            let drawn = try await browser.evaluate(
                "JSON.stringify(Object.values(Chart.instances).map(c => c.data.datasets[0].data.filter(p => p.y !== null).length))",
                session: page) as? String
            let counts = try #require(json(drawn ?? "") as? [Int])
            #expect(counts.count == 5)
            #expect(counts.allSatisfy { $0 >= 20 }, "points per chart: \(counts)")
            let listed = try await browser.evaluate("document.querySelectorAll('#events tr[data-event]').length", session: page) as? Int
            #expect((listed ?? 0) >= 1)
            #expect(Int(status["devices"] ?? "0") == 100)
            let options = try await browser.evaluate("document.getElementById('device').options.length", session: page) as? Int
            #expect(options == 100)
            #expect(Int(status["scored"] ?? "0") ?? 0 > 0)
            // The emulator published the injected anomaly's ground truth: the accuracy panel scores against it.
            try await eventually(20, "live accuracy against the injected anomaly's ground truth") {
                let text = try await browser.evaluate("document.getElementById('accuracy').innerText", session: page) as? String
                return text?.contains("recall") == true
            }
            try await Task.sleep(for: .seconds(6))  // the spike ends and normal readings follow it in the picture
            let png = try await browser.screenshot(session: page)
            #expect(png.count > 20_000)
            let artefacts = ProcessInfo.processInfo.environment["EDGE_ANOMALY_ARTEFACTS"]
                .map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory.appendingPathComponent("edge-anomaly-artefacts")
            try FileManager.default.createDirectory(at: artefacts, withIntermediateDirectories: true)
            let file = artefacts.appendingPathComponent("dashboard.png")
            try png.write(to: file)
            print("dashboard screenshot: \(file.path)")
            agent.signal(SIGTERM)
            #expect(agent.wait() == 0)
        }
    }
}
