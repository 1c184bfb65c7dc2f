/// A dense matrix of feature values, one row per observation, stored row-major in one array
/// so that batch scoring reads memory sequentially.
public struct FeatureMatrix: Sendable, Equatable {
    /// Number of rows (observations).
    public let rowCount: Int
    /// Number of columns (features).
    public let columnCount: Int
    /// The values, row after row: element `(r, c)` is at `r * columnCount + c`. `NaN` marks a missing value.
    public let values: [Double]

    /// Wraps row-major values.
    /// - Precondition: `values.count == rowCount * columnCount`.
    public init(rowCount: Int, columnCount: Int, values: [Double]) {
        precondition(rowCount >= 0 && columnCount >= 0, "negative matrix dimensions")
        precondition(values.count == rowCount * columnCount, "\(values.count) values for a \(rowCount)×\(columnCount) matrix")
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.values = values
    }

    /// Copies rows of equal length.
    /// - Precondition: every row has the same number of values.
    public init(rows: [[Double]]) {
        let columns = rows.first?.count ?? 0
        var values: [Double] = []
        values.reserveCapacity(rows.count * columns)
        for (index, row) in rows.enumerated() {
            precondition(row.count == columns, "row \(index) has \(row.count) values, row 0 has \(columns)")
            values.append(contentsOf: row)
        }
        self.init(rowCount: rows.count, columnCount: columns, values: values)
    }

    /// The value in row `row`, column `column`.
    public subscript(row: Int, column: Int) -> Double {
        values[row * columnCount + column]
    }

    /// One row.
    public func row(_ index: Int) -> ArraySlice<Double> {
        values[(index * columnCount)..<((index + 1) * columnCount)]
    }

    /// The rows as separate arrays.
    public var rows: [[Double]] { (0..<rowCount).map { Array(row($0)) } }

    /// `"sha256:<hex>"` of the values as little-endian IEEE-754 doubles, row-major: the
    /// training-data hash recorded in model files (numpy: `X.astype('<f8').tobytes()`).
    public func contentHash() -> String {
        var hasher = SHA256()
        var chunk: [UInt64] = []
        chunk.reserveCapacity(4096)
        var start = 0
        while start < values.count {
            let end = min(start + 4096, values.count)
            chunk.removeAll(keepingCapacity: true)
            for value in values[start..<end] { chunk.append(value.bitPattern.littleEndian) }
            chunk.withUnsafeBytes { hasher.update($0) }
            start = end
        }
        return "sha256:" + SHA256.hex(hasher.finalize())
    }
}
