import MQTT

/// A test waited longer than it allows.
public struct TimedOut: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(description: String) { self.description = description }
}

/// Runs `body`, failing with `TimedOut` if it takes longer than `seconds`.
public func within<T: Sendable>(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw TimedOut(description: "timed out after \(seconds) s waiting for \(what)")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// The next `count` messages of `client`, or a timeout.
public func receive(_ count: Int, from client: MQTTClient, within seconds: Double = 10) async throws -> [MQTTMessage] {
    let messages = client.messages
    return try await within(seconds, "\(count) messages") {
        var received: [MQTTMessage] = []
        for await message in messages {
            received.append(message)
            if received.count == count { break }
        }
        return received
    }
}
