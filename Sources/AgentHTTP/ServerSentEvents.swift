import FlyingFox
import FlyingSocks

/// An endless `text/event-stream` body: `produce` is awaited for each frame (it decides the pace) and
/// returns the event's data, or nil to end the stream. FlyingFox sends it chunked; a client that goes
/// away makes the write fail, which ends the iteration.
struct ServerSentEvents<State: Sendable>: AsyncBufferedSequence, Sendable {
    typealias Element = UInt8
    let initial: State
    let produce: @Sendable (inout State) async -> String?

    func makeAsyncIterator() -> Iterator { Iterator(state: initial, produce: produce) }

    struct Iterator: AsyncBufferedIteratorProtocol {
        var state: State
        let produce: @Sendable (inout State) async -> String?
        var pending: ArraySlice<UInt8> = []

        mutating func next() async throws -> UInt8? {
            guard let buffer = try await nextBuffer(suggested: 1) else { return nil }
            return buffer.first
        }

        mutating func nextBuffer(suggested count: Int) async throws -> ArraySlice<UInt8>? {
            if pending.isEmpty {
                guard !Task.isCancelled, let data = await produce(&state) else { return nil }
                // One event per frame; JSON has no raw newlines, so one data line suffices.
                pending = ArraySlice(Array("data: \(data)\n\n".utf8))
            }
            let chunk = pending.prefix(Swift.max(1, count))
            pending = pending.dropFirst(chunk.count)
            return chunk
        }
    }
}
