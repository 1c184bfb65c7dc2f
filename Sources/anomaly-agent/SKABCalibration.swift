import ArgumentParser
import Detection
import Foundation
import IsolationForest
import Telemetry

/// The settings of `benchmark-skab` that are chosen from data, never from the test labels: which sensors
/// are slow (from the training rows of every labelled file, which the protocol lets us train on), and the
/// envelope tolerance (from SKAB's anomaly-free recording, which the protocol does not score at all).
enum SKABCalibration {
    /// Rows each labelled file trains on, in SKAB's outlier protocol.
    static let trainingRows = 400
    /// Calibration pieces start this many rows apart, so they overlap: with disjoint pieces the tolerance
    /// depended on where the cuts fell (0.72 or 0.94 when every piece moved by one row); with many
    /// overlapping pieces it settles (1.060 or 1.061).
    static let pieceStride = 100

    /// The tolerance that flags at most `falseAlarmRate` of normal rows, found the way the benchmark runs:
    /// the anomaly-free recording is cut into overlapping pieces as long as a typical labelled file, each
    /// piece trains on its first 400 rows and the rest is checked. `verifiedRate` is the share of those rows the real
    /// `Detector` then flags at that tolerance (the envelope and data-quality checks together).
    struct Tolerance {
        var tolerance: Double
        var pieces: Int
        var pieceLength: Int
        var pieceStride: Int
        var checkedRows: Int
        var verifiedRate: Double
    }

    static func tolerance(normal: TelemetryTable, pieceLength: Int, trainer: ModelTrainer, falseAlarmRate: Double,
                          detection: DetectorConfiguration) throws -> Tolerance {
        guard pieceLength > trainingRows + 1 else { throw ValidationError("calibration pieces of \(pieceLength) rows leave nothing to check after \(trainingRows) training rows") }
        let pieces = stride(from: 0, through: normal.rows.count - pieceLength, by: pieceStride).map { Array(normal.rows[$0..<($0 + pieceLength)]) }
        guard !pieces.isEmpty else { throw ValidationError("the anomaly-free recording has \(normal.rows.count) rows, fewer than one piece of \(pieceLength)") }
        var worst: [Double] = []
        // Each piece's feature rows and envelope, computed once for both passes below.
        let trainings = try pieces.map { try trainer.featureRows(readings: ["piece": $0.prefix(trainingRows).map(\.values)]) }
        for (piece, (_, spec)) in zip(pieces, trainings) {
            let envelope = spec.envelope ?? [], checked = spec.envelopeFeatureIndices
            var extractor = FeatureExtractor(spec: spec)
            for (index, row) in piece.enumerated() {
                let features = extractor.push(row.values)
                if index >= trainingRows { worst.append(EnvelopeCalibration.worstExceedance(features, envelope: envelope, checked: checked)) }
            }
        }
        let tolerance = try EnvelopeCalibration.tolerance(worstExceedances: worst, falseAlarmRate: falseAlarmRate)

        // The same rows through the agent's own pipeline at that tolerance, as a check on the arithmetic.
        var configuration = detection
        configuration.envelopeTolerance = tolerance
        var flagged = 0
        for (piece, (matrix, spec)) in zip(pieces, trainings) {
            let model = try trainer.train(matrix: matrix, spec: spec)
                .withDecision(AnomalyModel.Decision(threshold: 1, method: "envelope-only"))
            var detector = try Detector(model: model, configuration: configuration)
            for (index, row) in piece.enumerated() {
                let outcome = detector.process(device: "piece", ts: Timestamp(milliseconds: row.ts), seq: nil, sensorValues: row.values)
                if index >= trainingRows, case .scored(_, true) = outcome.status { flagged += 1 }
            }
        }
        return Tolerance(tolerance: tolerance, pieces: pieces.count, pieceLength: pieceLength, pieceStride: pieceStride, checkedRows: worst.count,
                         verifiedRate: Double(flagged) / Double(worst.count))
    }
}
