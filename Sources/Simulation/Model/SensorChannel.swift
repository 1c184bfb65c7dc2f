#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One sensor of one device: the sensor's parameters as this device drew them, and the filter states.
struct SensorChannel: Sendable {
    let idle: Double
    let full: Double
    let curve: Double
    /// Per-step weight of the first-order lag: 1 − e^(−dt/τ), 1 without lag.
    let lagWeight: Double
    let noise: Double
    let relativeNoise: Double
    /// Ornstein–Uhlenbeck wander: per-step decay and innovation σ, and its clamp.
    let wanderDecay: Double
    let wanderInnovation: Double
    let wanderLimit: Double
    let lowerLimit: Double
    let upperLimit: Double
    let resolution: Double
    /// 1 / resolution when that is a whole number (0.1 → 10): dividing by it gives the double nearest
    /// to the decimal (71.3, not 713 · 0.1 = 71.30000000000001), so readings survive text exactly.
    let resolutionInverse: Double?

    private(set) var level: Double
    private var wanderState = 0.0

    /// Draws this device's variant of `spec`: levels shifted by up to `levelVariation` of the span,
    /// noise, wander and lag scaled by up to ±`dynamicsVariation`.
    init(spec: SensorSpec, levelVariation: Double, dynamicsVariation: Double, stepSeconds: Double, random: inout SeededRandom) {
        let levelSlack = levelVariation * spec.span
        idle = spec.idle + levelSlack * random.symmetric()
        full = spec.full + levelSlack * random.symmetric()
        curve = spec.curve
        let lag = spec.lagSeconds * (1 + dynamicsVariation * random.symmetric())
        lagWeight = lag > 0 ? 1 - exp(-stepSeconds / lag) : 1
        let noiseScale = 1 + dynamicsVariation * random.symmetric()
        noise = spec.noise * noiseScale
        relativeNoise = spec.relativeNoise * noiseScale
        let wanderSigma = spec.wander * (1 + dynamicsVariation * random.symmetric())
        wanderDecay = exp(-stepSeconds / spec.wanderSeconds)
        wanderInnovation = wanderSigma * (1 - wanderDecay * wanderDecay).squareRoot()
        wanderLimit = SensorSpec.wanderBound * wanderSigma
        lowerLimit = spec.limits?.lowerBound ?? -.infinity
        upperLimit = spec.limits?.upperBound ?? .infinity
        resolution = spec.resolution
        let inverse = spec.resolution > 0 ? 1 / spec.resolution : 0
        resolutionInverse = inverse >= 1 && abs(inverse - inverse.rounded()) < 1e-6 * inverse ? inverse.rounded() : nil
        level = idle
    }

    /// The level this load settles at.
    @inline(__always)
    func target(load: Double) -> Double {
        let response: Double
        switch curve {
        case 1: response = load
        case 2: response = load * load
        case 1.5: response = load * load.squareRoot()
        default: response = pow(load, curve)
        }
        return idle + (full - idle) * response
    }

    /// Advances one step: returns the clean level (lag and wander) and this step's measurement noise.
    /// Always draws the same random numbers, whatever anomalies do with the result.
    @inline(__always)
    mutating func advance(load: Double, random: inout SeededRandom) -> (level: Double, noise: Double) {
        level += (target(load: load) - level) * lagWeight
        wanderState = wanderState * wanderDecay + wanderInnovation * random.gaussian()
        wanderState = min(max(wanderState, -wanderLimit), wanderLimit)
        let clean = level + wanderState
        let sigma = noise + relativeNoise * abs(clean)
        return (clean, sigma * random.truncatedGaussian(limit: SensorSpec.noiseBound))
    }

    /// What the transmitter reports for a physical value: saturated at its limits, rounded to its resolution.
    @inline(__always)
    func measure(_ value: Double) -> Double {
        let saturated = min(max(value, lowerLimit), upperLimit)
        guard resolution > 0 else { return saturated }
        if let resolutionInverse { return (saturated * resolutionInverse).rounded() / resolutionInverse }
        return (saturated / resolution).rounded() * resolution
    }
}
