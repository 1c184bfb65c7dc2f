#!/usr/bin/env python3
"""How far the events' onsets and alarms lie from the true starts, per anomaly kind, and the rows inside
events read from each: the check behind the README's "Onset, not alarm" on the emulator's data.

    anomaly-agent evaluate --data data/test.csv --model model.json --truth data/truth.jsonl --events events.jsonl
    python3 tools/onset_error.py data/test.csv data/truth.jsonl events.jsonl

A true anomaly is matched, as `evaluate` does, to the first event raised while it lasted (5 s tolerance).
Standard library only.
"""
import collections
import csv
import json
import sys

OPEN_END = 1 << 62


def main(test_csv, truth_log, events_log, tolerance_ms=5000):
    truth = {}
    for line in open(truth_log):
        if line.strip():
            record = json.loads(line)
            entry = truth.setdefault(record["id"], {"device": record["device"], "kind": record["kind"]})
            entry[record["state"]] = record["ts"]
    events = {}
    for line in open(events_log):
        if line.strip():
            event = json.loads(line)
            entry = events.setdefault(event["event_id"], {"device": event["device"]})
            entry["alarm"] = event["started_at"]
            entry["onset"] = event.get("onset_at", event["started_at"])
            if event["state"] == "closed":
                entry["end"] = event["ended_at"]

    errors = collections.defaultdict(list)
    for anomaly in truth.values():
        start, end = anomaly.get("start"), anomaly.get("end", OPEN_END)
        if start is None:
            continue
        raised = [e for e in events.values()
                  if e["device"] == anomaly["device"] and e["alarm"] <= end + tolerance_ms and e.get("end", OPEN_END) >= start]
        if raised:
            first = min(raised, key=lambda e: e["alarm"])
            errors[anomaly["kind"]].append((abs(first["alarm"] - start) / 1000, abs(first["onset"] - start) / 1000,
                                            first["alarm"] != first["onset"]))
    print(f"{'kind':18s} {'found':>5s}  {'mean |alarm - start|':>20s}  {'mean |onset - start|':>20s}  dated back")
    for kind, found in sorted(errors.items()):
        alarm = sum(e[0] for e in found) / len(found)
        onset = sum(e[1] for e in found) / len(found)
        print(f"{kind:18s} {len(found):5d}  {alarm:18.1f} s  {onset:18.1f} s  {sum(e[2] for e in found):10d}")

    rows = list(csv.DictReader(open(test_csv)))
    for reading in ("alarm", "onset"):
        spans = collections.defaultdict(list)
        for event in events.values():
            spans[event["device"]].append((event[reading], event.get("end", OPEN_END)))
        tp = fp = fn = tn = 0
        for row in rows:
            ts, actual = int(row["timestamp"]), row["anomaly"] == "1"
            predicted = any(a <= ts <= b for a, b in spans[row["device"]])
            tp += predicted and actual
            fp += predicted and not actual
            fn += actual and not predicted
            tn += not predicted and not actual
        print(f"rows inside events from the {reading}: F1 {tp / (tp + (fp + fn) / 2):.3f}  "
              f"FAR {100 * fp / (fp + tn):.2f} %  MAR {100 * fn / (fn + tp):.2f} %")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
