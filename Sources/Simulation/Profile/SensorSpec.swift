/// One sensor of every emulated device: what it measures, its normal range, and how it follows load.
///
/// Every sensor follows the device's load (0 = idle, 1 = full load) through the same physical
/// pipeline; the built-in models only choose sensible defaults for it:
///
/// `level = idle + (full − idle) · load^curve`, lagged by a first-order filter (`lagSeconds`), plus a
/// slow wander (an Ornstein–Uhlenbeck process, `wander` σ over `wanderSeconds`), plus measurement
/// noise with σ = `noise + relativeNoise · |level|` (Gaussian, truncated at 4σ), clamped to the
/// transmitter's `limits`, rounded to `resolution`.
///
/// - temperature follows load with a long thermal lag;
/// - current follows load almost at once;
/// - vibration is a noisy band whose width grows with load (relative noise);
/// - pressure follows the square of the load (a pump curve) with its own noise;
/// - generic is any other sensor; its file entry must say `normal`, `idle` and `full`.
public struct SensorSpec: Sendable, Hashable, Codable {
    /// The built-in models, each a set of defaults for the pipeline above.
    public enum Model: String, Sendable, Hashable, Codable, CaseIterable {
        case temperature, current, vibration, pressure, generic
    }

    /// The sensor's name: the key in telemetry `values` and the CSV column header.
    public var name: String
    /// The unit, for people (report axes).
    public var unit: String
    /// The built-in model whose defaults this sensor started from.
    public var model: Model
    /// The range a healthy device stays within at any load, noise included. Anomaly magnitudes are
    /// fractions of its width (the span).
    public var normal: ClosedRange<Double>
    /// The level at load 0 and at load 1 (before per-device variation).
    public var idle: Double
    public var full: Double
    /// The exponent of the load response (1 = linear, 2 = quadratic like a pump's pressure).
    public var curve: Double
    /// The time constant of the first-order lag between load and level (0 = immediate).
    public var lagSeconds: Double
    /// Measurement noise σ: an absolute part and a part proportional to the level.
    public var noise: Double
    public var relativeNoise: Double
    /// The σ of the slow wander of the level and its correlation time.
    public var wander: Double
    public var wanderSeconds: Double
    /// The smallest step the transmitter reports (0 = no quantisation).
    public var resolution: Double
    /// The transmitter's measuring range; readings saturate there (a current or vibration reading
    /// is never negative, whatever an anomaly does).
    public var limits: ClosedRange<Double>?

    /// A sensor; `preset(_:name:)` gives the built-in ones.
    public init(name: String, unit: String, model: Model, normal: ClosedRange<Double>, idle: Double, full: Double,
                curve: Double = 1, lagSeconds: Double = 0, noise: Double, relativeNoise: Double = 0, wander: Double = 0,
                wanderSeconds: Double = 600, resolution: Double = 0, limits: ClosedRange<Double>? = nil) {
        self.name = name
        self.unit = unit
        self.model = model
        self.normal = normal
        self.idle = idle
        self.full = full
        self.curve = curve
        self.lagSeconds = lagSeconds
        self.noise = noise
        self.relativeNoise = relativeNoise
        self.wander = wander
        self.wanderSeconds = wanderSeconds
        self.resolution = resolution
        self.limits = limits
    }

    /// The width of the normal range, the unit of anomaly magnitudes.
    public var span: Double { normal.upperBound - normal.lowerBound }

    /// The built-in sensor of `model` under `name`; nil for `generic`, which has no defaults.
    public static func preset(_ model: Model, name: String? = nil) -> SensorSpec? {
        switch model {
        case .temperature:
            SensorSpec(name: name ?? "temperature", unit: "°C", model: .temperature, normal: 30...90, idle: 38, full: 76,
                       lagSeconds: 480, noise: 0.12, wander: 0.5, wanderSeconds: 1800, resolution: 0.1, limits: -40...200)
        case .current:
            SensorSpec(name: name ?? "current", unit: "A", model: .current, normal: 0...20, idle: 2, full: 15,
                       lagSeconds: 1.5, noise: 0.08, wander: 0.08, wanderSeconds: 300, resolution: 0.01, limits: 0...100)
        case .vibration:
            SensorSpec(name: name ?? "vibration", unit: "g", model: .vibration, normal: 0...0.15, idle: 0.015, full: 0.06,
                       curve: 1.5, noise: 0.0005, relativeNoise: 0.08, wander: 0.0006, wanderSeconds: 900,
                       resolution: 0.0001, limits: 0...16)
        case .pressure:
            SensorSpec(name: name ?? "pressure", unit: "bar", model: .pressure, normal: 0...10, idle: 1.2, full: 6,
                       curve: 2, lagSeconds: 4, noise: 0.025, wander: 0.06, wanderSeconds: 600, resolution: 0.001, limits: -1...25)
        case .generic:
            nil
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, unit, model, normal, idle, full, curve, lagSeconds, noise, relativeNoise, wander, wanderSeconds, resolution, limits
    }

    /// Missing keys take the model's defaults; `model` defaults to the sensor's name when that is a
    /// built-in model, otherwise `generic`, which requires `normal`, `idle` and `full`.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decode(String.self, forKey: .name)
        let model = try c.decodeIfPresent(Model.self, forKey: .model) ?? Model(rawValue: name) ?? .generic
        if let preset = Self.preset(model, name: name) {
            self = preset
        } else {
            let normal = try c.decode(ClosedRange<Double>.self, forKey: .normal)
            let span = normal.upperBound - normal.lowerBound
            self.init(name: name, unit: "", model: .generic, normal: normal,
                      idle: try c.decode(Double.self, forKey: .idle), full: try c.decode(Double.self, forKey: .full),
                      noise: 0.005 * span, wander: 0.0025 * span)
        }
        unit = try c.decodeIfPresent(String.self, forKey: .unit) ?? unit
        normal = try c.decodeIfPresent(ClosedRange<Double>.self, forKey: .normal) ?? normal
        idle = try c.decodeIfPresent(Double.self, forKey: .idle) ?? idle
        full = try c.decodeIfPresent(Double.self, forKey: .full) ?? full
        curve = try c.decodeIfPresent(Double.self, forKey: .curve) ?? curve
        lagSeconds = try c.decodeIfPresent(Double.self, forKey: .lagSeconds) ?? lagSeconds
        noise = try c.decodeIfPresent(Double.self, forKey: .noise) ?? noise
        relativeNoise = try c.decodeIfPresent(Double.self, forKey: .relativeNoise) ?? relativeNoise
        wander = try c.decodeIfPresent(Double.self, forKey: .wander) ?? wander
        wanderSeconds = try c.decodeIfPresent(Double.self, forKey: .wanderSeconds) ?? wanderSeconds
        resolution = try c.decodeIfPresent(Double.self, forKey: .resolution) ?? resolution
        if c.contains(.limits) { limits = try c.decodeIfPresent(ClosedRange<Double>.self, forKey: .limits) }
    }
}
