/// The last `capacity` values of one sensor, with their mean and standard deviation in O(1).
/// Missing values (NaN) are not stored; the window then covers fewer readings.
struct RollingWindow: Sendable {
    private var values: [Double]
    private var next = 0
    private(set) var count = 0
    private var sum = 0.0
    private var sumOfSquares = 0.0
    /// Sums are kept of `value - shift`, with `shift` near the mean, so that the variance of large values
    /// with small spread (1e6 ± 1e-3) does not vanish in cancellation.
    private var shift = 0.0
    private var pushesSinceExactSum = 0
    /// The previous value pushed (for first differences), NaN before the first.
    private(set) var last = Double.nan

    init(capacity: Int) {
        values = [Double](repeating: 0, count: max(1, capacity))
    }

    var capacity: Int { values.count }
    var isFull: Bool { count == values.count }

    var mean: Double { count > 0 ? shift + sum / Double(count) : .nan }

    var standardDeviation: Double {
        guard count > 0 else { return .nan }
        let shiftedMean = sum / Double(count)
        return max(0, sumOfSquares / Double(count) - shiftedMean * shiftedMean).squareRoot()
    }

    mutating func push(_ value: Double) {
        guard value.isFinite else { return }
        if count == 0 { shift = value }
        if count == values.count {
            let old = values[next] - shift
            sum -= old
            sumOfSquares -= old * old
        } else {
            count += 1
        }
        values[next] = value
        let shifted = value - shift
        sum += shifted
        sumOfSquares += shifted * shifted
        next = next + 1 == values.count ? 0 : next + 1
        last = value
        pushesSinceExactSum += 1
        // Running sums drift by rounding; recompute them exactly once per window.
        if pushesSinceExactSum >= values.count { recomputeSums() }
    }

    private mutating func recomputeSums() {
        var total = 0.0
        for index in 0..<count { total += values[index] }
        shift = total / Double(count)
        sum = 0
        sumOfSquares = 0
        for index in 0..<count {
            let shifted = values[index] - shift
            sum += shifted
            sumOfSquares += shifted * shifted
        }
        pushesSinceExactSum = 0
    }

    mutating func reset() {
        self = RollingWindow(capacity: values.count)
    }
}
