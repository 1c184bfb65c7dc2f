import Foundation
import Simulation
import Telemetry

/// The `publish` loop: takes readings from the emulation in time order, paces them, publishes them
/// with their ground truth, and obeys control commands between two messages.
struct PublishRun {
    enum Limit {
        /// Stop after this many telemetry messages (sent or not; dropout gaps do not count).
        case count(Int)
        /// Stop when emulated time reaches this many seconds.
        case duration(Double)
    }

    var emulation: Emulation
    let encoder: TelemetryEncoder
    let telemetryTopics: [String]
    let truthTopics: [String]
    let sink: MessageSink
    let truthLog: GroundTruthLog?
    var pacer: Pacer
    let limits: [Limit]
    let stop: StopSignal
    let inbox: ControlInbox?
    var progress: ProgressReporter
    private(set) var published = 0
    private var pausedSince: ContinuousClock.Instant?

    init(emulation: Emulation, telemetryTopics: [String], truthTopics: [String], sink: MessageSink, truthLog: GroundTruthLog?,
         pacer: Pacer, limits: [Limit], stop: StopSignal, inbox: ControlInbox?, progress: ProgressReporter) {
        self.emulation = emulation
        encoder = TelemetryEncoder(emulation: emulation)
        self.telemetryTopics = telemetryTopics
        self.truthTopics = truthTopics
        self.sink = sink
        self.truthLog = truthLog
        self.pacer = pacer
        self.limits = limits
        self.stop = stop
        self.inbox = inbox
        self.progress = progress
    }

    /// Runs until a limit is reached or a stop is requested; ends every open anomaly in the ground truth.
    /// - Throws: `ConfigurationError` when the ground-truth log cannot be written.
    mutating func run(group: inout DiscardingTaskGroup) async throws {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1024)
        while !stop.isRequested {
            if let inbox, inbox.hasPending { obey(inbox.take()) }
            if pausedSince != nil {
                try? await Task.sleep(for: .milliseconds(20))
                progress.tick(state: "paused")
                continue
            }
            let upcoming = emulation.nextSimulatedSeconds
            if limits.contains(where: { if case .duration(let seconds) = $0 { upcoming >= seconds } else { false } }) { break }
            if pacer.speedup != nil { await pacer.wait(until: upcoming, stop: stop) }
            // A command that came in during the wait (a pause) applies before the next message.
            if stop.isRequested || inbox?.hasPending == true { continue }

            let step = emulation.next()
            try publish(step.truthBefore, group: &group)
            if !step.reading.isMissing {
                encoder.encode(step.reading, into: &buffer)
                let topic = telemetryTopics[step.reading.deviceIndex]
                if !sink.sendWithoutWaiting(topic: topic, payload: buffer) {
                    await sink.publishTelemetry(topic: topic, payload: buffer, group: &group)
                }
                published += 1
            }
            try publish(step.truthAfter, group: &group)
            progress.tick()
            if limits.contains(where: { if case .count(let count) = $0 { published >= count } else { false } }) { break }
        }
        try publish(emulation.finish(), group: &group)
    }

    private func publish(_ records: [GroundTruthRecord], group: inout DiscardingTaskGroup) throws {
        for record in records {
            try truthLog?.append(record)
            guard let index = emulation.deviceIDs.firstIndex(of: record.device) else { continue }
            sink.publishTruth(topic: truthTopics[index], record: record, group: &group)
        }
    }

    /// Applies control commands: pause, resume, reset, inject.
    private mutating func obey(_ commands: [ControlCommand]) {
        for command in commands {
            switch command.command {
            case .pause:
                guard pausedSince == nil else { continue }
                pausedSince = .now
                Console.status("control: paused")
            case .resume:
                guard let since = pausedSince else { continue }
                pausedSince = nil
                let pause = ContinuousClock.now - since
                // Timestamps follow the clock again (scaled when sped up); emulated time did not move.
                if let speedup = pacer.speedup {
                    emulation.timeShiftMilliseconds += Int64((pause.seconds * speedup * 1000).rounded())
                }
                pacer.reanchor(simulated: emulation.nextSimulatedSeconds)
                Console.status("control: resumed after \(String(format: "%.1f", pause.seconds)) s")
            case .reset:
                emulation.requestReset()
                Console.status("control: reset to the start of the scenario and seed \(emulation.configuration.seed), from the next period")
            case .inject:
                inject(command)
            }
        }
    }

    private mutating func inject(_ command: ControlCommand) {
        guard let device = command.device else {
            Console.status(#"control: inject refused: it needs "device" (one of \#(emulation.deviceIDs.joined(separator: ", ")))"#)
            return
        }
        guard let kind = command.kind.flatMap(AnomalyKind.init(rawValue:)) else {
            Console.status("control: inject refused: \"kind\" must be one of \(AnomalyKind.allCases.map(\.rawValue).joined(separator: ", "))")
            return
        }
        let anomaly = ScriptedAnomaly(device: device, kind: kind, at: 0, duration: command.duration, sensors: command.sensors,
                                      magnitude: command.magnitude)
        do {
            try emulation.inject(anomaly)
            Console.status("control: injecting \(kind) on \(device)\(command.sensors.map { " \($0)" } ?? "") for \(anomaly.duration.map { "\($0) s" } ?? "the kind's default duration") from the next reading")
        } catch {
            Console.status("control: inject refused: \(error)")
        }
    }
}
