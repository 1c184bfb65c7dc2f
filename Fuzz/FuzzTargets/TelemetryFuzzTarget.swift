import Detection
import IsolationForest
import Telemetry

enum TelemetryFuzzTarget {
    static let sensors = ["current", "pressure", "temperature", "vibration"]
    static let table = SensorTable(sensors)
    /// A fixed clock: the same input must take the same path every time (libFuzzer relies on it).
    static let clock = Timestamp(milliseconds: 1_767_225_600_000)

    /// Trained once per process, with derived features over a window of 4, so that short inputs
    /// already reach warm-up, feature extraction, scoring, the envelope and event tracking.
    static let model: AnomalyModel = {
        let readings = (0..<200).map { (row: Int) -> [Double] in
            let row = Double(row)
            return [10 + row.truncatingRemainder(dividingBy: 7), 5 + row.truncatingRemainder(dividingBy: 3), 20 + row.truncatingRemainder(dividingBy: 5) / 2, 0.03]
        }
        let trainer = ModelTrainer(sensors: sensors, derived: [.mean, .std, .diff], window: 4, forest: .init(treeCount: 20, seed: 7))
        do {
            return try trainer.train(readings: ["d": readings])
        } catch {
            fatalError("the fuzz model does not train: \(error)")
        }
    }()

    /// The detector every input starts from: a value type, so each run gets a fresh copy and runs
    /// stay independent. Building one per input would cost more than the input itself.
    static let detector: Detector = {
        let configuration = DetectorConfiguration(events: EventPolicy(openCount: 1, openWindow: 2, closeAfter: 2),
                                                  maximumPayloadBytes: 4096, maximumDevices: 4)
        do {
            return try Detector(model: model, configuration: configuration, startedAt: clock)
        } catch {
            fatalError("the fuzz detector does not start: \(error)")
        }
    }()

    static func run(_ input: UnsafeRawBufferPointer) {
        parseAlone(input)
        // Each line is one message, so one input can drive a device through warm-up, sequence
        // checks and events (JSON strings cannot hold a raw newline: splitting loses no valid payload).
        var detector = Self.detector
        for (index, line) in input.split(separator: 0x0A).prefix(64).enumerated() {
            // A copy of exactly the line, so AddressSanitizer sees a read past its end.
            let message = Array(line)
            let receivedAt = Timestamp(milliseconds: clock.milliseconds + Int64(index) * 1000)
            // Every third message arrives on device d's topic, so the topic/payload check is reached too.
            let topicDevice: String? = index % 3 == 2 ? "d" : nil
            let outcome = message.withUnsafeBytes { detector.process(payload: $0, topicDevice: topicDevice, receivedAt: receivedAt) }
            check(outcome)
        }
        require(detector.deviceCount <= 4, "maximumDevices is not enforced")
    }

    /// The parser on the whole input, with the invariants of an accepted payload.
    private static func parseAlone(_ input: UnsafeRawBufferPointer) {
        var values = [Double](repeating: .nan, count: sensors.count)
        do {
            let header = try TelemetryParser().parse(input, values: &values) { table.slot(for: $0) }
            require(header.ts != nil, "accepted without ts")
            require(values.allSatisfy { $0.isNaN || $0.isFinite }, "a non-finite sensor value was accepted")
            require(header.valuesPresent == values.count { !$0.isNaN }, "valuesPresent \(header.valuesPresent) disagrees with \(values)")
            require(Set(header.unknownSensors).count == header.unknownSensors.count, "an unknown sensor listed twice")
            require(header.unknownSensors.allSatisfy { !sensors.contains($0) }, "a known sensor listed as unknown")
        } catch {
            require(!error.detail.isEmpty, "a rejection without a detail")
        }
    }

    private static func check(_ outcome: Detector.Outcome) {
        switch outcome.status {
        case .scored(let score, _):
            require(score.isFinite && score > 0 && score <= 1, "score \(score) outside (0, 1]")
            require(outcome.device.map { TopicLevel.problem(with: $0) == nil } == true, "scored an invalid device")
        case .warmingUp:
            require(outcome.device != nil, "a device warming up without a name")
        case .rejected(let rejection):
            require(!rejection.detail.isEmpty, "a rejection without a detail")
        }
        if let event = outcome.event {
            require(event.score.isFinite && event.peakScore >= event.score, "an event with score \(event.score), peak \(event.peakScore)")
            require(event.contributors.allSatisfy { $0.share.isFinite }, "a contributor share is not finite")
        }
    }
}
