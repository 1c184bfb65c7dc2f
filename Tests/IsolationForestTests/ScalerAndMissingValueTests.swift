import IsolationForest
import Testing

@Suite("StandardScaler")
struct StandardScalerTests {
    @Test("population mean and standard deviation, as scikit-learn")
    func fit() {
        let scaler = StandardScaler(fitting: FeatureMatrix(rows: [[1, 10, 5], [2, 20, 5], [3, 30, 5], [4, 40, 5]]))
        #expect(scaler.mean == [2.5, 25, 5])
        #expect(abs(scaler.scale[0] - 1.118033988749895) <= 1e-15)
        #expect(abs(scaler.scale[1] - 11.180339887498949) <= 1e-13)
        #expect(scaler.scale[2] == 1, "a constant feature keeps scale 1")
        let z = scaler.transform([4, 10, 5])
        #expect(abs(z[0] - 1.3416407864998738) <= 1e-15)
        #expect(z[2] == 0)
        let back = scaler.inverseTransform(z)
        #expect(zip(back, [4.0, 10, 5]).allSatisfy { abs($0 - $1) <= 1e-12 })
    }

    @Test("missing values are ignored when fitting and kept when transforming")
    func missing() {
        let scaler = StandardScaler(fitting: FeatureMatrix(rows: [[1, .nan], [3, .nan], [.nan, .nan]]))
        #expect(scaler.mean == [2, 0])
        #expect(scaler.scale == [1, 1])
        #expect(scaler.transform([.nan, 1])[0].isNaN)
        let matrix = scaler.transform(FeatureMatrix(rows: [[1, 2], [3, 4]]))
        #expect(matrix.values == [-1, 2, 1, 4])
    }

    @Test("a near-constant feature (rounding noise) keeps scale 1")
    func nearConstant() {
        let scaler = StandardScaler(fitting: FeatureMatrix(rows: [[0.1 + 0.2], [0.3], [0.3]]))
        #expect(scaler.scale == [1])
    }
}

@Suite("Missing values")
struct MissingValueTests {
    @Test("a missing split feature follows both children, weighted by training counts")
    func weightedPath() throws {
        let forest = try IsolationForest(trees: [TestData.twoLeafTree()], featureCount: 1, maxSamples: 10, offset: -0.5)
        let expectedDepth = 0.8 * (1 + averagePathLength(8)) + 0.2 * (1 + averagePathLength(2))
        let expected = pow2(-expectedDepth / averagePathLength(10))
        #expect(abs(forest.anomalyScore([.nan]) - expected) <= 1e-15)
        #expect(abs(forest.anomalyScore([0.4]) - pow2(-(1 + averagePathLength(8)) / averagePathLength(10))) <= 1e-15)
    }

    @Test("missing values in batches give the single-point scores")
    func batch() throws {
        let data = TestData.gaussian(rows: 300, columns: 3, seed: 2)
        let forest = try IsolationForest(training: data, configuration: .init(treeCount: 30, seed: 1))
        let rows: [[Double]] = [[0, .nan, 1], [.nan, .nan, .nan], [0.5, 0.5, 0.5], [4, .nan, -4], [1, 2, 3], [.nan, 0, 0], [0, 0, 0], [1, 1, .nan], [2, 2, 2]]
        let batch = forest.anomalyScores(FeatureMatrix(rows: rows))
        for (index, row) in rows.enumerated() {
            let single = forest.anomalyScore(row)
            #expect(abs(batch[index] - single) <= 1e-12)
            #expect(single > 0 && single <= 1)
        }
    }

    @Test("a missing value of a feature the forest never splits on changes nothing")
    func irrelevantFeature() throws {
        let data = FeatureMatrix(rows: (0..<200).map { [Double($0 % 17), 7.0] })
        let forest = try IsolationForest(training: data, configuration: .init(treeCount: 20, seed: 3))
        #expect(abs(forest.anomalyScore([4, .nan]) - forest.anomalyScore([4, 7])) <= 1e-15)
    }

    @Test("an all-missing point scores like the average training point, not like an outlier")
    func allMissing() throws {
        let data = TestData.gaussian(rows: 500, columns: 2, seed: 9)
        let forest = try IsolationForest(training: data, configuration: .init(seed: 2))
        let score = forest.anomalyScore([.nan, .nan])
        // Following every branch by its share of samples gives the mean path over training points.
        #expect(score < 0.55)
        #expect(score < forest.anomalyScore([5, 5]))
    }
}

func pow2(_ x: Double) -> Double { exp2(x) }

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
