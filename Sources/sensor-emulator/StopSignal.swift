import Dispatch
import Foundation
import Synchronization

/// SIGINT and SIGTERM as a flag the run loops poll: the first signal asks for a clean stop (finish
/// the current message, close open anomalies in the ground truth, print the summary), a second one
/// exits at once.
///
/// The handlers are dispatch sources on a private queue, created in this nonisolated type, so the
/// closures carry no main-actor isolation (STYLE.md pitfall 17) and no C signal handler touches
/// Swift state.
final class StopSignal: Sendable {
    private let flag: Flag
    /// Kept so the sources live as long as the process wants signals.
    private let sources: Mutex<[any DispatchSourceSignal]>
    private static let queue = DispatchQueue(label: "edge-anomaly.sensor-emulator.signals")

    /// The count of signals received; the handlers' only state.
    final class Flag: Sendable {
        let received = Atomic<Int>(0)

        func handle(_ number: Int32) {
            let count = received.add(1, ordering: .relaxed).newValue
            let name = number == SIGINT ? "SIGINT" : "SIGTERM"
            if count == 1 {
                Console.status("\(name): stopping after the current message (send it again to quit at once)")
            } else {
                Console.status("\(name) again: quitting without a summary")
                exit(130)
            }
        }
    }

    private init(flag: Flag, sources: consuming sending [any DispatchSourceSignal]) {
        self.flag = flag
        self.sources = Mutex(sources)
    }

    /// True once SIGINT or SIGTERM arrived.
    var isRequested: Bool { flag.received.load(ordering: .relaxed) > 0 }

    /// Starts listening for SIGINT and SIGTERM (their default action, ending the process, is turned off).
    static func install() -> StopSignal {
        let flag = Flag()
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { flag.handle(number) }
            source.resume()
            sources.append(source)
        }
        return StopSignal(flag: flag, sources: sources)
    }
}
