/// The average path length of an unsuccessful search in a binary search tree built on `n`
/// points, `c(n) = 2H(n-1) - 2(n-1)/n` with `H(i) ≈ ln(i) + γ`, and `c(1) = 0`, `c(2) = 1`.
///
/// It normalises isolation depths and extends a leaf that still holds `n` training points by the
/// depth that splitting it further would have added. The formula and its operation order are
/// scikit-learn's `_average_path_length`, so scores agree to the last bits.
public func averagePathLength(_ n: Int) -> Double {
    if n <= 1 { return 0 }
    if n == 2 { return 1 }
    let count = Double(n)
    return 2.0 * (Platform.log(count - 1.0) + eulerGamma) - 2.0 * (count - 1.0) / count
}

/// The Euler–Mascheroni constant, with numpy's `np.euler_gamma` value.
let eulerGamma = 0.5772156649015329
