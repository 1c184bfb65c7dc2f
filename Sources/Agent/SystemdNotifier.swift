import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// systemd's readiness and watchdog protocol (`Type=notify`, `WatchdogSec=`): datagrams such as
/// `READY=1` to the socket named by `NOTIFY_SOCKET`. Without that variable (not under systemd) every
/// call does nothing. Written here rather than linking libsystemd: it is one `sendto`.
struct SystemdNotifier: Sendable {
    let socketPath: String?
    /// Half of `WATCHDOG_USEC` (systemd's advice), nil when the watchdog is off.
    let watchdogInterval: Duration?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        watchdogInterval = path == nil ? nil : environment["WATCHDOG_USEC"].flatMap(Int64.init).map { .microseconds($0 / 2) }
    }

    /// Sends `state` (for example `READY=1\nSTATUS=…`); returns whether it was sent.
    @discardableResult
    func notify(_ state: String) -> Bool {
        guard var path = socketPath else { return false }
        // An abstract socket is written with a leading "@" and addressed with a leading NUL.
        if path.hasPrefix("@") { path = "\0" + path.dropFirst() }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let sent = state.utf8CString.withUnsafeBufferPointer { text in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(descriptor, text.baseAddress, text.count - 1, 0, $0, length) }
            }
        }
        return sent >= 0
    }
}
