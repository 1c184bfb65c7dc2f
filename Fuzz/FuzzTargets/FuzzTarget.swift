/// The three loaders that read bytes from outside, as fuzz targets (docs/fuzzing.md).
///
/// Each `run` feeds one input to the real entry point and checks what must hold for every input,
/// accepted or refused. A broken property is a `precondition` failure, so libFuzzer, the corpus
/// replay and `swift test` all see it as a crash. Refusing an input is fine; crashing, hanging or
/// accepting something that does not survive its own round trip is not.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `TelemetryParser` alone, then `Detector.process(payload:…)` line by line (the agent's hot path).
    case telemetry
    /// `AgentConfiguration.load(json:)` and `validate()`.
    case configuration
    /// `AnomalyModel(jsonBytes:)` with the default `ModelLimits`, then a write/read round trip.
    case modelFile = "model-file"

    /// Runs one input; returns normally unless a property is broken.
    public func run(_ input: UnsafeRawBufferPointer) {
        switch self {
        case .telemetry: TelemetryFuzzTarget.run(input)
        case .configuration: ConfigurationFuzzTarget.run(input)
        case .modelFile: ModelFileFuzzTarget.run(input)
        }
    }

    /// Runs one input held in an array (the corpus replay and the tests).
    public func run(_ input: [UInt8]) {
        input.withUnsafeBytes { run($0) }
    }
}
