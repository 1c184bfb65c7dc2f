#!/usr/bin/env python3
"""scikit-learn's IsolationForest figures for the same workloads as Benchmarks/bench-forest,
printed as one JSON object (bench-forest runs this and prints the figures side by side).

    python3 tools/bench_sklearn.py [--batch 100000] [--single 2000]

Single-threaded (OMP/BLAS threads pinned to 1; scoring is sequential over trees by default),
so the figures are per core like ours.
"""

import os

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402


def best_of(repeats, function):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--single", type=int, default=2_000)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    result = {"sklearn": sklearn.__version__, "numpy": np.__version__, "features": {}}
    for d in (4, 8):
        X = rng.normal(size=(args.rows, d))
        batch = rng.normal(size=(args.batch, d))
        forest = IsolationForest(n_estimators=100, max_samples=256, random_state=0)
        train = best_of(3, lambda: forest.fit(X))
        batch_time = best_of(3, lambda: forest.score_samples(batch))
        rows = [batch[i:i + 1] for i in range(args.single)]

        def single():
            for row in rows:
                forest.score_samples(row)

        single_time = best_of(2, single)
        result["features"][str(d)] = {
            "trainSeconds": train,
            "batchPointsPerSecond": args.batch / batch_time,
            "singlePointsPerSecond": args.single / single_time,
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
