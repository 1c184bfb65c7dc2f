/// The incoming messages of one client, as a bounded `AsyncSequence`; it ends at shutdown.
public struct MQTTMessages: AsyncSequence, Sendable {
    public typealias Element = MQTTMessage
    let base: AsyncStream<MQTTMessage>

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<MQTTMessage>.AsyncIterator
        public mutating func next() async -> MQTTMessage? { await base.next() }
        public mutating func next(isolation actor: isolated (any Actor)?) async -> MQTTMessage? {
            await base.next(isolation: actor)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator()) }
}

/// Connection changes of one client, as an `AsyncSequence`; it ends at shutdown.
public struct MQTTConnectionEvents: AsyncSequence, Sendable {
    public typealias Element = MQTTConnectionEvent
    let base: AsyncStream<MQTTConnectionEvent>

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<MQTTConnectionEvent>.AsyncIterator
        public mutating func next() async -> MQTTConnectionEvent? { await base.next() }
        public mutating func next(isolation actor: isolated (any Actor)?) async -> MQTTConnectionEvent? {
            await base.next(isolation: actor)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator()) }
}
