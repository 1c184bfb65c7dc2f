/// Point-wise detection quality from a confusion matrix, with SKAB's definitions:
/// F1 = TP / (TP + (FP + FN) / 2), FAR = FP / (FP + TN), MAR = FN / (FN + TP).
public struct PointMetrics: Sendable, Hashable, Codable {
    public var truePositives = 0
    public var falsePositives = 0
    public var trueNegatives = 0
    public var falseNegatives = 0

    public init(truePositives: Int = 0, falsePositives: Int = 0, trueNegatives: Int = 0, falseNegatives: Int = 0) {
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.trueNegatives = trueNegatives
        self.falseNegatives = falseNegatives
    }

    /// Counts predictions against labels, point by point.
    public init(predicted: some Sequence<Bool>, actual: some Sequence<Bool>) {
        for (prediction, truth) in zip(predicted, actual) { add(predicted: prediction, actual: truth) }
    }

    public mutating func add(predicted: Bool, actual: Bool) {
        switch (predicted, actual) {
        case (true, true): truePositives += 1
        case (true, false): falsePositives += 1
        case (false, false): trueNegatives += 1
        case (false, true): falseNegatives += 1
        }
    }

    /// Pools two confusion matrices (SKAB pools all files before computing the figures).
    public static func + (lhs: PointMetrics, rhs: PointMetrics) -> PointMetrics {
        PointMetrics(truePositives: lhs.truePositives + rhs.truePositives, falsePositives: lhs.falsePositives + rhs.falsePositives,
                     trueNegatives: lhs.trueNegatives + rhs.trueNegatives, falseNegatives: lhs.falseNegatives + rhs.falseNegatives)
    }

    public var count: Int { truePositives + falsePositives + trueNegatives + falseNegatives }

    public var precision: Double? { ratio(truePositives, truePositives + falsePositives) }
    public var recall: Double? { ratio(truePositives, truePositives + falseNegatives) }
    /// TP / (TP + (FP + FN) / 2), equal to the harmonic mean of precision and recall.
    public var f1: Double? {
        let denominator = Double(truePositives) + Double(falsePositives + falseNegatives) / 2
        return denominator > 0 ? Double(truePositives) / denominator : nil
    }
    /// False alarm rate: the share of normal points flagged.
    public var falseAlarmRate: Double? { ratio(falsePositives, falsePositives + trueNegatives) }
    /// Missed alarm rate: the share of anomalous points not flagged.
    public var missedAlarmRate: Double? { ratio(falseNegatives, falseNegatives + truePositives) }

    private func ratio(_ numerator: Int, _ denominator: Int) -> Double? {
        denominator > 0 ? Double(numerator) / Double(denominator) : nil
    }
}
