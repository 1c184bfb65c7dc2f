import Foundation
import MQTTTesting
import Testing

/// The command line itself: help, and errors that say what to do.
@Suite("sensor-emulator command line")
struct CommandLineTests {
    @Test("--help explains every subcommand's options", arguments: [
        ("publish", ["--rate", "--speedup", "--max-rate", "--duration", "--count", "--qos", "--retain", "--password-file", "--ca-file", "--control"]),
        ("generate", ["--output-dir", "--duration", "--training-duration", "--seed", "--profile", "--scenario"]),
        ("replay", ["--separator", "--timestamp-column", "--timestamp-format", "--device-column", "--value-columns", "--label-columns"]),
    ])
    func help(subcommand: String, options: [String]) async throws {
        let run = try await EmulatorProcess.run([subcommand, "--help"])
        #expect(run.status == 0)
        for option in options { #expect(run.output.contains(option), "\(subcommand) --help mentions \(option)") }
        #expect(run.output.contains("(default:"))
    }

    @Test("a bad profile is refused with the file and the key")
    func badProfile() async throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("profile-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try #"{"sensors":[{"name":"temperature","noise":"loud"}]}"#.write(to: url, atomically: true, encoding: .utf8)
        let run = try await EmulatorProcess.run(["generate", "--profile", url.path, "--output-dir", "/tmp/never-written"])
        #expect(run.status != 0)
        #expect(run.error.contains("\(url.path): sensors[0].noise: expected a number"), "\(run.error)")
    }

    @Test("no broker: the error names host:port and how to start one")
    func unreachable() async throws {
        let port = try await MosquittoBroker.with { $0.port }  // free a moment ago, closed now
        let run = try await EmulatorProcess.run(["publish", "--port", "\(port)", "--count", "1", "--no-truth-log"])
        #expect(run.status != 0)
        #expect(run.error.contains("127.0.0.1:\(port)") && run.error.contains("mosquitto -p \(port)"), "\(run.error)")

        // A host name that does not resolve is a typo to fix, not a broker to start (.invalid never resolves, RFC 6761).
        let unknown = try await EmulatorProcess.run(["publish", "--host", "no-such-broker.invalid", "--count", "1", "--no-truth-log"])
        #expect(unknown.status != 0 && unknown.error.contains("cannot resolve the broker's host name") && !unknown.error.contains("mosquitto -p"),
                "\(unknown.error)")
    }

    @Test("generate writes the four files and says so")
    func generate() async throws {
        let directory = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try await EmulatorProcess.run(["generate", "--devices", "2", "--duration", "10m", "--training-duration", "20m",
                                                 "--output-dir", directory.path])
        #expect(run.status == 0, "\(run.error)")
        for name in ["train.csv", "test.csv", "truth.jsonl", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path))
            #expect(run.output.contains(name))
        }
        #expect(run.output.contains("(2400 rows)"), "20 minutes of 2 devices at 1 Hz")
    }
}
