/// Chooses the envelope tolerance by a false-alarm budget on normal data: the smallest tolerance at which
/// at most a given fraction of normal feature rows has a checked feature outside its envelope. Settings
/// come from data known to be normal, never from labelled test data.
public enum EnvelopeCalibration {
    /// How far outside its envelope the worst checked feature of `features` is, in margins at tolerance 1
    /// (0 when all are inside). A row is flagged at tolerance t exactly when this exceeds t.
    public static func worstExceedance(_ features: [Double], spec: FeatureSpec) -> Double {
        guard let envelope = spec.envelope else { return 0 }
        return worstExceedance(features, envelope: envelope, checked: spec.envelopeFeatureIndices)
    }

    /// The same, with the checked indices worked out once (`FeatureSpec.envelopeFeatureIndices`), for loops
    /// over many rows.
    public static func worstExceedance(_ features: [Double], envelope: [SensorEnvelope], checked: [Int]) -> Double {
        var worst = 0.0
        for index in checked where features[index].isFinite {
            worst = max(worst, envelope[index].exceedance(features[index], tolerance: 1))
        }
        return worst
    }

    /// The smallest tolerance at which at most `falseAlarmRate` of the rows whose worst exceedances are
    /// `worstExceedances` are flagged. A hair above the deciding row's exceedance, so that rounding in the
    /// detector cannot flag it; never below 0.001, since 0 switches the envelope off.
    public static func tolerance(worstExceedances: [Double], falseAlarmRate: Double) throws(DetectionError) -> Double {
        guard falseAlarmRate >= 0, falseAlarmRate < 1 else { throw DetectionError("the false-alarm rate must be in [0, 1)") }
        guard !worstExceedances.isEmpty else { throw DetectionError("no normal rows to calibrate the envelope tolerance on") }
        let descending = worstExceedances.sorted(by: >)
        let allowed = Int((falseAlarmRate * Double(descending.count)).rounded(.down))
        guard allowed < descending.count else { return 0.001 }
        return max(0.001, descending[allowed] * (1 + 1e-9))
    }
}
