#!/usr/bin/env bash
# SKAB's outlier protocol through the agent's pipeline, offline and end to end through a local
# mosquitto (replay -> broker -> agent -> anomaly events), next to the published leaderboard.
#   deploy/scripts/bench-skab.sh [SKAB_DIR] [extra benchmark-skab options]
set -euo pipefail
cd "$(dirname "$0")/../.."
skab="${1:-../shared/datasets/skab}"; shift || true
[ -d "$skab/valve1" ] || { echo "bench-skab: no SKAB data in $skab (give its folder)" >&2; exit 2; }
deploy/scripts/install-deps.sh
swift build -c release --product anomaly-agent >&2
work=$(mktemp -d)
port=$(( 20000 + RANDOM % 30000 ))
cp deploy/mosquitto/local.conf "$work/mosquitto.conf"
{ echo "listener $port 127.0.0.1"; [ "$(id -u)" -eq 0 ] && echo "user root"; } >> "$work/mosquitto.conf"
"$(command -v mosquitto || echo /usr/sbin/mosquitto)" -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
.build/release/anomaly-agent benchmark-skab --dir "$skab" --broker-port "$port" "$@"
