import ArgumentParser
import Foundation
import Simulation
import Telemetry

/// `sensor-emulator generate`: offline data sets for training and evaluating a detector.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a normal-only training CSV, an anomalous test CSV with labels, the ground-truth log and an HTML report.",
        discussion: """
        Files written to --output-dir:
          train.csv    normal operation: timestamp,device,seq,<a column per sensor>
          test.csv     the next span, with anomalies: the same columns, anomaly,kind
          truth.jsonl  a start and an end record for every injected anomaly
          report.html  the test series with the anomalies shaded (no script)
        Timestamps are epoch milliseconds; an empty cell is a missing value; a dropout of every sensor leaves \
        no row (a gap in seq). The same options and seed always give the same bytes.

        Example:
          sensor-emulator generate --devices 4 --training-duration 1d --duration 6h
        """)

    @OptionGroup(title: "Emulation") var emulation: EmulationOptions

    @Option(help: ArgumentHelp("The folder for the files (created if needed).", valueName: "directory"))
    var outputDir = "data"

    @Option(help: ArgumentHelp("Length of the test set (90s, 15m, 6h, 1d).", valueName: "duration"))
    var duration = DurationArgument(seconds: 21_600, text: "6h")

    @Option(help: ArgumentHelp("Length of the training set before it (0 for none).", valueName: "duration"))
    var trainingDuration = DurationArgument(seconds: 86_400, text: "24h")

    @Option(help: ArgumentHelp("Timestamp of the first training row: RFC 3339 (2026-01-01T00:00:00Z) or epoch milliseconds.", valueName: "time"))
    var start = "2026-01-01T00:00:00Z"

    @Flag(help: "Skip report.html.")
    var noReport = false

    func validate() throws {
        guard duration.seconds > 0 else { throw ValidationError("--duration must be longer than 0") }
        guard startTimestamp != nil else { throw ValidationError("--start must be RFC 3339, such as 2026-01-01T00:00:00Z, or epoch milliseconds") }
    }

    private var startTimestamp: Timestamp? {
        if let milliseconds = Int64(start) { return Timestamp(milliseconds: milliseconds) }
        return Timestamp(rfc3339: start)
    }

    func run() throws {
        let (profile, scenario) = try emulation.load()
        let request = DatasetRequest(profile: profile, scenario: scenario, deviceCount: emulation.devices, rate: emulation.rate,
                                     seed: emulation.seed, start: startTimestamp ?? DatasetRequest.defaultStart,
                                     trainingSeconds: trainingDuration.seconds, testSeconds: duration.seconds,
                                     outputDirectory: URL(fileURLWithPath: outputDir), writeReport: !noReport)
        let began = ContinuousClock.now
        let summary: DatasetSummary
        do {
            summary = try DatasetGenerator.generate(request)
        } catch {
            throw EmulatorError(error.description)
        }
        let seconds = (ContinuousClock.now - began).seconds
        let rows = summary.trainingRows + summary.testRows
        let kinds = AnomalyKind.allCases.compactMap { kind in summary.anomalies[kind].map { "\(kind) \($0)" } }
        print("""
        wrote \(summary.trainingFile.path) (\(summary.trainingRows) rows)
        wrote \(summary.testFile.path) (\(summary.testRows) rows, \(summary.anomalousRows) anomalous)
        wrote \(summary.truthFile.path) (\(summary.anomalies.values.reduce(0, +)) anomalies: \(kinds.joined(separator: ", ")))
        """)
        if let report = summary.reportFile { print("wrote \(report.path)") }
        print("\(rows) rows in \(String(format: "%.2f", seconds)) s (\(Int(Double(rows) / max(seconds, 1e-9))) rows/s)")
    }
}
