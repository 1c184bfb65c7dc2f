/// The anomaly taxonomy. The raw values are the `kind` strings of ground-truth records and CSV labels.
///
/// Magnitudes are fractions of the affected sensor's span (the width of its normal range), so one
/// number means the same on every sensor and is large against the sensor's noise: the default
/// spike on temperature (span 60 °C) is +30 °C against 0.12 °C of noise.
public enum AnomalyKind: String, Sendable, Hashable, Codable, CaseIterable, CodingKeyRepresentable, CustomStringConvertible {
    /// A short upward excursion (a glitch or an impact): a few readings, +magnitude · span.
    case spike
    /// A short-to-medium drop: −magnitude · span.
    case dip
    /// Slow degradation: an offset growing linearly to magnitude · span, gone when it ends (repair).
    case drift
    /// A step of magnitude · span that holds for the duration (a miscalibration, a changed process).
    case levelShift = "level-shift"
    /// A flatline: the sensor repeats its last good reading exactly.
    case stuck
    /// A noise burst: extra Gaussian noise with σ = magnitude · span.
    case noise
    /// Missing data: `null` for the affected sensors, or, when every sensor is affected, no message
    /// at all (a gap in `seq`).
    case dropout
    /// The first affected sensor moves by magnitude · span while the others keep following the
    /// load: for example the current rises while the temperature does not.
    case correlationBreak = "correlation-break"
    /// A sinusoid of amplitude magnitude · span (default period 10 s) on top of the signal.
    case oscillation

    public var description: String { rawValue }

    /// Durations drawn for the random schedule, and whose middle is the default of a scripted
    /// anomaly that gives none (seconds).
    public var defaultDuration: ClosedRange<Double> {
        switch self {
        case .spike: 1...3
        case .dip: 5...30
        case .drift: 300...900
        case .levelShift: 120...600
        case .stuck: 60...300
        case .noise: 30...180
        case .dropout: 10...60
        case .correlationBreak: 120...600
        case .oscillation: 60...240
        }
    }

    /// The default magnitude, as a fraction of the sensor's span (not used by stuck and dropout).
    public var defaultMagnitude: Double {
        switch self {
        case .spike: 0.5
        case .dip: 0.4
        case .drift: 0.35
        case .levelShift: 0.25
        case .stuck: 0
        case .noise: 0.1
        case .dropout: 0
        case .correlationBreak: 0.3
        case .oscillation: 0.12
        }
    }

    /// Drift and level shifts go either way; the random schedule draws the sign.
    var hasRandomSign: Bool { self == .drift || self == .levelShift }

    /// The default oscillation period, in seconds.
    static let defaultPeriodSeconds = 10.0

    var bit: UInt16 { 1 << UInt16(Self.allCases.firstIndex(of: self)!) }
}

/// A set of anomaly kinds, as one reading's labels.
public struct AnomalyKindSet: OptionSet, Sendable, Hashable {
    /// One bit per kind, in taxonomy order.
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// The set holding just `kind`.
    public init(_ kind: AnomalyKind) { rawValue = kind.bit }

    /// Whether `kind` is active.
    public func contains(_ kind: AnomalyKind) -> Bool { rawValue & kind.bit != 0 }

    /// The kinds, in taxonomy order.
    public var kinds: [AnomalyKind] { AnomalyKind.allCases.filter { contains($0) } }

    /// `spike` or, for overlapping anomalies, `spike+drift`; empty when normal.
    public var label: String { kinds.map(\.rawValue).joined(separator: "+") }
}
