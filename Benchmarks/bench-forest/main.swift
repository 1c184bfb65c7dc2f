// Benchmarks of the IsolationForest module: scoring one point at a time and in batches, and
// training, each on one core; with scikit-learn's figures for the same workloads next to ours
// when Python and scikit-learn are available (tools/bench_sklearn.py).
//
//     swift build -c release --product bench-forest && .build/release/bench-forest [--quick]
//
// Targets (issue 3): one point ≥ 400,000 points/s, batches ≥ 1,000,000 points/s per core,
// training 100 trees on 10k rows < 50 ms.

import Foundation
import IsolationForest

let quick = CommandLine.arguments.contains("--quick")
let batchRows = quick ? 20_000 : 100_000
let singleCalls = quick ? 50_000 : 300_000
let trainingRows = 10_000

/// Approximately normal values (Irwin–Hall) from the module's seeded generator.
func gaussian(rows: Int, columns: Int, seed: UInt64) -> FeatureMatrix {
    var generator = Xoshiro256StarStar(seed: seed)
    var values: [Double] = []
    values.reserveCapacity(rows * columns)
    for _ in 0..<(rows * columns) {
        var sum = -6.0
        for _ in 0..<12 { sum += generator.nextUnitDouble() }
        values.append(sum)
    }
    return FeatureMatrix(rowCount: rows, columnCount: columns, values: values)
}

/// The best (shortest) of `repeats` timings of `body`, in seconds.
func bestTime(repeats: Int, _ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    var best = Double.infinity
    for _ in 0..<repeats {
        let elapsed = clock.measure(body)
        best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
    return best
}

/// Keeps results alive so the optimiser cannot drop the work.
nonisolated(unsafe) var sink = 0.0

struct Figures {
    var single = 0.0
    var batch = 0.0
    var batchInto = 0.0
    var explain = 0.0
    var trainSeconds = 0.0
    var trainContaminationSeconds = 0.0
}

func measure(features: Int) throws -> Figures {
    var figures = Figures()
    let training = gaussian(rows: trainingRows, columns: features, seed: 1)
    let configuration = IsolationForest.Configuration(treeCount: 100, maxSamples: .count(256), seed: 1)
    _ = try IsolationForest(training: training, configuration: configuration)  // warm-up
    figures.trainSeconds = bestTime(repeats: 7) {
        sink += (try? IsolationForest(training: training, configuration: configuration))?.offset ?? 0
    }
    var withContamination = configuration
    withContamination.contamination = .fraction(0.05)
    figures.trainContaminationSeconds = bestTime(repeats: 5) {
        sink += (try? IsolationForest(training: training, configuration: withContamination))?.offset ?? 0
    }

    let forest = try IsolationForest(training: training, configuration: configuration)
    let batch = gaussian(rows: batchRows, columns: features, seed: 2)
    let points = (0..<4096).map { Array(batch.row($0)) }
    let singleTime = bestTime(repeats: 5) {
        var total = 0.0
        for call in 0..<singleCalls { total += forest.anomalyScore(points[call & 4095]) }
        sink += total
    }
    figures.single = Double(singleCalls) / singleTime
    let explainCalls = singleCalls / 4
    let explainTime = bestTime(repeats: 3) {
        var total = 0.0
        for call in 0..<explainCalls { total += forest.explain(points[call & 4095]).shares[0] }
        sink += total
    }
    figures.explain = Double(explainCalls) / explainTime
    let batchTime = bestTime(repeats: 5) { sink += forest.anomalyScores(batch).last ?? 0 }
    figures.batch = Double(batchRows) / batchTime
    var output = [Double](repeating: 0, count: batchRows)
    let intoTime = bestTime(repeats: 5) {
        batch.values.withUnsafeBufferPointer { rows in
            output.withUnsafeMutableBufferPointer { forest.anomalyScores(rows: rows, into: $0) }
        }
        sink += output[0]
    }
    figures.batchInto = Double(batchRows) / intoTime
    return figures
}

/// scikit-learn's figures from tools/bench_sklearn.py, or nil when scikit-learn is not installed.
func scikitLearnFigures() -> [String: Any]? {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../tools/bench_sklearn.py").standardized
    guard FileManager.default.fileExists(atPath: script.path) else { return nil }
    func run(_ arguments: [String]) -> Data? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? data : nil
    }
    guard run(["-c", "import sklearn"]) != nil else { return nil }
    let arguments = [script.path, "--batch", String(batchRows), "--single", quick ? "500" : "2000"]
    guard let data = run(arguments) else { return nil }
    return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
}

func format(_ value: Double) -> String {
    let rounded = Int(value.rounded())
    var digits = Array(String(rounded))
    var index = digits.count - 3
    while index > 0 {
        digits.insert(",", at: index)
        index -= 3
    }
    return String(digits)
}

func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }

print("bench-forest: 100 trees, max_samples 256, one core\(quick ? " (quick)" : "")")
var ours: [Int: Figures] = [:]
for features in [4, 8] { ours[features] = try measure(features: features) }
let sklearn = scikitLearnFigures()

print("")
print("features  workload                     edge-anomaly        scikit-learn     ratio   target")
for features in [4, 8] {
    let figures = ours[features]!
    let theirs = (sklearn?["features"] as? [String: Any])?[String(features)] as? [String: Double]
    func row(_ name: String, _ value: Double, _ unit: String, _ their: Double?, higherIsBetter: Bool, target: String) {
        let ratio = their.map { higherIsBetter ? value / $0 : $0 / value }.map { String(format: "%.1fx", $0) } ?? "-"
        let theirText = their.map { unit == "ms" ? String(format: "%.1f ms", $0) : "\(format($0)) pt/s" } ?? "n/a"
        let ourText = unit == "ms" ? String(format: "%.2f ms", value) : "\(format(value)) pt/s"
        print("\(pad(String(features), 8))  \(name.padding(toLength: 27, withPad: " ", startingAt: 0))\(pad(ourText, 16))\(pad(theirText, 20))\(pad(ratio, 10))   \(target)")
    }
    row("one point per call", figures.single, "pt/s", theirs?["singlePointsPerSecond"], higherIsBetter: true, target: ">= 400,000")
    row("explain (score + shares)", figures.explain, "pt/s", nil, higherIsBetter: true, target: "")
    row("batch of \(format(Double(batchRows)))", figures.batch, "pt/s", theirs?["batchPointsPerSecond"], higherIsBetter: true, target: ">= 1,000,000")
    row("batch, into a buffer", figures.batchInto, "pt/s", nil, higherIsBetter: true, target: "")
    row("train 10k rows", figures.trainSeconds * 1000, "ms", theirs?["trainSeconds"].map { $0 * 1000 }, higherIsBetter: false, target: "< 50 ms")
    row("train + contamination 0.05", figures.trainContaminationSeconds * 1000, "ms", nil, higherIsBetter: false, target: "")
}
// Model file: the agent loads one at start and on every reload.
// (A function, not top-level code: Swift 6.3.1 -O crashes on a top-level `try` of some typed-throws calls.)
func measureModelFile() throws {
    let data = gaussian(rows: trainingRows, columns: 8, seed: 3)
    let model = try AnomalyModel.train(data: data, featureNames: (0..<8).map { "f\($0)" }, configuration: .init(seed: 3), standardize: true)
    let fileBytes = model.jsonBytes()
    let encodeSeconds = bestTime(repeats: 5) { sink += Double(model.jsonBytes().count) }
    let loadSeconds = bestTime(repeats: 5) {
        do { sink += try AnomalyModel(jsonBytes: fileBytes).threshold } catch { fatalError("\(error)") }
    }
    let nodes = model.forest.trees.reduce(0) { $0 + $1.nodeCount }
    print(String(format: "\nmodel file, 100 trees (%d nodes), 8 features: %.0f KB; write (canonical JSON + id) %.1f ms, load (parse + validate + id check) %.1f ms",
                 nodes, Double(fileBytes.count) / 1024, encodeSeconds * 1000, loadSeconds * 1000))
}
try measureModelFile()

if let sklearn {
    print("\nscikit-learn \(sklearn["sklearn"] ?? "?") (numpy \(sklearn["numpy"] ?? "?")), same machine, same run; ratio = how many times faster edge-anomaly is.")
} else {
    print("\nscikit-learn not available (python3 -c 'import sklearn' failed): no comparison.")
}
if sink == .infinity { print(sink) }
