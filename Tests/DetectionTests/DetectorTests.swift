import Foundation
import Detection
import IsolationForest
import Telemetry
import Testing

/// Normal readings of a pump-like device: current drives temperature and pressure; vibration is noise.
func normalReadings(count: Int, seed: UInt64) -> [[Double]] {
    var state = seed | 1
    func uniform() -> Double {  // xorshift, good enough for test data
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return Double(state >> 11) / Double(1 << 53)
    }
    func noise() -> Double { (uniform() + uniform() + uniform() - 1.5) }
    return (0..<count).map { index in
        let load = 0.6 + 0.2 * sin(Double(index) / 50)
        return [60 + 20 * load + noise(), 0.03 + 0.01 * noise(), 10 + 5 * load + 0.2 * noise(), 5 + load + 0.05 * noise()]
    }
}

let sensors = ["temperature", "vibration", "current", "pressure"]

func trainedModel() throws -> AnomalyModel {
    let trainer = ModelTrainer(sensors: sensors, derived: [], window: 1,
                               forest: IsolationForest.Configuration(treeCount: 100, contamination: .fraction(0.002), seed: 7))
    return try trainer.train(readings: ["pump-01": normalReadings(count: 3000, seed: 1)], date: "2026-01-01T00:00:00Z")
}

func payload(device: String? = nil, ts: Int64, seq: Int64?, _ values: [Double]) -> [UInt8] {
    let body = zip(sensors, values).map { "\"\($0)\":\($1)" }.joined(separator: ",")
    let devicePart = device.map { "\"device\":\"\($0)\"," } ?? ""
    let seqPart = seq.map { ",\"seq\":\($0)" } ?? ""
    return Array("{\(devicePart)\"ts\":\(ts)\(seqPart),\"values\":{\(body)}}".utf8)
}

extension Detector {
    mutating func process(_ bytes: [UInt8], device: String?, receivedAt: Timestamp? = nil) -> Outcome {
        bytes.withUnsafeBytes { process(payload: $0, topicDevice: device, receivedAt: receivedAt ?? .now()) }
    }
}

@Suite("Detector")
struct DetectorTests {
    @Test("Normal telemetry then a spike on one sensor: exactly one open and one closed event naming it first")
    func spike() throws {
        var detector = try Detector(model: try trainedModel())
        var events: [AnomalyEvent] = []
        let test = normalReadings(count: 400, seed: 99)
        for (index, var reading) in test.enumerated() {
            if (200..<206).contains(index) { reading[1] = 0.03 + 0.4 }  // vibration spike, well inside nothing seen
            let outcome = detector.process(payload(ts: 1000 * Int64(index), seq: Int64(index), reading), device: "pump-01")
            if let event = outcome.event { events.append(event) }
        }
        #expect(events.map(\.state) == [.open, .closed], "\(events.map { ($0.state, $0.ts) })")
        let open = try #require(events.first)
        #expect(open.contributors.first?.sensor == "vibration")
        #expect(open.device == "pump-01" && open.agent == "agent-01" && open.model.hasPrefix("sha256:"))
        #expect(open.eventID == events.last?.eventID)
        #expect((200_000...206_000).contains(open.startedAt.milliseconds))
    }

    @Test("A value far beyond the training data raises an event although the forest saturates")
    func saturation() throws {
        let model = try trainedModel()
        var edge = normalReadings(count: 1, seed: 5)[0]
        var far = edge
        edge[2] = 15.5  // just beyond the training range of current
        far[2] = 1_000  // absurdly beyond it
        // The forest cannot tell the two apart: both are isolated after the same few splits.
        #expect(abs(model.anomalyScore(far) - model.anomalyScore(edge)) < 0.02)
        var detector = try Detector(model: model)
        var events: [AnomalyEvent] = []
        for index in 0..<20 {
            var reading = normalReadings(count: 20, seed: 3)[index]
            if index >= 10 { reading[2] = 1_000 }
            if let event = detector.process(payload(ts: Int64(index) * 1000, seq: Int64(index), reading), device: "m").event { events.append(event) }
        }
        let open = try #require(events.first)
        #expect(open.state == .open)
        #expect(open.contributors.first?.sensor == "current")
        #expect(open.contributors.first?.value == 1_000)
        #expect(open.contributors.first?.feature == nil, "the raw value decided: no derived feature is named")
        #expect(open.severity == .critical)
    }

    @Test("Every data-quality problem is rejected with its reason and the other devices keep scoring")
    func dataQuality() throws {
        var detector = try Detector(model: try trainedModel(), configuration: DetectorConfiguration(maximumPayloadBytes: 300, maximumDevices: 3))
        let good = normalReadings(count: 50, seed: 4)
        func reason(_ bytes: [UInt8], _ device: String? = "pump-01") -> RejectReason? {
            if case .rejected(let rejection) = detector.process(bytes, device: device).status { return rejection.reason }
            return nil
        }
        #expect(reason(payload(ts: 0, seq: 1, good[0])) == nil)
        #expect(reason(Array("{oops".utf8)) == .malformedJSON)
        #expect(reason(Array(#"{"ts":1,"values":{"current":"high"}}"#.utf8)) == .nonNumericValue)
        #expect(reason(Array(#"{"ts":1,"values":{"current":NaN}}"#.utf8)) == .nonFiniteValue)
        #expect(reason(Array(#"{"ts":1,"values":{"humidity":1}}"#.utf8)) == .noKnownValues)
        #expect(reason(Array(repeating: UInt8(ascii: " "), count: 301)) == .oversized)
        #expect(reason(payload(device: "other", ts: 1, seq: 2, good[1])) == .deviceMismatch)
        #expect(reason(payload(ts: 1, seq: 2, good[1]), "bad+id") == .invalidDevice)
        #expect(reason(payload(ts: 1, seq: 2, good[1]), nil) == .invalidDevice)
        #expect(reason(payload(ts: 1, seq: 1, good[1])) == .duplicateSeq)
        let gap = detector.process(payload(ts: 2, seq: 5, good[2]), device: "pump-01")
        #expect(gap.seqGap == 3)
        #expect(reason(payload(ts: 3, seq: 4, good[3])) == .outOfOrderSeq)
        // Far behind is a publisher that restarted its count (or a bogus seq before): scored, and counting starts over.
        let restarted = detector.process(payload(ts: 3, seq: 5 + Detector.reorderWindow + 1, good[3]), device: "pump-01")
        #expect(restarted.seqGap == 105 - 5)
        let again = detector.process(payload(ts: 3, seq: 3, good[3]), device: "pump-01")
        if case .rejected(let rejection) = again.status { Issue.record("a restarted count was refused: \(rejection)") }
        #expect(again.seqGap == 0)
        #expect(reason(payload(ts: 3, seq: 2, good[3])) == .outOfOrderSeq)
        // A jump far ahead (a bogus seq) starts a new count too, instead of a gap of millions.
        #expect(detector.process(payload(ts: 3, seq: 3 + Detector.maximumGap + 1, good[3]), device: "pump-01").seqGap == 0)
        #expect(detector.process(payload(ts: 3, seq: 1, good[3]), device: "pump-01").seqGap == 0)
        let unknown = detector.process(Array(#"{"ts":4,"seq":6,"values":{"current":12,"humidity":40}}"#.utf8), device: "pump-01")
        #expect(unknown.unknownSensors == ["humidity"])
        if case .scored = unknown.status {} else { Issue.record("a message with one unknown sensor is still scored: \(unknown.status)") }
        #expect(reason(payload(ts: 0, seq: 1, good[4]), "b") == nil)
        #expect(reason(payload(ts: 0, seq: 1, good[4]), "c") == nil)
        #expect(reason(payload(ts: 0, seq: 1, good[4]), "d") == .tooManyDevices)
        // pump-01 is still scored normally after all that.
        if case .scored(_, let anomalous) = detector.process(payload(ts: 9, seq: 7, good[5]), device: "pump-01").status {
            #expect(!anomalous)
        } else {
            Issue.record("pump-01 was not scored")
        }
        #expect(detector.deviceCount == 3)
    }

    @Test("Devices warm up until their windows are full and say so")
    func warmingUp() throws {
        let trainer = ModelTrainer(sensors: sensors, derived: [.mean, .std], window: 5, forest: .init(treeCount: 50, seed: 1))
        let model = try trainer.train(readings: ["a": normalReadings(count: 500, seed: 2)])
        var detector = try Detector(model: model)
        let readings = normalReadings(count: 6, seed: 3)
        var statuses: [Detector.Outcome.Status] = []
        for (index, reading) in readings.enumerated() {
            statuses.append(detector.process(payload(ts: Int64(index), seq: Int64(index), reading), device: "x").status)
        }
        #expect(statuses.prefix(4).allSatisfy { $0 == .warmingUp })
        #expect(detector.warmingUpCount == 0)
        if case .scored = statuses[5] {} else { Issue.record("not scored after warm-up: \(statuses)") }
    }

    @Test("Stale devices are found")
    func stale() throws {
        var detector = try Detector(model: try trainedModel())
        // Staleness goes by arrival time: the device's own clock (ts 0 here) may be anything.
        _ = detector.process(payload(ts: 0, seq: 1, normalReadings(count: 1, seed: 1)[0]), device: "quiet",
                             receivedAt: Timestamp(milliseconds: 1_000))
        #expect(detector.markStale(now: Timestamp(milliseconds: 5_000), after: 10_000).isEmpty)
        #expect(detector.markStale(now: Timestamp(milliseconds: 20_000), after: 10_000) == ["quiet"])
        #expect(detector.staleCount == 1)
        #expect(detector.markStale(now: Timestamp(milliseconds: 30_000), after: 10_000).isEmpty)
    }

    @Test("Event numbers start at the floor an earlier run left when it is above the clock's start, and the outcome carries them")
    func eventNumberFloor() throws {
        func firstEvent(floor: Int) throws -> (id: String, number: Int?) {
            var detector = try Detector(model: try trainedModel(), startedAt: Timestamp(milliseconds: 1_735_689_600_000 + 5_000),
                                        eventNumberFloor: floor)
            for (index, var reading) in normalReadings(count: 40, seed: 3).enumerated() {
                if index >= 20 { reading[1] = 0.5 }
                let outcome = detector.process(payload(ts: 1000 * Int64(index), seq: Int64(index), reading), device: "p")
                if let event = outcome.event { return (event.eventID, outcome.eventNumber) }
            }
            throw DetectionError("no event")
        }
        // Five seconds after the 2025 epoch the clock alone gives 5; a floor of 1234 wins, a floor of 2 does not.
        #expect(try firstEvent(floor: 2) == ("p-000005", 5))
        #expect(try firstEvent(floor: 1234) == ("p-001234", 1234))
    }

    @Test("The feature spec travels in the model file")
    func specInModel() throws {
        let model = try trainedModel()
        let spec = try FeatureSpec.from(model: model)
        #expect(spec.sensors == sensors)
        #expect(spec.envelope?.count == 4)
        let reloaded = try AnomalyModel(jsonBytes: model.jsonBytes())
        #expect(try FeatureSpec.from(model: reloaded) == spec)
        #expect(reloaded.id == model.id)
    }
}

@Suite("Reject reasons")
struct RejectReasonTests {
    @Test("Every parser reason has a reject reason with the same name")
    func parserReasons() {
        for reason in TelemetryParseError.Reason.allCases {
            #expect(RejectReason(rawValue: reason.rawValue) != nil, "\(reason)")
        }
    }
}

@Suite("Feature envelope")
struct FeatureEnvelopeTests {
    func model(derived: [FeatureSpec.Derived]) throws -> AnomalyModel {
        try ModelTrainer(sensors: sensors, derived: derived, window: 10,
                         forest: IsolationForest.Configuration(treeCount: 100, contamination: .fraction(0.0005), seed: 7))
            .train(readings: ["pump-01": normalReadings(count: 3000, seed: 1)])
    }

    @Test("A single reading far outside the training range opens an event at once (no k of n wait)")
    func oneMessageSpike() throws {
        var detector = try Detector(model: try model(derived: []))
        var events: [AnomalyEvent] = []
        for (index, var reading) in normalReadings(count: 60, seed: 8).enumerated() {
            if index == 30 { reading[3] += 5 }  // pressure, one message only
            if let event = detector.process(payload(ts: Int64(index) * 1000, seq: Int64(index), reading), device: "p").event { events.append(event) }
        }
        #expect(events.map(\.state) == [.open, .closed])
        #expect(events.first?.triggerSeq == 30)
        #expect(events.first?.contributors.first?.sensor == "pressure")
    }

    @Test("An event's onset is where its rolling window began when only rolling features are out, the message itself when a raw value is")
    func onset() throws {
        func run(_ trained: AnomalyModel, shiftBy shift: Double, from start: Int, for length: Int) throws -> AnomalyEvent {
            // The forest stays silent (threshold 1): only the envelope decides, so which features are out is known.
            var detector = try Detector(model: trained.withDecision(AnomalyModel.Decision(threshold: 1, method: "envelope-only")))
            for (index, var reading) in normalReadings(count: 120, seed: 8).enumerated() {
                if (start..<start + length).contains(index) { reading[3] += shift }  // pressure
                if let event = detector.process(payload(ts: Int64(index) * 1000, seq: Int64(index), reading), device: "p").event { return event }
            }
            throw DetectionError("no event")
        }
        let forest = IsolationForest.Configuration(treeCount: 50, contamination: .fraction(0.001), seed: 7)
        let training = ["pump-01": normalReadings(count: 3000, seed: 1)]
        // Only the rolling mean judged: a step moves it out some messages after it began.
        let meanOnly = try ModelTrainer(sensors: sensors, derived: [.mean], window: 10, forest: forest,
                                        envelopeFeatures: sensors.map { "\($0):mean" }).train(readings: training)
        let step = try run(meanOnly, shiftBy: 0.5, from: 50, for: 40)
        let trigger = try #require(step.triggerSeq)
        #expect(trigger > 50 && trigger < 60, "the mean crosses within the window after the step")
        #expect(step.startedAt.milliseconds == trigger * 1000)
        #expect(step.onsetAt?.milliseconds == (trigger - 9) * 1000, "the oldest message in the trigger's window of 10")
        #expect(try JSONDecoder().decode(AnomalyEvent.self, from: JSONEncoder().encode(step)).onsetAt == step.onsetAt)
        // Raw values judged as well: a spike is out in its own message, which is where it began.
        let rawToo = try ModelTrainer(sensors: sensors, derived: [.mean], window: 10, forest: forest).train(readings: training)
        let spike = try run(rawToo, shiftBy: 5, from: 50, for: 1)
        #expect(spike.triggerSeq == 50)
        #expect(spike.onsetAt == spike.startedAt)
    }

    @Test("A stuck sensor shows as a rolling std below anything seen in training")
    func stuckSensor() throws {
        let trained = try model(derived: [.std])
        let spec = try FeatureSpec.from(model: trained)
        #expect(spec.envelope?.map(\.sensor) == spec.featureNames)
        var detector = try Detector(model: trained)
        var events: [AnomalyEvent] = []
        for (index, var reading) in normalReadings(count: 120, seed: 9).enumerated() {
            if index >= 40 && index < 80 { reading[0] = 71.25 }  // temperature frozen
            if let event = detector.process(payload(ts: Int64(index) * 1000, seq: Int64(index), reading), device: "p").event { events.append(event) }
        }
        let open = try #require(events.first { $0.state == .open })
        #expect(open.contributors.first?.sensor == "temperature")
        #expect((40_000...60_000).contains(open.startedAt.milliseconds))
    }

    @Test("When a derived feature decided, the contributor names it with its value and training mean, on the wire too")
    func derivedContributor() throws {
        let trained = try model(derived: [.std])
        let spec = try FeatureSpec.from(model: trained)
        let stdIndex = try #require(spec.featureNames.firstIndex(of: "vibration:std"))
        let trainedStd = try #require(spec.envelope?[stdIndex])
        var detector = try Detector(model: trained)
        var events: [AnomalyEvent] = []
        for (index, var reading) in normalReadings(count: 120, seed: 9).enumerated() {
            // Vibration swings between two values inside its raw training range: each reading looks
            // ordinary, their spread does not.
            if index >= 40 && index < 80 { reading[1] = index.isMultiple(of: 2) ? 0.0155 : 0.0445 }
            if let event = detector.process(payload(ts: Int64(index) * 1000, seq: Int64(index), reading), device: "p").event { events.append(event) }
        }
        let open = try #require(events.first { $0.state == .open })
        let vibration = try #require(open.contributors.first)
        #expect(vibration.sensor == "vibration")
        #expect(vibration.value.map { (0.0155...0.0445).contains($0) } == true)
        #expect(vibration.feature == "vibration:std")
        let featureValue = try #require(vibration.featureValue)
        #expect(featureValue > trainedStd.max, "the rolling std \(featureValue) is beyond training's \(trainedStd.max)")
        #expect(vibration.featureExpected == trainedStd.mean)

        let json = String(decoding: try JSONEncoder().encode(vibration), as: UTF8.self)
        #expect(json.contains("\"feature\":\"vibration:std\"") && json.contains("\"feature_value\":") && json.contains("\"feature_expected\":"))
        #expect(try JSONDecoder().decode(AnomalyEvent.Contributor.self, from: Data(json.utf8)) == vibration)
        let raw = AnomalyEvent.Contributor(sensor: "current", share: 1, value: 1, expected: 0)
        #expect(!String(decoding: try JSONEncoder().encode(raw), as: UTF8.self).contains("feature"), "absent, not null, when the raw value decided")
    }
}

@Suite("Threshold calibration by a false-alarm budget")
struct ThresholdCalibrationTests {
    @Test("The calibrated threshold keeps held-out normal data within the budget, tighter budgets raise it, and the method is recorded")
    func budget() throws {
        let model = try ModelTrainer(sensors: sensors, forest: IsolationForest.Configuration(treeCount: 50, contamination: .auto, seed: 2))
            .train(readings: ["a": normalReadings(count: 2000, seed: 1)])
        // Two devices, one reading a second for an hour each: 2 device-hours held out.
        let heldOut = ["a": normalReadings(count: 3600, seed: 5), "b": normalReadings(count: 3600, seed: 6)].mapValues { rows in
            rows.enumerated().map { ThresholdCalibration.Reading(ts: Int64($0.offset) * 1000, values: $0.element) }
        }
        // Contamination auto (0.5) is far too low for this data: many events.
        let loose = try ThresholdCalibration(eventsPerDeviceHour: 5).calibrate(model, heldOut: heldOut)
        let tight = try ThresholdCalibration(eventsPerDeviceHour: 0.5).calibrate(model, heldOut: heldOut)
        #expect(abs(loose.deviceHours - 2 * 3599.0 / 3600) < 1e-9)
        #expect(Double(loose.events) <= 5 * loose.deviceHours && Double(tight.events) <= 0.5 * tight.deviceHours)
        #expect(tight.model.threshold > loose.model.threshold)
        #expect(tight.model.decision.method == "false-alarm-rate")
        #expect(tight.model.decision.parameters["events_per_device_hour"]?.doubleValue == 0.5)
        #expect(tight.model.decision.parameters["held_out_data_hash"]?.stringValue?.hasPrefix("sha256:") == true)
        // The calibrated model, run over the same data by the detector, raises what calibration counted.
        var detector = try Detector(model: tight.model)
        var opened = 0
        for device in ["a", "b"] {
            for reading in heldOut[device]! {
                let outcome = detector.process(device: device, ts: Timestamp(milliseconds: reading.ts), seq: nil, sensorValues: reading.values)
                if outcome.event?.state == .open { opened += 1 }
            }
        }
        #expect(opened == tight.events)

        // A budget so loose that one endless event per device would meet it: the walk down stops before half
        // of the normal rows are above the threshold (bisection alone once settled on 0, an alarm that never ends).
        let endless = try ThresholdCalibration(eventsPerDeviceHour: 1_000).calibrate(model, heldOut: heldOut)
        var scores: [Double] = []
        for device in ["a", "b"] {
            var scorer = try Detector(model: model)
            for reading in heldOut[device]! {
                if case .scored(let score, _) = scorer.process(device: device, ts: Timestamp(milliseconds: reading.ts), seq: nil,
                                                               sensorValues: reading.values).status { scores.append(score) }
            }
        }
        let above = scores.filter { $0 > endless.model.threshold }.count
        #expect(above * 2 <= scores.count, "\(above) of \(scores.count) normal rows above \(endless.model.threshold)")

        // Held-out data shorter than the warm-up gives nothing to calibrate on: an error, not a threshold near 0.
        let windowed = try ModelTrainer(sensors: sensors, derived: [.mean], window: 10, forest: IsolationForest.Configuration(treeCount: 10, seed: 2))
            .train(readings: ["a": normalReadings(count: 500, seed: 1)])
        let short = ["a": normalReadings(count: 5, seed: 5).enumerated().map { ThresholdCalibration.Reading(ts: Int64($0.offset) * 60_000, values: $0.element) }]
        let error = #expect(throws: DetectionError.self) { try ThresholdCalibration(eventsPerDeviceHour: 1).calibrate(windowed, heldOut: short) }
        #expect(error?.description.contains("warm-up") == true, "\(String(describing: error))")
    }
}
