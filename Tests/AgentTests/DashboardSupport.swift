import Foundation

/// The port the agent's log says its dashboard listens on (the tests ask for port 0); the address in
/// that line is the configured one (0.0.0.0 off loopback).
func dashboardPort(of agent: AgentProcess, seconds: Double = 20) async throws -> Int {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let range = agent.output.range(of: #"dashboard at http://[0-9.]+:(\d+)/"#, options: .regularExpression),
           let port = Int(agent.output[range].split(separator: ":").last?.dropLast() ?? "") {
            return port
        }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw HTTPTestError(description: "the agent never logged its dashboard address; log:\n\(agent.output.suffix(2000))")
}

struct HTTPTestError: Error, CustomStringConvertible { let description: String }

/// One HTTP request through curl (an independent client that never retries or prompts on a 401);
/// returns the status, the body and the headers (names lowercased).
func fetch(_ url: String, method: String = "GET", body: String? = nil, authorization: String? = nil,
           headers extra: [String] = []) async throws -> (status: Int, body: String, headers: [String: String]) {
    let headerFile = FileManager.default.temporaryDirectory.appendingPathComponent("headers-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: headerFile) }
    // HEAD through -I: with `-X HEAD` curl would wait for the body the length announces.
    var arguments = ["-s", "--max-time", "10"] + (method == "HEAD" ? ["-I"] : ["-X", method]) + ["-D", headerFile.path, "-w", "\n%{http_code}"]
    if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body] }
    if let authorization { arguments += ["-H", "Authorization: \(authorization)"] }
    for header in extra { arguments += ["-H", header] }
    let output = try await Task.detached { try runToCompletion(URL(fileURLWithPath: "/usr/bin/curl"), arguments + [url]) }.value
    guard let split = output.lastIndex(of: "\n"), let status = Int(output[output.index(after: split)...]) else {
        throw HTTPTestError(description: "curl gave no status for \(url)")
    }
    var headers: [String: String] = [:]
    for line in ((try? String(contentsOf: headerFile, encoding: .utf8)) ?? "").split(whereSeparator: \.isNewline) {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return (status, String(output[..<split]), headers)
}

func json(_ text: String) -> Any? { try? JSONSerialization.jsonObject(with: Data(text.utf8)) }

/// The real `sensor-emulator` executable, built next to the tests.
var emulatorExecutable: URL { AgentProcess.executable.deletingLastPathComponent().appendingPathComponent("sensor-emulator") }

/// Runs a command to completion; fails with its output when it does not exit 0.
@discardableResult
func runToCompletion(_ executable: URL, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw HTTPTestError(description: "\(executable.lastPathComponent) \(arguments.joined(separator: " ")) failed:\n\(output)")
    }
    return output
}

/// Polls `condition` until it holds (errors count as "not yet"), failing after `seconds`.
func eventually(_ seconds: Double = 20, _ what: String, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if (try? await condition()) == true { return }
        guard Date() < deadline else { throw HTTPTestError(description: "timed out after \(seconds) s waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(100))
    }
}
