#!/usr/bin/env bash
# How SKAB's pooled figures move with the settings of bench-skab (offline only; the MQTT path gives the
# same figures, bench-skab checks that). The default (window 10, slow sensors judged by change, tolerance
# calibrated on the anomaly-free recording, forest silent) uses no test label; this table does look at the
# test labels, so its best row is optimistic.
#   deploy/scripts/bench-skab-sensitivity.sh [SKAB_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
skab="${1:-../shared/datasets/skab}"
[ -d "$skab/valve1" ] || { echo "bench-skab-sensitivity: no SKAB data in $skab (give its folder)" >&2; exit 2; }
swift build -c release --product anomaly-agent >&2
run() {  # label, then benchmark-skab options; prints point-wise and inside-event figures (events from their onset, from their alarm)
    local out
    out=$(.build/release/anomaly-agent benchmark-skab --dir "$skab" "${@:2}" 2>/dev/null)
    figures() { echo "$out" | grep -m1 "$1" | sed -E 's/.*F1 ([0-9.]+) +FAR ([0-9.]+) % +MAR ([0-9.]+) %.*/\1 \/ \2 % \/ \3 %/'; }
    printf '| %s | %s | %s | %s | %s |\n' "$1" "$(echo "$out" | grep -m1 -oE 'tolerance [0-9.]+' | cut -d' ' -f2)" \
        "$(figures 'anomalous rows')" "$(figures 'rows inside events from the onset, offline')" "$(figures 'rows inside events from the alarm, offline')"
}
echo "| setting | tolerance | anomalous rows F1 / FAR / MAR | rows inside events from the onset | from the alarm |"
echo "|---|---|---|---|---|"
run "forest only (contamination 0.01): raw sensors" --derived "" --envelope-on all --envelope-tolerance 0 --forest
run "forest only: raw + dev,std, window 10" --derived dev,std --envelope-on all --envelope-tolerance 0 --forest
run "forest + envelope 1.0 on every feature of dev,std" --derived dev,std --envelope-on all --envelope-tolerance 1.0 --forest
run "envelope 1.0 on every feature of mean, window 10 (the previous default)" --derived mean --envelope-on all --envelope-tolerance 1.0
run "envelope on level, thermal sensors too, calibrated, window 10" --slow-sensors none
for window in 5 10 20; do
    for tolerance in auto 0.5 0.75 1.0 1.5; do
        label="level or change, window $window, tolerance $tolerance"
        [ "$tolerance" = auto ] && label="level or change, window $window, calibrated"
        [ "$window" = 10 ] && [ "$tolerance" = auto ] && label="**$label (default)**"
        run "$label" --window "$window" --envelope-tolerance "$tolerance"
    done
done
for close in 5 20 30; do
    run "level or change, window 10, calibrated, event closes after $close normal rows (default 10)" --close-after "$close"
done
