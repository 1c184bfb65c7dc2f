/// The normal behaviour of one device: its operating cycle and its sensors, stepped at a fixed rate.
struct DeviceModel: Sendable {
    private var cycle: OperatingCycle
    private(set) var channels: [SensorChannel]
    private var noiseRandom: SeededRandom
    private let stepSeconds: Double
    private(set) var step = 0
    private(set) var load = 0.0

    /// Draws the device's parameters from its own streams of `seed`.
    init(profile: EmulatorProfile, device: Int, seed: UInt64, stepSeconds: Double) {
        var parameters = SeededRandom(seed: seed, .parameters(device: device))
        channels = profile.sensors.map {
            SensorChannel(spec: $0, levelVariation: profile.levelVariation, dynamicsVariation: profile.dynamicsVariation,
                          stepSeconds: stepSeconds, random: &parameters)
        }
        cycle = OperatingCycle(spec: profile.operation, random: SeededRandom(seed: seed, .operation(device: device)))
        noiseRandom = SeededRandom(seed: seed, .noise(device: device))
        self.stepSeconds = stepSeconds
    }

    /// Advances one step and writes each sensor's clean level and measurement noise.
    mutating func advance(levels: inout [Double], noises: inout [Double]) {
        load = cycle.load(at: Double(step) * stepSeconds)
        for index in channels.indices {
            let (level, noise) = channels[index].advance(load: load, random: &noiseRandom)
            levels[index] = level
            noises[index] = noise
        }
        step += 1
    }
}
