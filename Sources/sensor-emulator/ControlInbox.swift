import Foundation
import MQTT
import Synchronization
import Telemetry

/// Control commands from `emulator/{emulator}/control`, collected by a child task and taken by the
/// run loop between two messages (so the loop's emulation state needs no lock).
final class ControlInbox: Sendable {
    let topic: String
    private let queue = Mutex<[ControlCommand]>([])
    private let pending = Atomic<Bool>(false)

    private init(topic: String) { self.topic = topic }

    /// Subscribes to the control topic (QoS 1) and returns the inbox to fill with `collect`.
    static func subscribe(client: MQTTClient, topic: String) async throws -> ControlInbox {
        do {
            try await client.subscribe(topic, qos: .atLeastOnce)
        } catch {
            throw EmulatorError("cannot subscribe to the control topic \(topic): \(error)")
        }
        Console.status("listening for control commands on \(topic)")
        return ControlInbox(topic: topic)
    }

    /// Decodes commands until the client shuts down or the task is cancelled.
    func collect(from messages: MQTTMessages) async {
        let decoder = JSONDecoder()
        for await message in messages where message.topic == topic {
            do {
                let command = try decoder.decode(ControlCommand.self, from: Data(message.payload))
                queue.withLock { $0.append(command) }
                pending.store(true, ordering: .releasing)
            } catch {
                Console.status("control: ignored \(message.payloadString.prefix(200).debugDescription): not a command "
                    + #"({"command":"pause"|"resume"|"reset"|"inject", …})"#)
            }
        }
    }

    /// Cheap enough to ask before every message.
    var hasPending: Bool { pending.load(ordering: .acquiring) }

    /// The commands received since the last call, in order.
    func take() -> [ControlCommand] {
        queue.withLock { queue in
            pending.store(false, ordering: .relaxed)
            defer { queue.removeAll() }
            return queue
        }
    }
}

/// Tells the user, in plain words, when the broker goes away and comes back.
enum ConnectionWatcher {
    /// - Parameter onLoss: called when the connection drops (lets a loop waiting for acks go on).
    static func report(_ client: MQTTClient, address: String, onLoss: @Sendable () -> Void) async {
        var connectedOnce = false
        for await event in client.connectionEvents {
            switch event {
            case .connected:
                if connectedOnce { Console.status("reconnected to the broker at \(address)") }
                connectedOnce = true
            case .disconnected(let reason?):
                onLoss()
                Console.status("lost the broker at \(address) (\(reason.message)); retrying, and counting messages as unsent meanwhile")
            case .disconnected(nil):
                break
            case .refused(let error):
                Console.status("the broker at \(address) refused the reconnection: \(error.message)")
            }
        }
    }
}
