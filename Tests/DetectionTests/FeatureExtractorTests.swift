@testable import Detection
import Testing

@Suite("Features")
struct FeatureExtractorTests {
    @Test("Raw, mean, std, diff and dev over a window, in the documented order")
    func derived() {
        let spec = FeatureSpec(sensors: ["a", "b"], derived: [.mean, .std, .diff, .dev], window: 3)
        #expect(spec.featureNames == ["a", "b", "a:mean", "b:mean", "a:std", "b:std", "a:diff", "b:diff", "a:dev", "b:dev"])
        #expect(spec.warmUpMessages == 4)
        var extractor = FeatureExtractor(spec: spec)
        _ = extractor.push([1, 10])
        _ = extractor.push([2, 10])
        _ = extractor.push([3, 10])
        #expect(extractor.isWarmingUp)
        let features = extractor.push([7, 10])
        #expect(!extractor.isWarmingUp)
        // window after the push holds 2, 3, 7 for a
        #expect(features[0] == 7 && features[1] == 10)
        #expect(abs(features[2] - 4) < 1e-12)
        let expectedStd = ((4.0 + 1.0 + 9.0) / 3).squareRoot()
        #expect(abs(features[4] - expectedStd) < 1e-12)
        #expect(features[5] == 0)
        #expect(features[6] == 4)  // 7 - 3
        #expect(abs(features[8] - (7 - 2)) < 1e-12)  // 7 - mean(1, 2, 3)
    }

    @Test("A missing value gives NaN for its own features and does not poison the window")
    func missing() {
        var extractor = FeatureExtractor(spec: FeatureSpec(sensors: ["a"], derived: [.mean, .diff], window: 2))
        _ = extractor.push([1])
        _ = extractor.push([3])
        let withGap = extractor.push([.nan])
        #expect(withGap[0].isNaN && withGap[2].isNaN)
        #expect(withGap[1] == 2)
        let after = extractor.push([5])
        #expect(after[1] == 4 && after[2] == 2)
    }

    @Test("The rolling window stays exact over a long run")
    func noDrift() {
        var window = RollingWindow(capacity: 10)
        for index in 0..<100_000 { window.push(1e6 + Double(index % 10) * 1e-3) }
        #expect(abs(window.mean - (1e6 + 4.5e-3)) < 1e-9)
        #expect(abs(window.standardDeviation - 0.0028722813232690143) < 1e-7)
    }
}
