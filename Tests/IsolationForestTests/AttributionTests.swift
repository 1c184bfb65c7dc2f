@testable import IsolationForest
import Testing

@Suite("Attribution")
struct AttributionTests {
    static let data = TestData.gaussian(rows: 1000, columns: 4, seed: 21)

    @Test("a point anomalous in one feature gives that feature the largest share", arguments: 0..<4)
    func singleFeatureAnomaly(feature: Int) throws {
        let forest = try IsolationForest(training: Self.data, configuration: .init(seed: 4))
        for magnitude in [4.0, -5.0, 8.0] {
            var point = [0.1, -0.2, 0.15, 0.0]
            point[feature] = magnitude
            let attribution = forest.explain(point)
            #expect(attribution.rankedFeatures.first == feature, "feature \(feature) at \(magnitude): shares \(attribution.shares)")
            #expect(attribution.shares[feature] > 0.5)
        }
    }

    @Test("shares are non-negative and sum to 1; the score is the scoring path's; gains telescope")
    func invariants() throws {
        let forest = try IsolationForest(training: Self.data, configuration: .init(seed: 6))
        let points: [[Double]] = [[0, 0, 0, 0], [3, -3, 0, 1], [9, 9, 9, 9], [0.2, .nan, 1, -1], [.nan, .nan, .nan, .nan]]
        for point in points {
            let attribution = forest.explain(point)
            #expect(attribution.shares.allSatisfy { $0 >= 0 })
            #expect(abs(attribution.shares.reduce(0, +) - 1) <= 1e-12)
            #expect(abs(attribution.anomalyScore - forest.anomalyScore(point)) <= 1e-12)
            // Per tree the step gains sum to c(psi) - h(x); so do their averages.
            let total = attribution.pathShortening.reduce(0, +)
            #expect(abs(total - (averagePathLength(forest.maxSamples) - attribution.meanPathLength)) <= 1e-9)
        }
    }

    @Test("an ordinary point still gets a distribution, a forest of bare leaves an even one")
    func degenerateCases() throws {
        let forest = try IsolationForest(training: Self.data, configuration: .init(seed: 6))
        let ordinary = forest.explain([0, 0, 0, 0])
        #expect(abs(ordinary.shares.reduce(0, +) - 1) <= 1e-12)

        let leaves = try IsolationForest(training: FeatureMatrix(rows: [[1, 2, 3]]), configuration: .init(treeCount: 2))
        let even = leaves.explain([5, 5, 5])
        let third: Double = 1.0 / 3
        #expect(even.shares == [third, third, third])
        #expect(even.pathShortening == [0, 0, 0])
    }

    @Test("the model's explain applies the scaler")
    func throughModel() throws {
        let raw = FeatureMatrix(rowCount: Self.data.rowCount, columnCount: 4, values: Self.data.values.enumerated().map { index, value in
            value * [10.0, 0.01, 1, 1000][index % 4] + [70.0, 0.03, 12, 5][index % 4]
        })
        let model = try AnomalyModel.train(data: raw, featureNames: ["t", "v", "c", "p"], configuration: .init(seed: 3), standardize: true)
        let attribution = model.explain([70, 0.03 + 0.08, 12, 5])
        #expect(attribution.rankedFeatures.first == 1)
        #expect(abs(attribution.anomalyScore - model.anomalyScore([70, 0.11, 12, 5])) <= 1e-12)
    }
}

@Suite("Kernels agree with the general traversal")
struct KernelAgreementTests {
    @Test("fast score and attribution equal the weighted walk's on complete points")
    func fastEqualsWalk() throws {
        // 21 trees: two groups of eight and a remainder of five.
        let forest = try IsolationForest(training: AttributionTests.data, configuration: .init(treeCount: 21, seed: 12))
        var generator = Xoshiro256StarStar(seed: 99)
        for _ in 0..<200 {
            let point = (0..<4).map { _ in (generator.nextUnitDouble() - 0.5) * 12 }
            let fast = forest.explain(point)
            let reference = point.map(Float.init).withUnsafeBufferPointer { x in
                var net = [Double](repeating: 0, count: 4)
                var positive = [Double](repeating: 0, count: 4)
                let result = net.withUnsafeMutableBufferPointer { net in
                    positive.withUnsafeMutableBufferPointer { positive in
                        forest.walk(x.baseAddress!, attribution: (net.baseAddress!, positive.baseAddress!))
                    }
                }
                return (result, net, positive)
            }
            #expect(abs(fast.anomalyScore - reference.0.score) <= 1e-14)
            #expect(abs(forest.anomalyScore(point) - reference.0.score) <= 1e-14)
            for feature in 0..<4 {
                #expect(abs(fast.pathShortening[feature] - reference.1[feature] / 21) <= 1e-12)
            }
            #expect(fast.shares == IsolationForest.shares(net: reference.1, positive: reference.2) || zip(fast.shares, IsolationForest.shares(net: reference.1, positive: reference.2)).allSatisfy { abs($0 - $1) <= 1e-12 })
        }
    }

    @Test("infinite values are compared like any other value")
    func infinities() throws {
        let forest = try IsolationForest(training: AttributionTests.data, configuration: .init(treeCount: 16, seed: 2))
        let points: [[Double]] = [[.infinity, 0, 0, 0], [-.infinity, 0, 0, 0], [1e300, -1e300, 0, 0]]
        for point in points {
            let score = forest.anomalyScore(point)
            #expect(score > 0.5 && score <= 1, "\(point)")
            #expect(abs(forest.anomalyScores(FeatureMatrix(rows: [point]))[0] - score) <= 1e-12)
        }
    }
}
