/// The independent random streams of one run. Each purpose and device has its own stream, so that
/// adding an anomaly, a device or a sensor never changes the noise of anything else: a series with
/// anomalies equals the same seed's series without them everywhere outside the anomaly windows.
enum RandomStream {
    /// Per-device parameters: offsets, gains, time constants, phase.
    case parameters(device: Int)
    /// The device's operating cycle (load levels and phase durations).
    case operation(device: Int)
    /// Measurement noise and slow wander of the device's sensors.
    case noise(device: Int)
    /// Random draws made while an anomaly is active (noise bursts).
    case anomalyEffects(device: Int)
    /// The random anomaly schedule of the device (times, kinds, sensors, magnitudes).
    case schedule(device: Int)
    /// Sensor choices for scripted or injected anomalies that name no sensors.
    case scriptedChoices(device: Int)
    /// The device's reporting phase within each period.
    case phase(device: Int)

    var identifier: UInt64 {
        switch self {
        case .parameters(let device): Self.pack(1, device)
        case .operation(let device): Self.pack(2, device)
        case .noise(let device): Self.pack(3, device)
        case .anomalyEffects(let device): Self.pack(4, device)
        case .schedule(let device): Self.pack(5, device)
        case .scriptedChoices(let device): Self.pack(6, device)
        case .phase(let device): Self.pack(7, device)
        }
    }

    private static func pack(_ purpose: UInt64, _ device: Int) -> UInt64 { purpose << 32 | UInt64(UInt32(truncatingIfNeeded: device)) }
}

extension SeededRandom {
    init(seed: UInt64, _ stream: RandomStream) {
        self.init(seed: seed, stream: stream.identifier)
    }
}
