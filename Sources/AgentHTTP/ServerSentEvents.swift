import HTTP1Server

/// An endless `text/event-stream` body: `produce` is awaited for each frame (it decides the pace) and
/// returns the event's data, or nil to end the stream. The server stops asking when the client goes away.
actor ServerSentEvents<State: Sendable> {
    private var state: State
    private let produce: @Sendable (inout State) async -> String?

    init(initial: State, produce: @escaping @Sendable (inout State) async -> String?) {
        state = initial
        self.produce = produce
    }

    func next() async -> [UInt8]? {
        var state = self.state
        defer { self.state = state }
        guard let data = await produce(&state) else { return nil }
        // One event per frame; JSON has no raw newlines, so one data line suffices.
        return Array("data: \(data)\n\n".utf8)
    }

    nonisolated var body: HTTPResponse.Body { .stream { await self.next() } }
}
