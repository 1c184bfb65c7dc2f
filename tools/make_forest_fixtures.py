#!/usr/bin/env python3
"""Regenerate the IsolationForest parity fixtures in Tests/IsolationForestTests/Fixtures.

Needs numpy and scikit-learn (CI does not: the fixtures are committed). Run from anywhere:

    python3 tools/make_forest_fixtures.py

Scoring parity: for each case, train scikit-learn's IsolationForest, export it with
export_sklearn.py (<case>.model.json), and record score_samples, decision_function and predict
for test points (<case>.scores.json). Test points include values on and next to split
thresholds in float32, where a wrong comparison would show. Floats are written with repr
precision, so the Swift tests can demand 1e-9.

Training parity: training_<case>.json holds training data, a labelled test set, and
scikit-learn's ROC-AUC, anomaly-score quantiles and offset for ten seeds; the Swift tests train
their own forests on the same data and compare means.
"""

import json
import os
import sys

import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_sklearn import export  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "IsolationForestTests", "Fixtures")
DATE = "2025-01-01T00:00:00Z"  # fixed, so model ids are stable across regenerations
QUANTILES = [1, 5, 10, 25, 50, 75, 90, 95, 99]


def write_json(name, value):
    with open(os.path.join(FIXTURES, name), "w") as file:
        json.dump(value, file, separators=(",", ":"))
        file.write("\n")


def boundary_points(forest, base, rng, count):
    """Points whose value at some split feature sits on the float32 grid around the threshold."""
    points = []
    n_features = forest.n_features_in_
    subsample = forest._max_features != n_features
    for _ in range(count):
        tree_index = rng.integers(len(forest.estimators_))
        tree = forest.estimators_[tree_index].tree_
        internal = np.flatnonzero(tree.feature >= 0)
        if len(internal) == 0:
            continue
        node = rng.choice(internal)
        feature = tree.feature[node]
        if subsample:
            feature = forest.estimators_features_[tree_index][feature]
        t = tree.threshold[node]
        nearest = np.float32(t)
        for value in (t, float(nearest), float(np.nextafter(nearest, np.float32(-np.inf))),
                      float(np.nextafter(nearest, np.float32(np.inf)))):
            point = base[rng.integers(len(base))].copy()
            point[feature] = value
            points.append(point)
    return np.array(points)


def scoring_case(name, X, rng, scaled=False, feature_names=None, feature_spec=None, boundary=True, **params):
    scaler = StandardScaler().fit(X) if scaled else None
    Xt = scaler.transform(X) if scaler else X
    forest = IsolationForest(**params).fit(Xt)
    model_file = f"{name}.model.json"
    model_id = export(forest, os.path.join(FIXTURES, model_file), feature_names=feature_names, scaler=scaler,
                      training_data=X, feature_spec=feature_spec, date=DATE)

    spread = X.std(axis=0) + 1e-3
    typical = X[rng.choice(len(X), size=min(150, len(X)), replace=False)]
    noise = X[rng.choice(len(X), size=100)] + rng.normal(scale=0.3, size=(100, X.shape[1])) * spread
    outliers = X.mean(axis=0) + rng.choice([-1, 1], size=(30, X.shape[1])) * rng.uniform(3, 8, size=(30, X.shape[1])) * spread
    parts = [typical, noise, outliers]
    if boundary and not scaled:
        parts.append(boundary_points(forest, X, rng, 40))
    points = np.vstack(parts)
    transformed = scaler.transform(points) if scaler else points
    write_json(f"{name}.scores.json", {
        "case": name,
        "model": model_file,
        "id": model_id,
        "sklearnVersion": sklearn.__version__,
        "parameters": {k: v for k, v in params.items()},
        "points": points.tolist(),
        "scoreSamples": forest.score_samples(transformed).tolist(),
        "decisionFunction": forest.decision_function(transformed).tolist(),
        "predict": forest.predict(transformed).tolist(),
        "offset": float(forest.offset_),
    })
    print(f"{name}: {len(X)} rows x {X.shape[1]} features, {len(points)} points, id {model_id}")


def training_case(name, X_train, X_test, labels, **params):
    aucs, quantiles = [], []
    offsets = []
    for seed in range(10):
        forest = IsolationForest(random_state=seed, **params).fit(X_train)
        scores = forest.score_samples(X_test)
        aucs.append(roc_auc_score(labels, -scores))
        quantiles.append(np.percentile(-scores, QUANTILES))
        offsets.append(forest.offset_)
    quantiles = np.array(quantiles)
    write_json(f"training_{name}.json", {
        "case": name,
        "sklearnVersion": sklearn.__version__,
        "parameters": params,
        "train": np.round(X_train, 5).tolist(),
        "test": np.round(X_test, 5).tolist(),
        "labels": [int(v) for v in labels],
        "quantileLevels": QUANTILES,
        # One forest is one random draw: the Swift tests compare means over seeds.
        "aucs": aucs,
        "anomalyScoreQuantiles": quantiles.tolist(),
        "offsets": [float(o) for o in offsets],
    })
    print(f"training_{name}: AUC mean {np.mean(aucs):.4f} (min {min(aucs):.4f}, max {max(aucs):.4f}), "
          f"quantile spread max {(quantiles.max(axis=0) - quantiles.min(axis=0)).max():.4f}, "
          f"offset mean {np.mean(offsets):.4f}")


def correlated(rng, n, d):
    mixing = rng.normal(size=(d, d)) / np.sqrt(d)
    centres = rng.normal(scale=2.0, size=(2, d))
    return rng.normal(size=(n, d)) @ mixing + centres[rng.integers(2, size=n)]


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    rng = np.random.default_rng(20251122)

    scoring_case("small_n", rng.normal(size=(100, 4)), rng, random_state=1)

    unique = np.round(rng.normal(size=(100, 4)), 2)
    duplicated = np.hstack([np.repeat(unique, 4, axis=0), np.full((400, 1), 3.0)])
    scoring_case("duplicates_constant", duplicated, rng, random_state=2)

    one = np.concatenate([rng.normal(0, 1, 600), rng.normal(5, 0.5, 200)]).reshape(-1, 1)
    scoring_case("one_feature", one, rng, contamination=0.05, random_state=3)

    scoring_case("twelve_features", correlated(rng, 3000, 12), rng, contamination=0.05, random_state=4)

    scoring_case("max_features", correlated(rng, 1500, 8), rng, max_features=0.5, max_samples=128, random_state=5)

    sensors = ["temperature", "vibration", "current", "pressure"]
    plant = np.column_stack([rng.normal(70, 2, 1200), np.abs(rng.normal(0.03, 0.005, 1200)),
                             rng.normal(12.4, 0.6, 1200), rng.normal(5.6, 0.1, 1200)])
    scoring_case("scaled", plant, rng, scaled=True, feature_names=sensors,
                 feature_spec={"sensors": sensors, "derived": [], "window": 1},
                 max_samples=0.25, contamination=0.1, random_state=6)

    scoring_case("deep_trees", correlated(rng, 2000, 3), rng, max_samples=512, n_estimators=50, random_state=7)

    # Training parity: clustered normal data, anomalies shifted in one feature or scattered.
    d = 6
    normal = correlated(rng, 4500, d)
    shifted = normal[rng.choice(len(normal), 100)].copy()
    shifted[np.arange(100), rng.integers(d, size=100)] += rng.choice([-1, 1], 100) * rng.uniform(3, 6, 100)
    scattered = rng.uniform(-6, 6, size=(50, d))
    test = np.vstack([normal[3000:], shifted, scattered])
    labels = np.concatenate([np.zeros(1500), np.ones(150)])
    training_case("six_features", normal[:3000], test, labels, contamination=0.05)

    small = rng.normal(size=(200, 3))
    small_test = np.vstack([rng.normal(size=(300, 3)), rng.normal(size=(30, 3)) * 3.5])
    training_case("small_n", small, small_test, np.concatenate([np.zeros(300), np.ones(30)]))


if __name__ == "__main__":
    main()
