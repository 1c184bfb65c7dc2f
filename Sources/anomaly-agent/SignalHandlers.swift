import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGTERM/SIGINT stop the agent, SIGHUP reloads its model. The handlers are built in this nonisolated
/// type: closures formed in main-actor code and run on a dispatch queue trap at run time (STYLE.md pitfall 17).
struct SignalHandlers {
    private let sources: [any DispatchSourceSignal]

    nonisolated static func install(onStop: @escaping @Sendable () -> Void, onReload: @escaping @Sendable () -> Void) -> SignalHandlers {
        let queue = DispatchQueue(label: "edge-anomaly.signals")
        var sources: [any DispatchSourceSignal] = []
        for (signalNumber, action) in [(SIGTERM, onStop), (SIGINT, onStop), (SIGHUP, onReload)] {
            signal(signalNumber, SIG_IGN)  // let the dispatch source see it instead of the default action
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler(handler: action)
            source.resume()
            sources.append(source)
        }
        return SignalHandlers(sources: sources)
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
