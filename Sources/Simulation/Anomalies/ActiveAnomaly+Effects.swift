#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How each kind changes a reading. Effects on the physical value (offsets, extra noise) come before
/// the transmitter's saturation and rounding; stuck and dropout replace what the transmitter reports.
extension ActiveAnomaly {
    /// Adds this anomaly's offset or extra noise to the affected sensors' values at device step `step`.
    func applyToSignal(step: Int, values: inout [Double], spans: [Double], random: inout SeededRandom) {
        let elapsed = Double(step - plan.startStep)
        let m = plan.magnitude
        switch plan.kind {
        case .spike:
            for sensor in plan.sensors { values[sensor] += abs(m) * spans[sensor] }
        case .dip:
            for sensor in plan.sensors { values[sensor] -= abs(m) * spans[sensor] }
        case .drift:
            // Grows linearly to the full magnitude at the last affected reading.
            let fraction = (elapsed + 1) / Double(plan.steps)
            for sensor in plan.sensors { values[sensor] += m * fraction * spans[sensor] }
        case .levelShift:
            for sensor in plan.sensors { values[sensor] += m * spans[sensor] }
        case .noise:
            for sensor in plan.sensors { values[sensor] += m * spans[sensor] * random.gaussian() }
        case .oscillation:
            let wave = sin(2 * Double.pi * elapsed / plan.periodSteps)
            for sensor in plan.sensors { values[sensor] += m * spans[sensor] * wave }
        case .correlationBreak:
            // Only the first sensor moves; the others go on following the real load.
            if let driver = plan.sensors.first {
                values[driver] += m * spans[driver] * min(1, (elapsed + 1) / easeInSteps)
            }
        case .stuck, .dropout:
            break
        }
    }

    /// Replaces what the transmitter reports: the held reading (stuck) or no reading (dropout, NaN).
    func applyToReadings(_ readings: inout [Double]) {
        switch plan.kind {
        case .stuck:
            for (position, sensor) in plan.sensors.enumerated() { readings[sensor] = heldValues[position] }
        case .dropout:
            for sensor in plan.sensors { readings[sensor] = .nan }
        default:
            break
        }
    }
}
