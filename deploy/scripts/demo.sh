#!/usr/bin/env bash
# The whole demo on one machine: a local mosquitto, a model trained on generated normal data, the
# anomaly agent with its dashboard, and the sensor emulator with four pumps. It injects a vibration
# spike after 20 s so that an alert is certain, prints the dashboard URL and how to watch, and stops
# everything it started on Ctrl-C or after --duration.
#
#   deploy/scripts/demo.sh [--duration SECONDS] [--port PORT] [--http-port PORT] [--check]
#
# --check (for CI): exit non-zero unless anomaly events and health reports arrived on alerts/# and the
# dashboard answered (/readyz ready, /metrics counting scored messages).
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=0; port=""; http_port=""; check=0
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration="$2"; shift 2 ;;
        --port) port="$2"; shift 2 ;;
        --http-port) http_port="$2"; shift 2 ;;
        --check) check=1; shift ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

say() { printf '\033[1mdemo:\033[0m %s\n' "$*" >&2; }

deploy/scripts/install-deps.sh
say "building release binaries (the first build takes a few minutes) …"
swift build -c release --product anomaly-agent >&2
swift build -c release --product sensor-emulator >&2
bin=.build/release

work=.demo
rm -rf "$work"; mkdir -p "$work"
# A free loopback port, found with bash alone (a fresh gateway may have no python).
free_port() {
    local candidate
    for _ in $(seq 50); do
        candidate=$(( 20000 + RANDOM % 30000 ))
        (echo > "/dev/tcp/127.0.0.1/$candidate") 2>/dev/null || { echo "$candidate"; return; }
    done
}
[ -n "$port" ] || port=$(free_port)
if [ -z "$http_port" ]; then
    # 8080 when it is free (the agent's default), else any free port.
    if (echo > /dev/tcp/127.0.0.1/8080) 2>/dev/null; then http_port=$(free_port); else http_port=8080; fi
fi

pids=()
cleanup() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    say "stopped everything it started; logs are in $work/"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The broker: deploy's local configuration plus a loopback listener on the chosen port.
cp deploy/mosquitto/local.conf "$work/mosquitto.conf"
{ echo "listener $port 127.0.0.1"; [ "$(id -u)" -eq 0 ] && echo "user root"; } >> "$work/mosquitto.conf"
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
"$mosquitto_bin" -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
say "mosquitto listening on 127.0.0.1:$port"

say "generating 2 hours of normal data and training a model …"
"$bin/sensor-emulator" generate --output-dir "$work/data" --devices 4 --rate 1 --training-duration 2h --duration 10m --seed 7 > "$work/generate.log"
"$bin/anomaly-agent" train --data "$work/data/train.csv" --output "$work/model.json" | tee "$work/train.log" >&2

"$bin/anomaly-agent" run --broker-port "$port" --model "$work/model.json" --health-interval 5 \
    --http-port "$http_port" --emulator emulator-01 --store-path "$work/event-journal.jsonl" > "$work/agent.log" 2>&1 &
pids+=($!)
mosquitto_sub -p "$port" -t 'alerts/#' -v > "$work/alerts.log" 2>&1 &
pids+=($!)
sleep 1
"$bin/sensor-emulator" publish --port "$port" --devices 4 --rate 5 --control --truth-log "$work/truth.jsonl" \
    --progress-interval 0 > "$work/emulator.log" 2>&1 &
pids+=($!)

cat >&2 <<TEXT

  The agent, the emulator (4 pumps, 5 readings/s each) and mosquitto are running.
  Dashboard:               http://127.0.0.1:$http_port/   (metrics: http://127.0.0.1:$http_port/metrics)
  Watch the alerts:        mosquitto_sub -p $port -t 'alerts/#' -v
  Watch the telemetry:     mosquitto_sub -p $port -t 'sensors/#' -v
  Inject an anomaly:       mosquitto_pub -p $port -t emulator/emulator-01/control -m '{"command":"inject","device":"pump-02","kind":"spike","sensors":["current"],"duration":3,"magnitude":1.5}'
  The dashboard's Inject button does the same. Logs: $work/. Ctrl-C stops everything.

TEXT

sleep 20
say "injecting a vibration spike on pump-01"
mosquitto_pub -p "$port" -q 1 -t emulator/emulator-01/control \
    -m '{"command":"inject","device":"pump-01","kind":"spike","sensors":["vibration"],"duration":3,"magnitude":2}'

if [ "$duration" -gt 0 ]; then
    sleep $(( duration > 20 ? duration - 20 : 1 ))
else
    while true; do sleep 3600; done
fi

events=$(grep -c '/anomaly ' "$work/alerts.log" || true)
health=$(grep -c '/health ' "$work/alerts.log" || true)
say "received $events anomaly event messages and $health health reports on alerts/#"
grep '/anomaly ' "$work/alerts.log" | head -3 | cut -c1-300 >&2 || true
if [ "$check" -eq 1 ] && { [ "$events" -eq 0 ] || [ "$health" -eq 0 ]; }; then
    say "check failed: expected anomaly events and health reports"
    exit 1
fi
if [ "$check" -eq 1 ]; then
    ready=$(curl -s "http://127.0.0.1:$http_port/readyz" || true)
    scored=$(curl -s "http://127.0.0.1:$http_port/metrics" | awk '$1 == "edge_anomaly_messages_scored_total" { print $2 }')
    say "dashboard: /readyz says '${ready}', /metrics counts ${scored:-no} scored messages"
    if [ "$ready" != "connected, model loaded" ] || [ "${scored:-0}" -eq 0 ]; then
        say "check failed: the dashboard did not answer as expected"
        exit 1
    fi
fi
