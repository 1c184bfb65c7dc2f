import ArgumentParser
import Foundation
import MQTT
import Simulation
import Telemetry

/// `sensor-emulator publish`: emulated devices in real time (or faster) over MQTT.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish emulated telemetry, with injected anomalies and their ground truth, to an MQTT broker.",
        discussion: """
        Each device reports every sensor --rate times per second on sensors/{device}/telemetry, in real time, \
        --speedup times faster, or as fast as the broker takes it (--max-rate). Injected anomalies are announced \
        on sensors/{device}/truth (QoS 1) and written to the ground-truth log. The run keeps going when the broker \
        goes away and comes back, counting what it could not send; progress goes to standard error every few \
        seconds and a summary at the end. SIGINT or SIGTERM stops it cleanly.

        With --control it obeys JSON commands on emulator/{emulator}/control:
          {"command":"pause"}  {"command":"resume"}  {"command":"reset"}
          {"command":"inject","device":"pump-01","kind":"spike"}
        (inject may add "sensors":[…], "duration":seconds, "magnitude":fraction).

        Example:
          sensor-emulator publish --devices 4 --rate 2 --duration 10m
        """)

    @OptionGroup(title: "Emulation") var emulation: EmulationOptions
    @OptionGroup(title: "Sending") var sending: SendingOptions
    @OptionGroup(title: "Broker") var broker: BrokerOptions

    @Option(help: ArgumentHelp("Stop after this much emulated time (90s, 15m, 2h, 1d; default: run until stopped).", valueName: "duration"))
    var duration: DurationArgument?

    @Option(help: "Stop after this many telemetry messages.")
    var count: Int?

    @Option(help: ArgumentHelp("The ground-truth log (JSON Lines).", valueName: "file"))
    var truthLog = "ground-truth.jsonl"

    @Flag(help: "Write no ground-truth log (the truth topic still gets every record).")
    var noTruthLog = false

    @Flag(help: "Obey pause, resume, reset and inject commands on the control topic.")
    var control = false

    @Option(help: "This emulator's id, the {emulator} of the control topic.")
    var emulatorId = "emulator-01"

    @Option(help: ArgumentHelp("Topic template for control commands.", valueName: "template"))
    var controlTopic = "emulator/{emulator}/control"

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if let duration, duration.seconds <= 0 { throw ValidationError("--duration must be longer than 0") }
        if let problem = TopicLevel.problem(with: emulatorId) { throw ValidationError("--emulator-id \(emulatorId.debugDescription) \(problem)") }
    }

    mutating func run() async throws {
        let (profile, scenario) = try emulation.load()
        let stop = StopSignal.install()
        let emulationState: Emulation
        do {
            emulationState = try Emulation(.init(profile: profile, scenario: scenario, deviceCount: emulation.devices, rate: emulation.rate,
                                                 seed: emulation.seed, origin: .now()))
        } catch {
            throw EmulatorError(error.description)
        }
        let telemetryTopics = try TopicOption(sending.telemetryTopic, option: "--telemetry-topic", placeholder: "device")
            .render(emulationState.deviceIDs)
        let truthTopics = try TopicOption(sending.truthTopic, option: "--truth-topic", placeholder: "device").render(emulationState.deviceIDs)
        let controlTopicName = try TopicOption(controlTopic, option: "--control-topic", placeholder: "emulator").render(emulatorId)
        let client = try await broker.connect()
        // Created only once connected, so a run that cannot reach the broker leaves no empty log behind.
        let log: GroundTruthLog?
        do {
            log = noTruthLog ? nil : try GroundTruthLog(path: truthLog, writeThrough: true)
        } catch {
            await client.shutdown()
            throw EmulatorError(error.description)
        }
        let sink = MessageSink(client: client, qos: MQTTQoS(rawValue: Int32(sending.qos)) ?? .atMostOnce, retain: sending.retain, stop: stop)
        let inbox = control ? try await ControlInbox.subscribe(client: client, topic: controlTopicName) : nil
        let pace = sending.asFastAsPossible ? "as fast as possible" : sending.speedup == 1 ? "in real time" : "\(sending.speedup)× real time"
        Console.status("publishing \(emulationState.deviceIDs.count) devices × \(emulationState.sensorNames.count) sensors at \(emulation.rate)/s each, "
            + "\(pace), to \(broker.address) (QoS \(sending.qos))" + (log.map { "; ground truth in \($0.path)" } ?? ""))

        var limits: [PublishRun.Limit] = []
        if let count { limits.append(.count(count)) }
        if let duration { limits.append(.duration(duration.seconds)) }
        var run = PublishRun(emulation: emulationState, telemetryTopics: telemetryTopics, truthTopics: truthTopics, sink: sink, truthLog: log,
                             pacer: Pacer(mode: sending.pace), limits: limits, stop: stop, inbox: inbox,
                             progress: ProgressReporter(interval: .seconds(sending.progressInterval), sink: sink))
        var failure: (any Error)?
        let address = broker.address
        await withDiscardingTaskGroup { group in
            group.addTask { await ConnectionWatcher.report(client, address: address) { sink.window.wake() } }
            if let inbox { group.addTask { await inbox.collect(from: client.messages) } }
            do {
                try await run.run(group: &group)
            } catch {
                failure = error
            }
            await sink.drain(timeout: .seconds(10))
            group.cancelAll()
        }
        do {
            try log?.close()
        } catch {
            failure = failure ?? error
        }
        Console.status(run.progress.summary(what: "\(run.published) telemetry messages from \(emulationState.deviceIDs.count) devices"))
        await client.shutdown()
        if let failure { throw EmulatorError("\(failure)") }
    }
}
