import IsolationForest
import Telemetry

/// The streaming pipeline for every device: parse, check data quality, build features, score with the
/// Isolation Forest (and the sensor envelope), and turn scores into anomaly events.
///
/// A value type: exactly one owner processes messages (the agent does it on the MQTT network thread,
/// under a lock that health reports share). Nothing here touches the network.
public struct Detector: Sendable {
    public private(set) var model: AnomalyModel
    public private(set) var spec: FeatureSpec
    public let configuration: DetectorConfiguration
    private var table: SensorTable
    private var devices: [String: DeviceState] = [:]
    private var values: [Double]
    private var features: [Double]
    /// The features whose envelope is checked (`FeatureSpec.envelopeFeatures`), as indices.
    private var judgedFeatures: [Int]
    /// Event numbers continue across devices' lifetimes in this process; seeded from the start time so
    /// that a restarted agent does not reuse an event id.
    private let eventNumberBase: Int
    /// Times the agent lost its broker: messages missing by `seq` across such an outage went missing on
    /// the agent's side, not the equipment's, and do not open a missing-data event.
    private var outages = 0

    /// What happened to one message.
    public struct Outcome: Sendable {
        public enum Status: Sendable, Equatable {
            case scored(score: Double, anomalous: Bool)
            case warmingUp
            case rejected(Rejection)
        }
        public var device: String?
        public var status: Status
        public var event: AnomalyEvent?
        /// Messages missing before this one according to `seq` (0 when none or unknown).
        public var seqGap: Int64 = 0
        public var unknownSensors: [String] = []
        /// The telemetry timestamp, for end-to-end latency.
        public var ts: Timestamp?
        /// The number in `event`'s id, for whoever keeps numbers from repeating across restarts.
        public var eventNumber: Int?
    }

    /// - Parameter eventNumberFloor: event numbers start at least here (above any number an earlier run may
    ///   have issued; see `EventJournal.eventNumberFloor`), whatever the clock says.
    public init(model: AnomalyModel, configuration: DetectorConfiguration = DetectorConfiguration(),
                startedAt: Timestamp = .now(), eventNumberFloor: Int = 0) throws(DetectionError) {
        try configuration.validate()
        let spec = try FeatureSpec.from(model: model)
        self.model = model
        self.spec = spec
        self.configuration = configuration
        table = SensorTable(spec.sensors)
        values = [Double](repeating: .nan, count: spec.sensors.count)
        features = [Double](repeating: .nan, count: spec.featureCount)
        judgedFeatures = spec.envelopeFeatureIndices
        // Seconds since 2025 keep ids short and increasing across restarts (one event per second per
        // device at most is far above any sane rate).
        eventNumberBase = max(Int(max(0, startedAt.milliseconds / 1000 - 1_735_689_600)), eventNumberFloor)
    }

    public var deviceCount: Int { devices.count }
    public var deviceIDs: [String] { Array(devices.keys) }

    /// Devices still warming up, and devices with an open event.
    public var warmingUpCount: Int { devices.values.count { $0.extractor.isWarmingUp } }
    public var openEventCount: Int { devices.values.count { $0.tracker.isOpen } }
    public var staleCount: Int { devices.values.count { $0.stale } }
    /// The sensor values of the last processed message, in `spec.sensors` order (NaN: absent).
    public var lastValues: [Double] { values }

    /// Processes one telemetry payload that arrived on a topic naming `topicDevice` (nil when the topic has none).
    /// - Parameter receivedAt: the arrival time, by which devices go stale (a device's own clock may be off).
    public mutating func process(payload: UnsafeRawBufferPointer, topicDevice: String?, receivedAt: Timestamp = .now()) -> Outcome {
        guard payload.count <= configuration.maximumPayloadBytes else {
            return Outcome(device: topicDevice, status: .rejected(Rejection(
                .oversized, "payload of \(payload.count) bytes exceeds maximumPayloadBytes \(configuration.maximumPayloadBytes)", device: topicDevice)))
        }
        for index in values.indices { values[index] = .nan }
        let header: TelemetryParser.Header
        do {
            let table = self.table
            header = try TelemetryParser().parse(payload, values: &values) { table.slot(for: $0) }
        } catch {
            return Outcome(device: topicDevice, status: .rejected(Rejection(RejectReason(error.reason), error.detail, device: topicDevice)))
        }
        let device: String
        switch Self.device(topicDevice: topicDevice, payloadDevice: header.device) {
        case .success(let named): device = named
        case .failure(let rejection): return Outcome(device: rejection.device, status: .rejected(rejection))
        }
        return score(device: device, ts: Timestamp(milliseconds: header.ts ?? 0), seq: header.seq, receivedAt: receivedAt,
                     valuesPresent: header.valuesPresent, unknownSensors: header.unknownSensors)
    }

    /// The device a message is about: the topic's, which the payload may repeat but not contradict, else the
    /// payload's; it must be usable as one topic level. Shared with learn mode, so both refuse the same messages.
    public static func device(topicDevice: String?, payloadDevice: String?) -> Result<String, Rejection> {
        let device: String
        switch (topicDevice, payloadDevice) {
        case (let fromTopic?, let fromPayload?) where fromTopic != fromPayload:
            return .failure(Rejection(.deviceMismatch, "payload says device \(fromPayload.prefix(64).debugDescription), topic says \(fromTopic.debugDescription)",
                                      device: fromTopic))
        case (let fromTopic?, _): device = fromTopic
        case (nil, let fromPayload?): device = fromPayload
        case (nil, nil): return .failure(Rejection(.invalidDevice, "neither the topic nor the payload names a device"))
        }
        if let problem = TopicLevel.problem(with: device) {
            return .failure(Rejection(.invalidDevice, "device id \(device.prefix(64).debugDescription) \(problem)"))
        }
        return .success(device)
    }

    /// How far behind the last `seq` a message may be and still count as arriving out of order; further
    /// behind, the publisher has restarted its count.
    public static let reorderWindow: Int64 = 100
    /// The largest jump forward in `seq` counted as messages lost; a larger one starts a new count.
    public static let maximumGap: Int64 = 1_000_000

    /// Scores values already placed in sensor order (for replaying CSV rows through the same pipeline).
    public mutating func process(device: String, ts: Timestamp, seq: Int64?, sensorValues: [Double]) -> Outcome {
        precondition(sensorValues.count == spec.sensors.count)
        values = sensorValues
        return score(device: device, ts: ts, seq: seq, receivedAt: ts, valuesPresent: sensorValues.count { $0.isFinite }, unknownSensors: [])
    }

    private mutating func score(device: String, ts: Timestamp, seq: Int64?, receivedAt: Timestamp, valuesPresent: Int,
                                unknownSensors: [String]) -> Outcome {
        var outcome = Outcome(device: device, status: .warmingUp, unknownSensors: unknownSensors, ts: ts)
        guard valuesPresent > 0 else {
            outcome.status = .rejected(Rejection(.noKnownValues, "none of the model's sensors \(spec.sensors) has a value", device: device))
            return outcome
        }
        if devices[device] == nil {
            guard devices.count < configuration.maximumDevices else {
                outcome.status = .rejected(Rejection(.tooManyDevices, "already tracking maximumDevices = \(configuration.maximumDevices) devices", device: device))
                return outcome
            }
            devices[device] = DeviceState(spec: spec, policy: configuration.events, quality: configuration.dataQuality, firstSeen: receivedAt, firstEventNumber: eventNumberBase)
            devices[device]!.outages = outages
        }
        // Taken out of the dictionary while in use, so its arrays are mutated in place, not copied.
        var state = devices.removeValue(forKey: device)!
        defer { devices[device] = state }
        if let seq, let last = state.lastSeq {
            if seq == last {
                outcome.status = .rejected(Rejection(.duplicateSeq, "seq \(seq) was already received", device: device))
                return outcome
            }
            let (behind, overflow) = last.subtractingReportingOverflow(seq)
            if seq < last, !overflow, behind <= Self.reorderWindow {
                outcome.status = .rejected(Rejection(.outOfOrderSeq, "seq \(seq) arrived after \(last)", device: device))
                return outcome
            }
            // Far behind: the publisher restarted its count (or the last seq was bogus). Refusing everything
            // until the count caught up would blind the device for as long as it had run; start over instead.
            // Far ahead is a new count as well (or a bogus seq): no device loses a million messages and comes back.
            let (ahead, beyond) = seq.subtractingReportingOverflow(last)
            if seq > last, !beyond, ahead <= Self.maximumGap { outcome.seqGap = ahead - 1 }
        }
        if let seq { state.lastSeq = seq }
        state.lastSeen = receivedAt
        state.stale = false
        state.messages += 1
        values.withUnsafeBufferPointer { input in
            features.withUnsafeMutableBufferPointer { output in state.extractor.push(input, into: output) }
        }
        let windowStart = state.windowStart.push(ts)
        // Runs are counted from the first message, warm-up included, so a sensor stuck from the start is found.
        let excused = state.outages != outages
        state.outages = outages
        let quality = values.withUnsafeBufferPointer { state.quality.observe($0, seqGap: excused ? 0 : outcome.seqGap) }
        if state.extractor.isWarmingUp { return outcome }

        // The plain score is the fast path; the attribution pass, a few times dearer, runs only for
        // anomalous points, the only ones whose contributors anyone reads.
        let score = model.anomalyScore(features)
        var (anomalous, severity) = (score > model.threshold, AnomalyEvent.Severity.warning)
        if score >= model.threshold + configuration.events.criticalMargin { severity = .critical }
        var contributors: [AnomalyEvent.Contributor] = []
        // Whether the evidence sums up the rolling window: then the change may have begun up to a window before
        // this message (the event's onset); a raw value, a `diff` or a `dev` shows it in this message itself.
        var windowed = false
        if anomalous {
            let shares = model.explain(features).shares
            contributors = contributorsFromShares(shares)
            let heaviest = shares.indices.lazy.filter { shares[$0].isFinite }.max { shares[$0] < shares[$1] }
            windowed = heaviest.map { spec.summarisesWindow(feature: $0) } ?? false
        }
        var immediate = false
        if let outside = envelopeBreach() {
            anomalous = true
            immediate = true
            contributors = outside.contributors
            windowed = outside.windowed
            // More than twice the allowed margin outside what training ever saw.
            if outside.worst > 2 { severity = .critical }
        }
        if let quality {
            // Missing or frozen data is no statistical fluke either: it opens an event at once, named by its finding.
            anomalous = true
            immediate = true
            windowed = false
            let shown = quality.sensors.prefix(configuration.maximumContributors)
            contributors = shown.map { AnomalyEvent.Contributor(sensor: spec.sensors[$0], share: 1 / Double(shown.count),
                                                                value: values[$0].isFinite ? values[$0] : nil, expected: expected($0)) }
        }
        state.lastScore = score
        outcome.status = .scored(score: score, anomalous: anomalous)
        let observation = EventTracker.Observation(ts: ts, seq: seq, score: score, anomalous: anomalous, severity: severity,
                                                   contributors: contributors, immediate: immediate, finding: quality?.finding.rawValue,
                                                   windowStart: windowed ? windowStart : ts)
        if let snapshot = state.tracker.observe(observation) {
            outcome.event = event(from: snapshot, device: device)
            outcome.eventNumber = snapshot.number
        }
        return outcome
    }

    /// Features outside their training envelope, as contributors (per sensor) weighted by how far out they are;
    /// `windowed` when all of them sum up the rolling window.
    private func envelopeBreach() -> (contributors: [AnomalyEvent.Contributor], worst: Double, windowed: Bool)? {
        guard configuration.envelopeTolerance > 0, let envelope = spec.envelope else { return nil }
        let sensorCount = spec.sensors.count
        var perSensor = [Double](repeating: 0, count: sensorCount)
        var heaviest = Array(0..<sensorCount), heaviestWeight = [Double](repeating: 0, count: sensorCount)
        var worst = 0.0, windowed = true
        for index in judgedFeatures where features[index].isFinite {
            let exceedance = envelope[index].exceedance(features[index], tolerance: configuration.envelopeTolerance)
            if exceedance > 1 {
                windowed = windowed && spec.summarisesWindow(feature: index)
                let sensor = index % sensorCount
                perSensor[sensor] += exceedance
                if exceedance > heaviestWeight[sensor] { (heaviest[sensor], heaviestWeight[sensor]) = (index, exceedance) }
                worst = max(worst, exceedance)
            }
        }
        guard worst > 0 else { return nil }
        let total = perSensor.reduce(0, +)
        return (contributors(weights: perSensor.map { $0 / total }, heaviestFeature: heaviest), worst, windowed)
    }

    /// Attribution shares summed per sensor (its raw and derived features), largest first.
    private func contributorsFromShares(_ shares: [Double]) -> [AnomalyEvent.Contributor] {
        let sensorCount = spec.sensors.count
        var perSensor = [Double](repeating: 0, count: sensorCount)
        var heaviest = Array(0..<sensorCount), heaviestShare = [Double](repeating: 0, count: sensorCount)
        for (index, share) in shares.enumerated() where share.isFinite {
            let sensor = index % sensorCount
            perSensor[sensor] += share
            if share > heaviestShare[sensor] { (heaviest[sensor], heaviestShare[sensor]) = (index, share) }
        }
        return contributors(weights: perSensor, heaviestFeature: heaviest)
    }

    /// The sensors with a positive weight, heaviest first, each with its raw value and, when one of its
    /// derived features (index `heaviestFeature[sensor]`) weighed most, that feature too.
    private func contributors(weights: [Double], heaviestFeature: [Int]) -> [AnomalyEvent.Contributor] {
        let names = spec.featureNames  // once per anomalous message, not once per contributor
        return weights.indices.filter { weights[$0] > 0 }
            .sorted { weights[$0] > weights[$1] }
            .prefix(configuration.maximumContributors)
            .map { sensor in
                var contributor = AnomalyEvent.Contributor(sensor: spec.sensors[sensor], share: weights[sensor],
                                                           value: values[sensor].isFinite ? values[sensor] : nil, expected: expected(sensor))
                let feature = heaviestFeature[sensor]
                if feature >= spec.sensors.count {
                    contributor.feature = names[feature]
                    contributor.featureValue = features[feature].isFinite ? features[feature] : nil
                    contributor.featureExpected = expected(feature)
                }
                return contributor
            }
    }

    /// The training mean of feature `index` (a raw sensor when below the sensor count).
    private func expected(_ index: Int) -> Double? {
        if let envelope = spec.envelope { return envelope[index].mean }
        guard let mean = model.scaler?.mean, index < mean.count else { return nil }
        return mean[index]
    }

    private func event(from snapshot: EventTracker.Snapshot, device: String) -> AnomalyEvent {
        AnomalyEvent(eventID: "\(device)-\(Self.zeroPadded(snapshot.number))", device: device, state: snapshot.state,
                     startedAt: snapshot.startedAt, ts: snapshot.ts, endedAt: snapshot.endedAt, score: snapshot.score,
                     peakScore: snapshot.peakScore, threshold: model.threshold, severity: snapshot.severity,
                     contributors: snapshot.contributors, triggerSeq: snapshot.triggerSeq, model: model.id, agent: configuration.agent,
                     finding: snapshot.finding, onsetAt: snapshot.onsetAt)
    }

    static func zeroPadded(_ number: Int) -> String {
        let digits = String(number)
        return digits.count >= 6 ? digits : String(repeating: "0", count: 6 - digits.count) + digits
    }

    /// Marks devices silent for longer than `interval` (milliseconds) as stale; returns the newly stale ones.
    public mutating func markStale(now: Timestamp, after interval: Int64) -> [String] {
        var newlyStale: [String] = []
        for (device, state) in devices where !state.stale && now.milliseconds - state.lastSeen.milliseconds > interval {
            devices[device]?.stale = true
            newlyStale.append(device)
        }
        return newlyStale
    }

    /// The agent lost its broker and is back: each device's first gap in `seq` after this is the outage's,
    /// still counted (`seqGap`) but not raised as missing data, which would open an event on every device.
    public mutating func noteOutage() { outages += 1 }

    /// Switches to another model between two messages. Feature windows are kept when the feature
    /// specification is the same, so no device warms up again; open events stay open.
    public mutating func replaceModel(_ newModel: AnomalyModel) throws(DetectionError) {
        let newSpec = try FeatureSpec.from(model: newModel)
        if newSpec.sensors != spec.sensors || newSpec.derived != spec.derived || newSpec.window != spec.window {
            for device in devices.keys {
                devices[device]?.extractor = FeatureExtractor(spec: newSpec)
                devices[device]?.windowStart = WindowStart(window: newSpec.window)
            }
        }
        // The new model's learned runs set new stuck limits; runs restart from the next message.
        for device in devices.keys {
            devices[device]?.quality = DataQualityMonitor(spec: newSpec, policy: configuration.dataQuality)
        }
        model = newModel
        spec = newSpec
        table = SensorTable(newSpec.sensors)
        values = [Double](repeating: .nan, count: newSpec.sensors.count)
        features = [Double](repeating: .nan, count: newSpec.featureCount)
        judgedFeatures = newSpec.envelopeFeatureIndices
    }
}
