import Foundation
import IsolationForest

/// Access to the committed fixtures written by `tools/make_forest_fixtures.py`.
enum Fixtures {
    static func url(_ name: String) -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            fatalError("missing fixture \(name); regenerate with tools/make_forest_fixtures.py")
        }
        return url
    }

    static func path(_ name: String) -> String { url(name).path }

    static func decode<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(contentsOf: url(name)))
    }

    /// A scikit-learn model and its scores on test points (`<case>.scores.json`).
    struct ScoringCase: Decodable {
        let model: String
        let id: String
        let points: [[Double]]
        let scoreSamples: [Double]
        let decisionFunction: [Double]
        let predict: [Int]
        let offset: Double
    }

    /// Data, labels and scikit-learn's results over ten seeds (`training_<case>.json`).
    struct TrainingCase: Decodable {
        struct Parameters: Decodable {
            let contamination: Double?
        }
        let parameters: Parameters
        let train: [[Double]]
        let test: [[Double]]
        let labels: [Int]
        let quantileLevels: [Double]
        let aucs: [Double]
        let anomalyScoreQuantiles: [[Double]]
        let offsets: [Double]
    }

    static let scoringCases = ["small_n", "duplicates_constant", "one_feature", "twelve_features", "max_features", "scaled", "deep_trees"]
    static let trainingCases = ["six_features", "small_n"]
}

/// Small numeric helpers for tests.
enum Stats {
    /// ROC-AUC by the Mann–Whitney statistic, ties counted half (as scikit-learn's roc_auc_score).
    static func rocAUC(scores: [Double], labels: [Int]) -> Double {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var ranks = [Double](repeating: 0, count: scores.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && scores[order[end + 1]] == scores[order[start]] { end += 1 }
            let rank = Double(start + end) / 2 + 1
            for position in start...end { ranks[order[position]] = rank }
            start = end + 1
        }
        let positives = labels.filter { $0 == 1 }.count
        let negatives = labels.count - positives
        let rankSum = zip(ranks, labels).filter { $0.1 == 1 }.reduce(0) { $0 + $1.0 }
        return (rankSum - Double(positives * (positives + 1)) / 2) / Double(positives * negatives)
    }

    /// numpy's default (linear) percentile.
    static func percentile(_ values: [Double], _ q: Double) -> Double {
        let sorted = values.sorted()
        let position = q / 100 * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        return sorted[below] + (sorted[above] - sorted[below]) * (position - Double(below))
    }

    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
}
