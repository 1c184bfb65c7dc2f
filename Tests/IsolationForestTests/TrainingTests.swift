import IsolationForest
import Testing

@Suite("Training")
struct TrainingTests {
    let data = TestData.gaussian(rows: 600, columns: 4, seed: 11)

    @Test("the same seed trains the same forest; another seed another forest")
    func determinism() throws {
        let first = try IsolationForest(training: data, configuration: .init(treeCount: 20, seed: 42))
        let second = try IsolationForest(training: data, configuration: .init(treeCount: 20, seed: 42))
        let other = try IsolationForest(training: data, configuration: .init(treeCount: 20, seed: 43))
        #expect(first.trees == second.trees)
        #expect(first.trees != other.trees)
    }

    @Test("the trained model is the same on every platform (golden id)")
    func goldenModel() throws {
        // Pins the generator, the sampling and the split rules: a change here changes every
        // model trained from a seed, which deserves a deliberate decision.
        let model = try AnomalyModel.train(
            data: TestData.gaussian(rows: 300, columns: 3, seed: 5), featureNames: ["a", "b", "c"],
            configuration: .init(treeCount: 10, seed: 7), date: "2025-01-01T00:00:00Z")
        #expect(model.id == "sha256:711b28c763050c65a4baf03ca5556a34a1d9df092dd9498931b9ef91d4e981bb")
    }

    @Test("trees follow scikit-learn's shape rules")
    func shape() throws {
        let forest = try IsolationForest(training: data, configuration: .init(treeCount: 30, seed: 1))
        #expect(forest.maxSamples == 256)
        #expect(forest.treeCount == 30)
        for tree in forest.trees {
            #expect(tree.maxDepth <= 8, "depth limit ceil(log2(256))")
            #expect(tree.nSamples[0] == 256)
            var leafSamples = 0
            for node in 0..<tree.nodeCount where tree.feature[node] == -1 {
                leafSamples += tree.nSamples[node]
                // A leaf above the depth limit holds one sample (or only duplicates).
                if tree.depth[node] < 8 { #expect(tree.nSamples[node] == 1) }
            }
            #expect(leafSamples == 256)
        }
    }

    @Test("maxSamples: auto, count, fraction, and capping at the row count")
    func maxSamples() throws {
        let small = TestData.gaussian(rows: 100, columns: 2, seed: 3)
        #expect(try IsolationForest(training: small, configuration: .init(treeCount: 2)).maxSamples == 100)
        #expect(try IsolationForest(training: data, configuration: .init(treeCount: 2, maxSamples: .count(64))).maxSamples == 64)
        #expect(try IsolationForest(training: small, configuration: .init(treeCount: 2, maxSamples: .count(500))).maxSamples == 100)
        let fraction = try IsolationForest(training: data, configuration: .init(treeCount: 2, maxSamples: .fraction(0.25)))
        #expect(fraction.maxSamples == 150)
        #expect(fraction.trees.allSatisfy { $0.maxDepth <= 8 })  // ceil(log2(150)) = 8
    }

    @Test("maxFeatures below the feature count restricts each tree to a subset")
    func maxFeatures() throws {
        let wide = TestData.gaussian(rows: 400, columns: 8, seed: 4)
        let forest = try IsolationForest(training: wide, configuration: .init(treeCount: 40, maxFeatures: .fraction(0.25), seed: 2))
        var used: Set<Int> = []
        for tree in forest.trees {
            let features = Set(tree.feature.filter { $0 >= 0 })
            #expect(features.count <= 2)
            used.formUnion(features)
        }
        #expect(used.count == 8, "over 40 trees every feature is drawn")
    }

    @Test("constant features are never split, duplicates end in shared leaves")
    func constantAndDuplicates() throws {
        var rows: [[Double]] = []
        for index in 0..<50 {
            let row = [Double(index % 10), 3.0]
            rows.append(row)
            rows.append(row)  // every row twice
        }
        let forest = try IsolationForest(training: FeatureMatrix(rows: rows), configuration: .init(treeCount: 25, seed: 9))
        for tree in forest.trees {
            #expect(!tree.feature.contains(1))
            for node in 0..<tree.nodeCount where tree.feature[node] == -1 {
                #expect(tree.nSamples[node] >= 1)
            }
        }
        // Only 10 distinct rows: leaves above the depth limit hold their duplicates.
        #expect(forest.trees.contains { tree in (0..<tree.nodeCount).contains { tree.feature[$0] == -1 && tree.nSamples[$0] > 1 } })
        let single = try IsolationForest(training: FeatureMatrix(rows: [[1, 2]]), configuration: .init(treeCount: 3))
        #expect(single.trees.allSatisfy { $0.nodeCount == 1 })
        #expect(single.anomalyScore([1, 2]) == 0.5, "scikit-learn's value for a one-sample forest")
    }

    @Test("contamination sets the offset at that percentile of training scores")
    func contamination() throws {
        let forest = try IsolationForest(training: data, configuration: .init(treeCount: 50, contamination: .fraction(0.1), seed: 3))
        let flagged = forest.predict(data).filter { $0 == -1 }.count
        #expect(abs(Double(flagged) / Double(data.rowCount) - 0.1) <= 0.01)
        #expect(forest.threshold == -forest.offset)
        let auto = try IsolationForest(training: data, configuration: .init(treeCount: 5))
        #expect(auto.offset == -0.5)
        #expect(auto.threshold == 0.5)
    }

    @Test("invalid parameters and unusable data are rejected")
    func errors() {
        let nan = FeatureMatrix(rows: [[1, 2], [3, .nan]])
        #expect(throws: TrainingError.self) { try IsolationForest(training: nan) }
        #expect(throws: TrainingError.self) { try IsolationForest(training: FeatureMatrix(rows: [[1e300]])) }
        #expect(throws: TrainingError.self) { try IsolationForest(training: FeatureMatrix(rowCount: 0, columnCount: 2, values: [])) }
        #expect(throws: TrainingError.self) { try IsolationForest(training: data, configuration: .init(treeCount: 0)) }
        #expect(throws: TrainingError.self) { try IsolationForest(training: data, configuration: .init(maxSamples: .fraction(1.5))) }
        #expect(throws: TrainingError.self) { try IsolationForest(training: data, configuration: .init(maxSamples: .count(0))) }
        #expect(throws: TrainingError.self) { try IsolationForest(training: data, configuration: .init(maxFeatures: .count(5))) }
        #expect(throws: TrainingError.self) { try IsolationForest(training: data, configuration: .init(contamination: .fraction(0.6))) }
        do {
            _ = try IsolationForest(training: nan)
        } catch {
            #expect(error.message.contains("row 1, feature 1"))
        }
    }

    @Test("anomalies score higher than normal points")
    func separates() throws {
        let forest = try IsolationForest(training: data, configuration: .init(seed: 8))
        #expect(forest.anomalyScore([6, 6, 6, 6]) > 0.7)
        #expect(forest.anomalyScore([0, 0, 0, 0]) < 0.5)
        #expect(forest.isAnomaly([6, 6, 6, 6]))
        #expect(!forest.isAnomaly([0, 0, 0, 0]))
        #expect(forest.predict([6, 6, 6, 6]) == -1)
    }

    @Test("batch and single-point scores agree, for any batch length")
    func batchMatchesSingle() throws {
        let forest = try IsolationForest(training: data, configuration: .init(treeCount: 37, seed: 4))
        for count in [1, 7, 8, 9, 23] {
            let rows = FeatureMatrix(rowCount: count, columnCount: 4, values: Array(data.values[0..<(count * 4)]))
            let batch = forest.anomalyScores(rows)
            for row in 0..<count {
                #expect(abs(batch[row] - forest.anomalyScore(rows.row(row))) <= 1e-12)
            }
        }
    }

    @Test("the fitted forest can be scored from many tasks at once")
    func concurrentScoring() async throws {
        let forest = try IsolationForest(training: data, configuration: .init(treeCount: 20, seed: 4))
        let expected = forest.anomalyScores(data)
        let results = await withTaskGroup(of: Bool.self) { group in
            for task in 0..<4 {
                group.addTask {
                    (0..<data.rowCount).filter { $0 % 4 == task }.allSatisfy { forest.anomalyScore(data.row($0)) == expected[$0] || abs(forest.anomalyScore(data.row($0)) - expected[$0]) <= 1e-12 }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == [true, true, true, true])
    }
}
