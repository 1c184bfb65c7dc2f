import Telemetry

/// A fleet of emulated devices, producing readings in time order with ground truth around them.
///
/// ```swift
/// var emulation = try Emulation(.init(rate: 1, seed: 42, origin: Timestamp(milliseconds: 1_767_225_600_000)))
/// for _ in 0..<8 {
///     let step = emulation.next()
///     print(step.reading.device, step.reading.values)
/// }
/// ```
/// Time advances in periods of 1/`rate` seconds; within each period every device reports once, at
/// its own phase. The emulation is a value: it owns all its state, and equal configurations produce
/// equal readings, byte for byte.
public struct Emulation: Sendable {
    /// Everything that determines a run.
    public struct Configuration: Sendable {
        /// Sensors, devices and operating cycle.
        public var profile: EmulatorProfile
        /// The anomalies to inject; nil for normal data only.
        public var scenario: Scenario?
        /// How many devices (the profile's first, then generated ids); nil for the profile's devices.
        public var deviceCount: Int?
        /// Readings per second per device.
        public var rate: Double
        /// The seed of every random choice.
        public var seed: UInt64
        /// The timestamp of the first period.
        public var origin: Timestamp
        /// Where the anomalous span starts: scenario times and the random warm-up count from here.
        public var anomalyOffsetSeconds: Double

        /// A configuration; everything but the origin has a default.
        public init(profile: EmulatorProfile = .default, scenario: Scenario? = .default, deviceCount: Int? = nil, rate: Double = 1,
                    seed: UInt64 = 42, origin: Timestamp, anomalyOffsetSeconds: Double = 0) {
            self.profile = profile
            self.scenario = scenario
            self.deviceCount = deviceCount
            self.rate = rate
            self.seed = seed
            self.origin = origin
            self.anomalyOffsetSeconds = anomalyOffsetSeconds
        }
    }

    public let configuration: Configuration
    /// The devices of this run, in index order (`DeviceReading.deviceIndex`).
    public let deviceIDs: [String]
    /// The sensors, in the order of `DeviceReading.values`.
    public let sensorNames: [String]
    /// The sensors' specifications, in the same order.
    public var sensors: [SensorSpec] { configuration.profile.sensors }
    private var devices: [DeviceEmulator]
    /// Device indices by phase: the order in which devices report within a period.
    private let order: [Int]
    private var position = 0
    /// Periods since the start; it keeps counting through resets, so `seq` and time never go back.
    public private(set) var tick: Int64 = 0
    /// Added to every timestamp; the publisher moves it on after a pause so timestamps follow the clock.
    public var timeShiftMilliseconds: Int64 = 0
    private var pendingTruth: [GroundTruthRecord] = []
    private var resetRequested = false

    /// - Throws: `ConfigurationError` for an invalid profile or scenario, a scenario that names an
    ///   unknown device or sensor, or an unusable rate or device count.
    public init(_ configuration: Configuration) throws(ConfigurationError) {
        try configuration.profile.validate()
        guard configuration.rate > 0, configuration.rate <= 10_000 else {
            throw ConfigurationError(key: "rate", problem: "must be above 0 and at most 10000 readings per second per device")
        }
        if let count = configuration.deviceCount, !(1...100_000).contains(count) {
            throw ConfigurationError(key: "devices", problem: "must be between 1 and 100000")
        }
        guard configuration.anomalyOffsetSeconds >= 0, configuration.anomalyOffsetSeconds.isFinite else {
            throw ConfigurationError(key: "anomalyOffsetSeconds", problem: "must be 0 or more seconds")
        }
        let ids = configuration.profile.deviceIDs(count: configuration.deviceCount)
        guard !ids.isEmpty else { throw ConfigurationError(key: "devices", problem: "the profile lists no devices; list some or ask for a count") }
        let names = configuration.profile.sensors.map(\.name)
        try configuration.scenario?.validate(sensors: names, devices: ids)
        self.configuration = configuration
        deviceIDs = ids
        sensorNames = names
        devices = ids.enumerated().map { DeviceEmulator(index: $0.offset, id: $0.element, configuration: configuration) }
        let devicesByPhase = devices
        order = devicesByPhase.indices.sorted { (devicesByPhase[$0].phaseSeconds, $0) < (devicesByPhase[$1].phaseSeconds, $1) }
    }

    /// Emulated seconds since the start at which the next reading is taken.
    public var nextSimulatedSeconds: Double {
        let (tick, position) = position == order.count ? (self.tick + 1, 0) : (self.tick, position)
        return Double(tick) / configuration.rate + devices[order[position]].phaseSeconds
    }

    /// The next reading in time order, with the ground truth that goes before and after it.
    public mutating func next() -> EmulationStep {
        if position == order.count {
            position = 0
            tick += 1
        }
        if position == 0, resetRequested { performReset() }
        let device = order[position]
        position += 1
        let seconds = Double(tick) / configuration.rate + devices[device].phaseSeconds
        let timestamp = configuration.origin.milliseconds + timeShiftMilliseconds + Int64((seconds * 1000).rounded())
        var step = devices[device].produce(timestamp: timestamp, seq: tick, simulatedSeconds: seconds)
        if !pendingTruth.isEmpty {
            step.truthBefore = pendingTruth + step.truthBefore
            pendingTruth.removeAll()
        }
        return step
    }

    /// Starts an anomaly on `anomaly.device` with its next reading (`anomaly.at` is ignored).
    /// - Throws: `ConfigurationError` for an unknown device or sensor or an unusable value.
    public mutating func inject(_ anomaly: ScriptedAnomaly) throws(ConfigurationError) {
        try anomaly.validate(key: "inject", sensors: sensorNames, devices: deviceIDs)
        guard let index = deviceIDs.firstIndex(of: anomaly.device) else { return }
        let sensors = anomaly.sensors.map { names in names.compactMap { sensorNames.firstIndex(of: $0) } }
        devices[index].inject(anomaly, sensors: sensors)
    }

    /// Goes back to the start of the scenario and seed at the next period: the same signals and
    /// anomalies as at the start again, while `seq`, timestamps and ground-truth ids keep counting
    /// (so nothing downstream sees duplicates). Anomalies under way get their end records.
    public mutating func requestReset() { resetRequested = true }

    private mutating func performReset() {
        resetRequested = false
        for index in devices.indices {
            pendingTruth += devices[index].endAll()
            devices[index].restart(configuration: configuration)
        }
    }

    /// Ends every anomaly under way, at each device's last reading: call it when a run stops, so the
    /// ground truth has an end for every start.
    public mutating func finish() -> [GroundTruthRecord] {
        var records = pendingTruth
        pendingTruth.removeAll()
        for index in devices.indices where devices[index].hasReadings { records += devices[index].endAll() }
        return records
    }
}
