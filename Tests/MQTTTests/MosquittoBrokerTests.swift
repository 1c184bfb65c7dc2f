import Foundation
@testable import MQTTTesting
import Testing

@Suite("The test broker itself")
struct MosquittoBrokerTests {
    @Test("A broker that cannot bind its port is not taken for the one already listening there")
    func portTakenByAnother() async throws {
        try await MosquittoBroker.with { first in
            // Two tests can be handed the same free port: the second mosquitto fails to bind and exits, while
            // the port accepts (the first one's). Taking that for a start left the second test without a broker.
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mosquitto-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            try MosquittoBroker.writeConfiguration(options: MosquittoBroker.Options(), port: first.port, directory: directory)
            let second = LockedProcess(binary: try MosquittoBroker.locateBinary(), directory: directory)
            try second.launch()
            defer { second.stop() }
            await #expect(throws: BrokerError.self) {
                try await MosquittoBroker.waitUntilAccepting(port: first.port, process: second, directory: directory, startsBefore: 0)
            }
            #expect(MosquittoBroker.isAccepting(port: first.port), "the first broker is still there")
        }
    }
}
