#!/usr/bin/env bash
# How fast anomaly-agent drains a backlog of journaled events (what piles up during a broker outage) to a
# broker one round trip away: store.maxInFlight 1 (one event per round trip) next to the default 20.
# A local mosquitto sits behind tools/delay_proxy.py, which delays each direction by half the round trip.
#   deploy/scripts/bench-backlog-rtt.sh [ROUND_TRIP_MS (50)] [EVENTS (300)]
set -euo pipefail
cd "$(dirname "$0")/../.."
rtt_ms="${1:-50}"
events="${2:-300}"
swift build -c release --product anomaly-agent >&2
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
broker_port=$(free_port)
proxy_port=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$broker_port" > "$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 & pids+=($!)
python3 tools/delay_proxy.py "$proxy_port" "$broker_port" "$(awk "BEGIN { print $rtt_ms / 2000 }")" & pids+=($!)
sleep 0.5

drain() {  # maxInFlight: prints events per second from the first to the last arrival
    python3 - "$events" > "$work/journal.jsonl" <<'PY'
import json, sys, time
now = int(time.time() * 1000)
for i in range(int(sys.argv[1])):
    payload = json.dumps({"event_id": f"backlog-{i}", "state": "open"})
    print(json.dumps({"n": i + 1, "at": now, "topic": f"alerts/backlog-{i % 50}/anomaly", "retain": False,
                      "historical": True, "payload": payload}))
PY
    rm -f "$work/journal.jsonl.lock"
    echo "{\"store\": {\"maxInFlight\": $1}}" > "$work/agent.json"
    mosquitto_sub -p "$broker_port" -t 'alerts/+/anomaly' -q 1 -F '%U' -C "$events" -W 120 > "$work/arrivals" &
    local subscriber=$!
    sleep 0.5
    # No model file and learn mode on: the agent still publishes its journal.
    .build/release/anomaly-agent run --broker-port "$proxy_port" --config "$work/agent.json" --model "$work/none.json" \
        --learn 1h --store-path "$work/journal.jsonl" --no-http --log-level error &
    local agent=$!
    wait "$subscriber" || true
    kill "$agent"; wait "$agent" 2>/dev/null || true
    python3 -c "
import sys
t = [float(line) for line in open('$work/arrivals')]
if len(t) < $events: sys.exit('only %d of $events events arrived' % len(t))
print('%.0f' % ((len(t) - 1) / (t[-1] - t[0])))"
}
one=$(drain 1)
window=$(drain 20)
echo "bench-backlog-rtt: $events journaled events to a broker $rtt_ms ms away: $one events/s with store.maxInFlight 1, $window events/s with 20 (the default)"
