/// The last `delay` values pushed, so that each push hands back the one from `delay` pushes ago
/// (NaN until that many have been pushed). Used for the change of a rolling mean over one window.
struct DelayLine: Sendable {
    private var values: [Double]
    private var next = 0
    private var count = 0

    init(delay: Int) {
        values = [Double](repeating: .nan, count: max(1, delay))
    }

    /// Stores `value` and returns the value pushed `delay` pushes before it.
    mutating func push(_ value: Double) -> Double {
        let old = count == values.count ? values[next] : .nan
        values[next] = value
        next = next + 1 == values.count ? 0 : next + 1
        count = min(count + 1, values.count)
        return old
    }

    mutating func reset() {
        self = DelayLine(delay: values.count)
    }
}
