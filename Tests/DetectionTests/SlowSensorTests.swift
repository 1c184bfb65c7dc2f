@testable import Detection
import IsolationForest
import Telemetry
import Testing

@Suite("Slow sensors judged by change")
struct SlowSensorTests {
    @Test("change is the rolling mean now minus the rolling mean one window ago, complete after two windows")
    func changeFeature() {
        let spec = FeatureSpec(sensors: ["t"], derived: [.mean, .change], window: 2)
        #expect(spec.featureNames == ["t", "t:mean", "t:change"])
        #expect(spec.warmUpMessages == 4)
        var extractor = FeatureExtractor(spec: spec)
        // Rolling means of 2: 1, 1.5, 2.5, 4, 6 (partial first window, as in warm-up).
        let rows = [1.0, 2, 3, 5, 7].map { extractor.push([$0]) }
        #expect(rows[0][2].isNaN && rows[1][2].isNaN)
        #expect(rows[2][2] == 2.5 - 1)
        #expect(rows[3][2] == 4 - 1.5)
        #expect(rows[4][1] == 6 && rows[4][2] == 6 - 2.5)
        #expect(!extractor.isWarmingUp)
        extractor.reset()
        #expect(extractor.push([10])[2].isNaN)
    }

    @Test("Lag-one autocorrelation against hand-computed values; too short or flat series have none")
    func autocorrelation() throws {
        // mean 3; deviations -2 -1 0 1 2; sum of squares 10; lag-one products 2 + 0 + 0 + 2 = 4.
        #expect(try #require(SensorDynamics.lagOneAutocorrelation([1, 2, 3, 4, 5])) == 0.4)
        // Alternating: deviations ±1, products all -1: -3 / 4.
        #expect(try #require(SensorDynamics.lagOneAutocorrelation([1, -1, 1, -1])) == -0.75)
        #expect(SensorDynamics.lagOneAutocorrelation([1, 2]) == nil)
        #expect(SensorDynamics.lagOneAutocorrelation([4, 4, 4, 4]) == nil)
    }

    @Test("A sensor is slow when its median autocorrelation over recordings reaches the limit")
    func slowByMedian() {
        let ramp = (0..<50).map { Double($0) }
        let noise = (0..<50).map { $0 % 2 == 0 ? 1.0 : -1.0 }
        // Sensor "a" ramps in two of three recordings, "b" alternates in all.
        let readings = [zip(ramp, noise).map { [$0, $1] }, zip(ramp, noise).map { [$0, $1] }, zip(noise, noise).map { [$0, $1] }]
        #expect(SensorDynamics.slowSensors(["a", "b"], readings: readings) == ["a"])
        #expect(SensorDynamics.slowSensors(["a", "b"], readings: Array(readings.suffix(1))).isEmpty)
        #expect(SensorDynamics.envelopeFeatures(["a", "b"], slow: ["a"]) == ["a:change", "b:mean"])
    }

    @Test("The calibrated tolerance flags at most the allowed share of normal rows, counted by hand")
    func toleranceQuantile() throws {
        let worst = [0, 0, 0, 0, 0.5, 1, 2, 3, 4, 8]
        // 20 % of 10 rows: two may exceed, so the tolerance sits at the third largest (3), a hair above it.
        let tolerance = try EnvelopeCalibration.tolerance(worstExceedances: worst, falseAlarmRate: 0.2)
        #expect(tolerance > 3 && tolerance < 3.000_001)
        #expect(worst.count { $0 > tolerance } == 2)
        // Nothing allowed: above the largest.
        #expect(try EnvelopeCalibration.tolerance(worstExceedances: worst, falseAlarmRate: 0) > 8)
        // More allowed than rows outside: the floor, never 0 (which switches the envelope off).
        #expect(try EnvelopeCalibration.tolerance(worstExceedances: worst, falseAlarmRate: 0.9) == 0.001)
        #expect(throws: DetectionError.self) { try EnvelopeCalibration.tolerance(worstExceedances: [], falseAlarmRate: 0.1) }
        #expect(throws: DetectionError.self) { try EnvelopeCalibration.tolerance(worstExceedances: worst, falseAlarmRate: 1) }
    }

    @Test("worstExceedance counts only the checked features, in margins at tolerance 1")
    func worstExceedance() {
        var spec = FeatureSpec(sensors: ["a", "b"], envelope: [SensorEnvelope(sensor: "a", min: 0, max: 10, mean: 5, std: 1),
                                                                SensorEnvelope(sensor: "b", min: 0, max: 2, mean: 1, std: 0.5)])
        // a: 15 is 5 beyond a range of 10 (0.5); b: 5 is 3 beyond a range of 2 (1.5).
        #expect(EnvelopeCalibration.worstExceedance([15, 5], spec: spec) == 1.5)
        spec.envelopeFeatures = ["a"]
        #expect(EnvelopeCalibration.worstExceedance([15, 5], spec: spec) == 0.5)
        #expect(EnvelopeCalibration.worstExceedance([5, 5], spec: spec) == 0)
    }

    @Test("The detector judges only the listed envelope features; unknown names are refused")
    func onlyListedFeatures() throws {
        let normal = (0..<400).map { index in [Double(index % 7), Double(index % 5)] }
        func detector(judging features: [String]?) throws -> Detector {
            let model = try ModelTrainer(sensors: ["a", "b"], derived: [.mean], window: 5,
                                         forest: IsolationForest.Configuration(treeCount: 20, seed: 1), envelopeFeatures: features)
                .train(readings: ["d": normal]).withDecision(AnomalyModel.Decision(threshold: 1, method: "envelope-only"))
            return try Detector(model: model, configuration: DetectorConfiguration(envelopeTolerance: 0.5))
        }
        func flagged(_ detector: Detector) -> Bool {
            var detector = detector, any = false
            for index in 0..<20 {
                // b's level jumps far out of its range (still moving, so not stuck); a stays normal.
                let outcome = detector.process(device: "d", ts: Timestamp(milliseconds: Int64(index) * 1000), seq: nil,
                                               sensorValues: [Double(index % 7), 100 + Double(index % 5)])
                if case .scored(_, true) = outcome.status { any = true }
            }
            return any
        }
        #expect(flagged(try detector(judging: ["b:mean"])))
        #expect(!flagged(try detector(judging: ["a:mean"])))
        #expect(throws: DetectionError.self) { try detector(judging: ["c:mean"]) }
    }
}
