#!/usr/bin/env bash
# How SKAB's pooled figures move with the settings of bench-skab (offline only; the MQTT path gives the
# same figures, bench-skab checks that). The default (window 10, tolerance 1.0, forest silent) was set by
# principle before this table was made; the table looks at the test labels, so its best row is optimistic.
#   deploy/scripts/bench-skab-sensitivity.sh [SKAB_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
skab="${1:-../shared/datasets/skab}"
[ -d "$skab/valve1" ] || { echo "bench-skab-sensitivity: no SKAB data in $skab (give its folder)" >&2; exit 2; }
swift build -c release --product anomaly-agent >&2
run() {  # label, then benchmark-skab options; prints point-wise and inside-event figures
    local out
    out=$(.build/release/anomaly-agent benchmark-skab --dir "$skab" "${@:2}" 2>/dev/null)
    printf '| %s | %s | %s |\n' "$1" \
        "$(echo "$out" | sed -n 2p | sed -E 's/.*F1 ([0-9.]+) +FAR ([0-9.]+) % +MAR ([0-9.]+) %.*/\1 \/ \2 % \/ \3 %/')" \
        "$(echo "$out" | sed -n 3p | sed -E 's/.*F1 ([0-9.]+) +FAR ([0-9.]+) % +MAR ([0-9.]+) %.*/\1 \/ \2 % \/ \3 %/')"
}
echo "| setting | anomalous rows F1 / FAR / MAR | rows inside events F1 / FAR / MAR |"
echo "|---|---|---|"
run "forest only (contamination 0.01): raw sensors" --derived "" --envelope-tolerance 0 --forest
run "forest only: raw + dev,std, window 10" --derived dev,std --envelope-tolerance 0 --forest
run "forest + envelope 0.1 on dev,std (old default)" --derived dev,std --envelope-tolerance 0.1 --forest
run "forest + envelope 1.0 on dev,std" --derived dev,std --envelope-tolerance 1.0 --forest
run "forest + envelope 1.0 on mean, window 10" --envelope-tolerance 1.0 --forest
for window in 10 20 30; do
    for tolerance in 0.5 1.0 1.5 2.0; do
        label="envelope $tolerance on mean, window $window"
        [ "$window" = 10 ] && [ "$tolerance" = 1.0 ] && label="**$label (default)**"
        run "$label" --window "$window" --envelope-tolerance "$tolerance"
    done
done
