import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real `mosquitto` for tests: its own config, a free 127.0.0.1 port, stopped by PID.
///
/// ```swift
/// try await MosquittoBroker.with(.init(authentication: .password(user: "agent", password: "s3cret"))) { broker in
///     var configuration = MQTTConfiguration(port: broker.port, clientID: "test")
///     …
/// }
/// ```
/// `MOSQUITTO_BIN` overrides the binary. A missing mosquitto is an error that says how to install it,
/// never a silent skip.
public final class MosquittoBroker: Sendable {
    public struct Options: Sendable {
        public enum Authentication: Sendable {
            case anonymous
            case password(user: String, password: String)
            /// Several users (name → password), for ACL tests.
            case passwords([String: String])
        }
        public var authentication: Authentication
        /// Serve TLS (with a CA and server certificate made by `openssl` for this broker) instead of plain TCP.
        public var tls: Bool
        /// Keep retained messages and persistent sessions across `restart()`.
        public var persistence: Bool
        /// More `mosquitto.conf` lines, for example `max_queued_messages 10000`.
        public var extraConfiguration: [String]

        public init(authentication: Authentication = .anonymous, tls: Bool = false, persistence: Bool = false,
                    extraConfiguration: [String] = []) {
            self.authentication = authentication
            self.tls = tls
            self.persistence = persistence
            self.extraConfiguration = extraConfiguration
        }
    }

    public let host = "127.0.0.1"
    public let port: Int
    public let options: Options
    /// The broker's private directory: config, password file, certificates, log, persistence.
    public let directory: URL
    /// With `tls`, the files clients need.
    public let certificates: TestCertificates?
    private let process: LockedProcess

    /// The PID of the running broker process.
    public var pid: Int32 { process.pid }

    private init(port: Int, options: Options, directory: URL, certificates: TestCertificates?, process: LockedProcess) {
        self.port = port
        self.options = options
        self.directory = directory
        self.certificates = certificates
        self.process = process
    }

    /// Starts a broker on a free loopback port and waits until it accepts TCP connections.
    public static func start(_ options: Options = Options()) async throws -> MosquittoBroker {
        let binary = try locateBinary()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mosquitto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificates = options.tls ? try TestCertificates.make(in: directory) : nil
        let passwordFile = directory.appendingPathComponent("passwd").path
        switch options.authentication {
        case .anonymous: break
        case .password(let user, let password): try run("mosquitto_passwd", ["-b", "-c", passwordFile, user, password])
        case .passwords(let users):
            for (index, (user, password)) in users.sorted(by: { $0.key < $1.key }).enumerated() {
                try run("mosquitto_passwd", ["-b"] + (index == 0 ? ["-c"] : []) + [passwordFile, user, password])
            }
        }
        var lastError: (any Error)?
        // A port found free can be taken before mosquitto binds it: try a few.
        for _ in 0..<5 {
            let port = try freePort()
            try writeConfiguration(options: options, port: port, directory: directory)
            let process = LockedProcess(binary: binary, directory: directory)
            do {
                let starts = runningCount(directory: directory)
                try process.launch()
                try await waitUntilAccepting(port: port, process: process, directory: directory, startsBefore: starts)
                return MosquittoBroker(port: port, options: options, directory: directory, certificates: certificates, process: process)
            } catch {
                process.stop()
                lastError = error
            }
        }
        throw lastError ?? BrokerError("mosquitto did not start")
    }

    /// Runs `body` with a fresh broker and always stops it afterwards.
    public static func with<T: Sendable>(_ options: Options = Options(), _ body: (MosquittoBroker) async throws -> T) async throws -> T {
        let broker = try await start(options)
        do {
            let result = try await body(broker)
            broker.stop()
            return result
        } catch {
            broker.stop()
            throw error
        }
    }

    /// Stops the broker: SIGTERM, then SIGKILL after two seconds, and reaps it.
    public func stop() { process.stop() }

    /// Kills the broker with SIGKILL, as a crash or power cut would.
    public func kill() { process.kill() }

    /// Starts the broker again on the same port (after `stop()` or `kill()`).
    public func restart() async throws {
        process.stop()
        for attempt in 0..<50 {
            do {
                let starts = Self.runningCount(directory: directory)
                try process.launch()
                try await Self.waitUntilAccepting(port: port, process: process, directory: directory, startsBefore: starts)
                return
            } catch {
                // The old socket may linger for a moment; mosquitto sets SO_REUSEADDR, so this is short.
                process.stop()
                if attempt == 49 { throw error }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    deinit {
        process.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A failure of the test broker, with what to do about it.
public struct BrokerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension MosquittoBroker {
    static let installHint = "install it with: sudo apt-get install -y mosquitto mosquitto-clients libmosquitto-dev openssl (or run `make test`, which does)"

    static func locateBinary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["MOSQUITTO_BIN"] { return path }
        if let path = findExecutable("mosquitto", extra: ["/usr/sbin", "/usr/local/sbin"]) { return path }
        throw BrokerError("mosquitto was not found on PATH or in /usr/sbin; \(installHint)")
    }

    /// Finds an executable on PATH (and in `extra` directories, since Debian puts mosquitto in /usr/sbin).
    public static func findExecutable(_ name: String, extra: [String] = []) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for directory in path + extra + ["/usr/bin", "/usr/sbin"] {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func writeConfiguration(options: Options, port: Int, directory: URL) throws {
        var lines = [
            "# Generated for one test run by MosquittoBroker.",
            "per_listener_settings false",
            // Run as whoever runs the tests: started as root, mosquitto would switch to the `mosquitto`
            // user and could then read neither the generated key files nor write its log here.
            "user \(currentUserName())",
            "listener \(port) 127.0.0.1",
            "persistence \(options.persistence)",
            "log_dest file \(directory.appendingPathComponent("mosquitto.log").path)",
            "log_type error", "log_type warning", "log_type notice", "log_type information",
            "connection_messages true",
        ]
        if options.persistence { lines.append("persistence_location \(directory.path)/") }
        switch options.authentication {
        case .anonymous: lines.append("allow_anonymous true")
        case .password, .passwords:
            lines.append("allow_anonymous false")
            lines.append("password_file \(directory.appendingPathComponent("passwd").path)")
        }
        if options.tls, let certificates = try? TestCertificates.existing(in: directory) {
            lines.append("cafile \(certificates.caFile)")
            lines.append("certfile \(certificates.serverCertificateFile)")
            lines.append("keyfile \(certificates.serverKeyFile)")
        }
        lines += options.extraConfiguration
        try (lines.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent("mosquitto.conf"), atomically: true, encoding: .utf8)
    }

    static func currentUserName() -> String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return "root" }
        return String(cString: name)
    }

    /// Asks the kernel for a free loopback port by binding port 0.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BrokerError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw BrokerError("could not bind a free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// True when something accepts a TCP connection on 127.0.0.1:`port`.
    public static func isAccepting(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Waits until this broker, not another one, accepts on `port`. Two tests can be handed the same free
    /// port; the second mosquitto then fails to bind and exits, but the port accepts (the first one's), and
    /// a test that took that for its own lost its broker when the other test stopped it. So the port must
    /// accept and this process must have logged `running` (only after all its listeners are open) once more
    /// than the `startsBefore` times it had before this launch (a restart appends to the same log).
    static func waitUntilAccepting(port: Int, process: LockedProcess, directory: URL, startsBefore: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if runningCount(directory: directory) > startsBefore, process.isRunning, isAccepting(port: port) { return }
            if !process.isRunning {
                let log = (try? String(contentsOf: directory.appendingPathComponent("mosquitto.log"), encoding: .utf8)) ?? ""
                throw BrokerError("mosquitto exited with status \(process.terminationStatus) on port \(port): \(log.suffix(600))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BrokerError("mosquitto did not accept connections on port \(port) within 10 s")
    }

    /// How many times the broker's log says it was running (`mosquitto version … running`).
    static func runningCount(directory: URL) -> Int {
        let log = (try? String(contentsOf: directory.appendingPathComponent("mosquitto.log"), encoding: .utf8)) ?? ""
        return log.components(separatedBy: " running\n").count - 1
    }

    /// Runs a helper tool (`mosquitto_passwd`, `openssl`) and fails with its output if it fails.
    @discardableResult
    public static func run(_ tool: String, _ arguments: [String], input: String? = nil) throws -> String {
        guard let path = findExecutable(tool) else { throw BrokerError("\(tool) was not found; \(installHint)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        if let input {
            let pipe = Pipe()
            process.standardInput = pipe
            try process.run()
            pipe.fileHandleForWriting.write(Data(input.utf8))
            try pipe.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw BrokerError("\(tool) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(text)")
        }
        return text
    }
}
