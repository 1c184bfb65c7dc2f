import Agent
import Foundation
import Telemetry

enum ConfigurationFuzzTarget {
    static func run(_ input: UnsafeRawBufferPointer) {
        let configuration: AgentConfiguration
        do {
            configuration = try AgentConfiguration.load(json: Data(input))
        } catch {
            require(!error.key.isEmpty && !error.problem.isEmpty, "an error that names no key: \(error)")
            return
        }
        do {
            try configuration.validate()
            // What the agent derives from a valid configuration at start-up.
            require(!configuration.clientID.isEmpty, "a valid configuration without a client id")
            require(TopicLevel.problem(with: configuration.agent) == nil, "a valid agent id that is not a topic level")
        } catch {
            require(!error.key.isEmpty && !error.problem.isEmpty, "an error that names no key: \(error)")
        }
    }
}
