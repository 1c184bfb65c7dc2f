import IsolationForest
import Testing

/// Scores of models exported from scikit-learn must equal scikit-learn's to 1e-9.
@Suite("Scoring parity with scikit-learn")
struct ScoringParityTests {
    static let tolerance = 1e-9

    @Test("score_samples, decision_function and predict match", arguments: Fixtures.scoringCases)
    func matchesScikitLearn(caseName: String) throws {
        let fixture = try Fixtures.decode(Fixtures.ScoringCase.self, "\(caseName).scores.json")
        let model = try AnomalyModel(contentsOfFile: Fixtures.path(fixture.model))
        #expect(model.id == fixture.id, "the id the exporter computed is the id the loader computes")
        #expect(model.decision.offset == fixture.offset)
        #expect(model.forest.offset == fixture.offset)

        let points = FeatureMatrix(rows: fixture.points)
        let batch = model.anomalyScores(points)
        var largest = 0.0
        for (index, point) in fixture.points.enumerated() {
            let single = model.anomalyScore(point)
            let scoreSample = -batch[index]
            let decision = scoreSample - model.decision.offset
            largest = max(largest, abs(scoreSample - fixture.scoreSamples[index]), abs(-single - fixture.scoreSamples[index]))
            #expect(abs(scoreSample - fixture.scoreSamples[index]) <= Self.tolerance, "batch score of point \(index)")
            #expect(abs(-single - fixture.scoreSamples[index]) <= Self.tolerance, "single score of point \(index)")
            #expect(abs(decision - fixture.decisionFunction[index]) <= Self.tolerance, "decision of point \(index)")
            #expect((model.isAnomaly(point) ? -1 : 1) == fixture.predict[index], "predict of point \(index)")
        }
        print("parity \(caseName): \(fixture.points.count) points, largest |Δ score_samples| = \(largest)")
    }

    @Test("the forest's own API agrees with the model's when there is no scaler")
    func forestAPI() throws {
        let fixture = try Fixtures.decode(Fixtures.ScoringCase.self, "twelve_features.scores.json")
        let forest = try AnomalyModel(contentsOfFile: Fixtures.path(fixture.model)).forest
        let points = FeatureMatrix(rows: fixture.points)
        let scores = forest.scoreSamples(points)
        let decisions = forest.decisionFunction(points)
        #expect(forest.predict(points) == fixture.predict)
        for index in fixture.points.indices {
            #expect(abs(scores[index] - fixture.scoreSamples[index]) <= Self.tolerance)
            #expect(abs(decisions[index] - fixture.decisionFunction[index]) <= Self.tolerance)
            #expect(abs(forest.decisionFunction(fixture.points[index]) - fixture.decisionFunction[index]) <= Self.tolerance)
            #expect(forest.predict(fixture.points[index]) == fixture.predict[index])
        }
    }
}

/// A forest trained here must rank anomalies as well as scikit-learn's and give similar scores.
@Suite("Training parity with scikit-learn")
struct TrainingParityTests {
    @Test("ROC-AUC within 0.01 and score quantiles close", arguments: Fixtures.trainingCases)
    func trainingParity(caseName: String) throws {
        let fixture = try Fixtures.decode(Fixtures.TrainingCase.self, "training_\(caseName).json")
        let train = FeatureMatrix(rows: fixture.train)
        let test = FeatureMatrix(rows: fixture.test)
        let contamination: IsolationForest.Configuration.Contamination = fixture.parameters.contamination.map { .fraction($0) } ?? .auto
        var aucs: [Double] = []
        var quantiles: [[Double]] = []
        var offsets: [Double] = []
        for seed: UInt64 in 0..<3 {
            let forest = try IsolationForest(training: train, configuration: .init(contamination: contamination, seed: seed))
            let scores = forest.anomalyScores(test)
            aucs.append(Stats.rocAUC(scores: scores, labels: fixture.labels))
            quantiles.append(fixture.quantileLevels.map { Stats.percentile(scores, $0) })
            offsets.append(forest.offset)
        }
        let ourAUC = Stats.mean(aucs)
        let theirAUC = Stats.mean(fixture.aucs)
        print("training parity \(caseName): AUC ours \(ourAUC) scikit-learn \(theirAUC); offset ours \(Stats.mean(offsets)) scikit-learn \(Stats.mean(fixture.offsets))")
        #expect(abs(ourAUC - theirAUC) <= 0.01)
        for (level, position) in zip(fixture.quantileLevels, fixture.quantileLevels.indices) {
            let ours = Stats.mean(quantiles.map { $0[position] })
            let theirs = Stats.mean(fixture.anomalyScoreQuantiles.map { $0[position] })
            #expect(abs(ours - theirs) <= 0.01, "anomaly score quantile \(level)%: ours \(ours), scikit-learn \(theirs)")
        }
        #expect(abs(Stats.mean(offsets) - Stats.mean(fixture.offsets)) <= 0.01)
    }
}
