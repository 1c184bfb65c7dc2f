import ArgumentParser
import Detection
import Foundation
import IsolationForest

struct Train: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model file from normal telemetry in a CSV file.",
        discussion: """
            Each device's rows go through the same feature code the agent runs, so the model sees in training what it \
            will see live. Example, with the emulator's data: \
            sensor-emulator generate --output-dir data && anomaly-agent train --data data/train.csv --output model.json
            """)

    @Option(help: "Normal telemetry: a CSV with a timestamp column, optionally device and seq, and one column per sensor.")
    var data: String

    @Option(help: "The model file to write.")
    var output = "model.json"

    @Option(help: "Sensor columns to use, comma-separated (default: every column but time, device, seq and labels).")
    var sensors: String?

    @Option(help: "Derived features per sensor over a rolling window, comma-separated: mean, std, diff, dev, change; none for raw values only.")
    var derived: String = "dev,std,diff"

    // `.unconditional` on the numbers: `--trees -1` is then a value to refuse with its range, not a
    // missing value followed by an unknown option.
    @Option(parsing: .unconditional, help: "Rolling window length in messages (with --derived).")
    var window = 10

    @Option(parsing: .unconditional, help: "Number of trees.")
    var trees = 100

    @Option(help: "Samples per tree: auto (min(256, rows)), a count, or a fraction such as 0.5.")
    var maxSamples = "auto"

    @Option(help: "Seed: the same data and seed give the same model.")
    var seed: UInt64 = 0

    @Option(help: "Threshold: auto (scikit-learn's 0.5) or the fraction of training rows above it, e.g. 0.002 (default \(Train.defaultContamination)).")
    var contamination: String?

    @Option(parsing: .unconditional, help: "Instead of --contamination: calibrate the threshold so that the last quarter of each device's data, held out, raises at most this many events per device-hour.")
    var falseAlarmRate: Double?

    @Option(help: "What the agent's envelope check looks at: all (every feature) or level-or-change (each sensor's rolling mean, and for a slow sensor, one whose readings have a median lag-one autocorrelation of at least --slow-limit over devices, the change of that mean over a window; needs --derived mean,change).")
    var envelopeOn = "all"

    @Option(parsing: .unconditional, help: "With --envelope-on level-or-change: the lag-one autocorrelation from which a sensor counts as slow.")
    var slowLimit = 0.8

    @Flag(help: "Standardise features before the forest.")
    var standardize = false

    static let defaultContamination = "0.0005"

    func validate() throws {
        guard trees >= 1 else { throw ValidationError("--trees must be at least 1") }
        guard window >= 1 else { throw ValidationError("--window must be at least 1 message") }
        if falseAlarmRate != nil, contamination != nil {
            throw ValidationError("give either --contamination or --false-alarm-rate: both choose the threshold")
        }
        if let falseAlarmRate, !(falseAlarmRate.isFinite && falseAlarmRate >= 0) {
            throw ValidationError("--false-alarm-rate must be a number of events per device-hour, 0 or more")
        }
        guard slowLimit.isFinite, slowLimit > -1, slowLimit <= 1 else { throw ValidationError("--slow-limit must be an autocorrelation in (-1, 1]") }
    }

    func run() async throws {
        let started = ContinuousClock.now
        let derivedKinds: [FeatureSpec.Derived]
        do { derivedKinds = derived == "none" ? [] : try FeatureSpec.Derived.list(derived) } catch { throw ValidationError("--derived: \(error)") }
        let samples: IsolationForest.Configuration.MaxSamples
        if maxSamples == "auto" { samples = .auto } else if let count = Int(maxSamples) { samples = .count(count) }
        else if let fraction = Double(maxSamples), fraction > 0, fraction <= 1 { samples = .fraction(fraction) }
        else { throw ValidationError("--max-samples must be auto, a count or a fraction, not \(maxSamples)") }
        let contamination = self.contamination ?? Self.defaultContamination
        let contaminationSetting: IsolationForest.Configuration.Contamination
        if contamination == "auto" { contaminationSetting = .auto }
        else if let fraction = Double(contamination), fraction > 0, fraction <= 0.5 { contaminationSetting = .fraction(fraction) }
        else { throw ValidationError("--contamination must be auto or a fraction in (0, 0.5], not \(contamination)") }

        progress("reading \(data) …")
        let table = try TelemetryTable(path: data, sensors: sensors?.split(separator: ",").map(String.init), labelColumn: nil)
        progress("\(table.rows.count) rows, \(Set(table.rows.map(\.device)).count) devices, sensors \(table.sensors.joined(separator: ", "))")
        for note in table.readingNotes { progress(note) }
        let slow = envelopeOn == "all" ? [] : SensorDynamics.slowSensors(table.sensors, readings: Array(table.readingsByDevice.values), limit: slowLimit)
        let envelopeFeatures: [String]?
        do { envelopeFeatures = try SensorDynamics.envelopeFeatures(envelopeOn, sensors: table.sensors, slow: slow, derived: derivedKinds) }
        catch { throw ValidationError("--envelope-on: \(error)") }
        if envelopeOn != "all" { progress("slow sensors, judged by change: \(slow.isEmpty ? "none" : slow.joined(separator: ", "))") }
        let trainer = ModelTrainer(sensors: table.sensors, derived: derivedKinds, window: derivedKinds.isEmpty ? 1 : window,
                                   forest: IsolationForest.Configuration(treeCount: trees, maxSamples: samples, contamination: contaminationSetting, seed: seed),
                                   standardize: standardize, envelopeFeatures: envelopeFeatures)
        var readings = table.readingsByDevice
        var heldOut: [String: [ThresholdCalibration.Reading]] = [:]
        if falseAlarmRate != nil {
            // Hold out the last quarter of each device's rows, in time order, for the calibration.
            for (device, rows) in Dictionary(grouping: table.rows, by: \.device) {
                let cut = rows.count * 3 / 4
                readings[device] = rows[..<cut].map(\.values)
                heldOut[device] = rows[cut...].map { ThresholdCalibration.Reading(ts: $0.ts, values: $0.values) }
            }
        }
        let (matrix, spec) = try trainer.featureRows(readings: readings)
        progress("training \(trees) trees on \(matrix.rowCount) feature rows of \(matrix.columnCount) features …")
        var model = try trainer.train(matrix: matrix, spec: spec)
        var calibration = ""
        if let falseAlarmRate {
            progress("calibrating the threshold on \(heldOut.values.reduce(0) { $0 + $1.count }) held-out rows …")
            let result = try ThresholdCalibration(eventsPerDeviceHour: falseAlarmRate).calibrate(model, heldOut: heldOut)
            model = result.model
            calibration = String(format: ": %d events in %.1f held-out device-hours", result.events, result.deviceHours)
        }
        try model.write(toFile: output)
        // A sensor that never moved in training has no spread to judge by: any other value leaves its envelope.
        let constant = spec.envelope!.prefix(table.sensors.count).filter { $0.max == $0.min }
        for sensor in constant {
            progress("warning: \(sensor.sensor) was constant (\(sensor.max)) in training: the agent will flag any other value of it; train on data where it moves, or leave it out with --sensors")
        }
        let scores = model.anomalyScores(matrix).sorted()
        func quantile(_ q: Double) -> String { String(format: "%.4f", scores[min(scores.count - 1, Int(q * Double(scores.count)))]) }
        let elapsed = ContinuousClock.now - started
        print("""
            wrote \(output)
              model        \(model.id)
              rows         \(table.rows.count) read, \(matrix.rowCount) feature rows (warm-up rows and rows with a missing value left out)
              features     \(model.featureNames.joined(separator: ", "))
              threshold    \(String(format: "%.4f", model.threshold)) (\(model.decision.method) \(falseAlarmRate.map { "\($0) per device-hour\(calibration)" } ?? contamination))
              scores       min \(quantile(0)), p50 \(quantile(0.5)), p90 \(quantile(0.9)), p99 \(quantile(0.99)), p99.9 \(quantile(0.999)), max \(String(format: "%.4f", scores.last!))
              checks       \(spec.envelopeFeatures?.joined(separator: ", ") ?? "every feature's envelope")
              envelope     \(spec.envelope!.map { "\($0.sensor) \(String(format: "%.4g", $0.min))…\(String(format: "%.4g", $0.max))" }.joined(separator: ", "))
              took         \(String(format: "%.2f", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)) s
            """)
    }

    func progress(_ text: String) { FileHandle.standardError.write(Data("train: \(text)\n".utf8)) }
}
