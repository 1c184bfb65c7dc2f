#!/usr/bin/env python3
"""Export a fitted scikit-learn IsolationForest (and optionally a fitted StandardScaler) to the
edge-anomaly model file format (docs/model-format.md).

As a library:

    from export_sklearn import export
    model_id = export(forest, "model.json", feature_names=["temperature", "vibration"],
                      scaler=scaler, training_data=X_raw)

As a command line tool, training on a CSV file with a header row:

    python3 tools/export_sklearn.py train data.csv model.json \
        --columns temperature,vibration --contamination 0.05 --seed 7 --standardize

The file is canonical JSON (RFC 8785) and its "id" is "sha256:" + the SHA-256 of the canonical
JSON of the document without "id"; the Swift loader recomputes and checks it.
"""

import argparse
import csv
import datetime
import hashlib
import json
import math
import numbers
import sys

FORMAT = "edge-anomaly/isolation-forest"
FORMAT_VERSION = 1
MAX_SAFE_INTEGER = 2**53 - 1


# --- Canonical JSON (RFC 8785) ------------------------------------------------------------------

def _number(value):
    """ECMAScript Number.prototype.toString of a finite number (RFC 8785 section 3.2.2.3)."""
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, numbers.Integral):
        value = int(value)
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(f"integer {value} is not exactly representable as a double")
        return str(value)
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{value} has no JSON representation")
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
        return str(int(value))
    sign = "-" if value < 0 else ""
    text = repr(abs(value))  # shortest round-trip digits, like ECMAScript
    mantissa, _, exponent = text.partition("e")
    exponent = int(exponent) if exponent else 0
    integer_part, _, fraction_part = mantissa.partition(".")
    digits = integer_part + fraction_part
    point = len(integer_part) + exponent  # value = 0.digits * 10**point
    while digits.startswith("0"):
        digits = digits[1:]
        point -= 1
    digits = digits.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        body = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("-" if e < 0 else "+") + str(abs(e))
    return sign + body


def canonical_json(value):
    """RFC 8785 canonical JSON text of a JSON-compatible Python value, as UTF-8 bytes."""
    out = []

    def write(v):
        if v is None:
            out.append("null")
        elif v is True:
            out.append("true")
        elif v is False:
            out.append("false")
        elif isinstance(v, str):
            out.append(json.dumps(v, ensure_ascii=False))  # same escaping rules as RFC 8785
        elif isinstance(v, numbers.Number):
            out.append(_number(v))
        elif isinstance(v, (list, tuple)):
            out.append("[")
            for i, element in enumerate(v):
                if i:
                    out.append(",")
                write(element)
            out.append("]")
        elif isinstance(v, dict):
            out.append("{")
            for i, key in enumerate(sorted(v, key=lambda k: k.encode("utf-16-be"))):
                if i:
                    out.append(",")
                out.append(json.dumps(key, ensure_ascii=False))
                out.append(":")
                write(v[key])
            out.append("}")
        else:
            raise TypeError(f"cannot serialise {type(v).__name__}")

    write(value)
    return "".join(out).encode("utf-8")


def content_id(document):
    """The model id: sha256 over the canonical JSON of the document without its "id"."""
    content = {k: v for k, v in document.items() if k != "id"}
    return "sha256:" + hashlib.sha256(canonical_json(content)).hexdigest()


def data_hash(X):
    """sha256 of the training data as row-major little-endian float64 (FeatureMatrix.contentHash)."""
    import numpy as np

    return "sha256:" + hashlib.sha256(np.ascontiguousarray(X, dtype="<f8").tobytes()).hexdigest()


# --- Conversion --------------------------------------------------------------------------------

def _tree(estimator, features):
    """One tree as flat arrays, with feature indices mapped back to the input's columns."""
    tree = estimator.tree_
    feature, threshold = [], []
    for f, t in zip(tree.feature.tolist(), tree.threshold.tolist()):
        if f < 0:  # scikit-learn marks leaves with TREE_UNDEFINED (-2)
            feature.append(-1)
        else:
            feature.append(int(features[f]))
        threshold.append(float(t))
    return {
        "feature": feature,
        "threshold": threshold,
        "left": [int(c) for c in tree.children_left.tolist()],
        "right": [int(c) for c in tree.children_right.tolist()],
        "nSamples": [int(n) for n in tree.n_node_samples.tolist()],
    }


def _parameter(value):
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    return float(value)


def to_document(forest, feature_names=None, scaler=None, training_data=None, feature_spec=None, date=None):
    """The model document (a dict) for a fitted IsolationForest, with its "id"."""
    n_features = int(forest.n_features_in_)
    if feature_names is None:
        feature_names = [str(n) for n in getattr(forest, "feature_names_in_", [])] or [f"x{i}" for i in range(n_features)]
    feature_names = [str(n) for n in feature_names]
    if len(feature_names) != n_features:
        raise ValueError(f"{len(feature_names)} feature names for {n_features} features")

    # When max_features < n_features each tree was trained on its own column subset
    # (estimators_features_); the file always uses the input's column indices.
    subsample = forest._max_features != n_features
    trees = []
    for estimator, features in zip(forest.estimators_, forest.estimators_features_):
        mapping = [int(f) for f in features] if subsample else list(range(n_features))
        trees.append(_tree(estimator, mapping))

    offset = float(forest.offset_)
    if forest.contamination == "auto":
        decision = {"method": "auto", "parameters": {"contamination": "auto"}}
    else:
        decision = {"method": "contamination", "parameters": {"contamination": float(forest.contamination)}}
    decision.update({"offset": offset, "threshold": -offset})

    import sklearn

    training = {
        "software": f"scikit-learn {sklearn.__version__}",
        "parameters": {
            name: _parameter(getattr(forest, name))
            for name in ("n_estimators", "max_samples", "max_features", "contamination", "bootstrap")
        },
        "date": date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if isinstance(forest.random_state, numbers.Integral):
        seed = int(forest.random_state)
        training["seed"] = seed if seed <= MAX_SAFE_INTEGER else str(seed)
    if training_data is not None:
        training["rows"] = int(len(training_data))
        training["dataHash"] = data_hash(training_data)

    document = {
        "format": FORMAT,
        "formatVersion": FORMAT_VERSION,
        "featureNames": feature_names,
        "maxSamples": int(forest.max_samples_),
        "nEstimators": len(trees),
        "trees": trees,
        "decision": decision,
        "training": training,
    }
    if feature_spec is not None:
        document["featureSpec"] = feature_spec
    if scaler is not None:
        if scaler.mean_ is None or scaler.scale_ is None:
            raise ValueError("the scaler must have with_mean=True and with_std=True")
        document["scaler"] = {"mean": [float(m) for m in scaler.mean_], "scale": [float(s) for s in scaler.scale_]}
    document["id"] = content_id(document)
    return document


def export(forest, path, feature_names=None, scaler=None, training_data=None, feature_spec=None, date=None):
    """Write a fitted IsolationForest (trained on scaler.transform(X) if a scaler is given) to
    `path` as an edge-anomaly model file and return the model id.

    training_data: the raw training rows, to record their count and hash (optional).
    feature_spec: the Detection module's feature specification (a dict), stored verbatim.
    """
    document = to_document(forest, feature_names, scaler, training_data, feature_spec, date)
    with open(path, "wb") as file:
        file.write(canonical_json(document) + b"\n")
    return document["id"]


# --- Command line ------------------------------------------------------------------------------

def _read_csv(path, columns):
    import numpy as np

    with open(path, newline="") as file:
        reader = csv.reader(file)
        header = next(reader)
        names = columns.split(",") if columns else header
        indices = [header.index(name) for name in names]
        rows = [[float(row[i]) for i in indices] for row in reader if row]
    return names, np.asarray(rows, dtype=np.float64)


def _number_or_keyword(text, keyword):
    if text == keyword:
        return text
    return int(text) if text.isdigit() else float(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train on a CSV file (header row required) and export")
    train.add_argument("csv")
    train.add_argument("output")
    train.add_argument("--columns", help="comma-separated feature columns (default: all)")
    train.add_argument("--n-estimators", type=int, default=100)
    train.add_argument("--max-samples", default="auto")
    train.add_argument("--max-features", default="1.0")
    train.add_argument("--contamination", default="auto")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--standardize", action="store_true")
    args = parser.parse_args(argv)

    from sklearn.ensemble import IsolationForest
    from sklearn.preprocessing import StandardScaler

    names, X = _read_csv(args.csv, args.columns)
    scaler = StandardScaler().fit(X) if args.standardize else None
    forest = IsolationForest(
        n_estimators=args.n_estimators,
        max_samples=_number_or_keyword(args.max_samples, "auto"),
        max_features=float(args.max_features) if "." in args.max_features else int(args.max_features),
        contamination=_number_or_keyword(args.contamination, "auto"),
        random_state=args.seed,
    ).fit(scaler.transform(X) if scaler else X)
    model_id = export(forest, args.output, feature_names=names, scaler=scaler, training_data=X)
    print(f"{args.output}: {len(X)} rows, {len(names)} features, id {model_id}")


if __name__ == "__main__":
    sys.exit(main())
