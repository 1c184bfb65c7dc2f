import Foundation
import Telemetry

extension AgentConfiguration {
    func validateHTTP() throws(ConfigurationError) {
        guard http.enabled else { return }
        guard (0...65_535).contains(http.port) else { throw ConfigurationError(key: "http.port", "\(http.port) is not a TCP port") }
        guard Self.isIPv4(http.address) else {
            throw ConfigurationError(key: "http.address", "\(http.address.debugDescription) is not an IPv4 address such as 127.0.0.1 or 0.0.0.0")
        }
        guard (10...100_000).contains(http.seriesPoints) else { throw ConfigurationError(key: "http.seriesPoints", "must be 10…100000") }
        guard (1...100_000).contains(http.recentEvents) else { throw ConfigurationError(key: "http.recentEvents", "must be 1…100000") }
        if let emulator = http.emulator, let problem = TopicLevel.problem(with: emulator) {
            throw ConfigurationError(key: "http.emulator", "\(emulator.debugDescription) \(problem)")
        }
        // Off loopback the dashboard and the API are reachable from the plant network: no token, no start.
        if !httpIsLoopback, try resolveHTTPToken() == nil {
            throw ConfigurationError(key: "http.address", "\(http.address) is not loopback: set http.tokenFile or \(http.tokenEnvironment) "
                                     + "so that only holders of the token can read the dashboard")
        }
    }

    /// Whether the HTTP server listens on loopback only (127.0.0.0/8).
    public var httpIsLoopback: Bool { http.address.hasPrefix("127.") }

    /// The HTTP access token: from `http.tokenFile` (first line), else the environment variable named by
    /// `http.tokenEnvironment`, else none (allowed on loopback only). Never from a flag, where `ps` shows it.
    public func resolveHTTPToken(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> String? {
        if let file = http.tokenFile {
            guard let data = FileManager.default.contents(atPath: file) else { throw ConfigurationError(key: "http.tokenFile", "cannot read \(file)") }
            // Any line ending (a file written on Windows keeps "\r") and stray spaces are not part of the token.
            let token = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first
                .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard token.count >= 16 else { throw ConfigurationError(key: "http.tokenFile", "the token must be at least 16 characters") }
            return token
        }
        guard let token = environment[http.tokenEnvironment], !token.isEmpty else { return nil }
        guard token.count >= 16 else { throw ConfigurationError(key: http.tokenEnvironment, "the token must be at least 16 characters") }
        return token
    }

    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in part.count <= 3 && UInt8(part) != nil }
    }
}
