#!/usr/bin/env bash
# Installs the Debian packages edge-anomaly needs, only those missing: the broker and its clients
# (tests start a real mosquitto), the libmosquitto headers (the MQTT module links it), openssl
# (tests make TLS certificates), pkg-config and Chart.js (the dashboard's charts). With --test also what
# the tests use as independent tools: chromium (the dashboard in a real browser), promtool (from
# prometheus, checks /metrics) and curl. Safe to run again; does nothing when all are there.
set -euo pipefail

packages=(mosquitto mosquitto-clients libmosquitto-dev openssl pkg-config libjs-chart.js)
if [ "${1:-}" = "--test" ]; then
    packages+=(chromium prometheus curl)
    shift
fi
packages+=("$@")
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
# An empty or stale package list makes apt-get install fail: refresh it once first.
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts a system-wide mosquitto on port 1883 (and prometheus on 9090) when the packages are
# installed. Tests and the demo run their own processes on free ports, so the system ones are left alone.
