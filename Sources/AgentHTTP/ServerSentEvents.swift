import Foundation
import HTTP1Server
import Synchronization

/// Endless `text/event-stream` bodies. The server asks for each event on the connection's own thread, so
/// pacing is a plain sleep there.
enum ServerSentEvents {
    /// One event at once, then one every `interval` seconds, each made by `frame` (which may update `state`
    /// to follow the client). JSON has no raw newlines, so one data line holds an event.
    static func body<State: Sendable>(initial: State, every interval: Double,
                                      frame: @escaping @Sendable (inout State) -> String) -> HTTPResponse.Body {
        // One connection thread asks, one event at a time; the lock only makes the state Sendable.
        let cursor = Mutex((state: initial, started: false))
        return .stream {
            if cursor.withLock({ $0.started }) { Thread.sleep(forTimeInterval: interval) }
            let data = cursor.withLock { cursor in
                cursor.started = true
                return frame(&cursor.state)
            }
            return Array("data: \(data)\n\n".utf8)
        }
    }
}
