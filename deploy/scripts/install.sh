#!/usr/bin/env bash
# Installs edge-anomaly on this gateway: release binaries to /usr/local/bin, the configuration to
# /etc/edge-anomaly (kept if present), the systemd units, and a dedicated system user.
#
#   sudo deploy/scripts/install.sh [--with-emulator] [--prefix /usr/local]
#
# It does not start anything: put a model at /var/lib/edge-anomaly/model.json (anomaly-agent train)
# or set learn.seconds in /etc/edge-anomaly/agent.json, then `systemctl enable --now anomaly-agent`.
set -euo pipefail
cd "$(dirname "$0")/../.."
prefix=/usr/local; emulator=0
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="$2"; shift 2 ;;
        --with-emulator) emulator=1; shift ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "install: unknown option $1" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "install: run as root (sudo)" >&2; exit 1; }

deploy/scripts/install-deps.sh
swift build -c release --product anomaly-agent
[ "$emulator" -eq 1 ] && swift build -c release --product sensor-emulator
install -m 0755 .build/release/anomaly-agent "$prefix/bin/anomaly-agent"
[ "$emulator" -eq 1 ] && install -m 0755 .build/release/sensor-emulator "$prefix/bin/sensor-emulator"

getent passwd edge-anomaly >/dev/null || useradd --system --home-dir /var/lib/edge-anomaly --shell /usr/sbin/nologin edge-anomaly
install -d -m 0750 -o root -g edge-anomaly /etc/edge-anomaly
if [ ! -f /etc/edge-anomaly/agent.json ]; then
    # The example with the model where the service can write it (learn mode saves there).
    sed 's#"path": "model.json"#"path": "/var/lib/edge-anomaly/model.json"#' config/agent.json > /etc/edge-anomaly/agent.json
    chmod 0640 /etc/edge-anomaly/agent.json; chgrp edge-anomaly /etc/edge-anomaly/agent.json
fi
install -d -m 0750 -o edge-anomaly -g edge-anomaly /var/lib/edge-anomaly
install -m 0644 deploy/systemd/anomaly-agent.service /etc/systemd/system/anomaly-agent.service
[ "$emulator" -eq 1 ] && install -m 0644 deploy/systemd/sensor-emulator.service /etc/systemd/system/sensor-emulator.service
install -d "$prefix/share/doc/edge-anomaly" && install -m 0644 README.md "$prefix/share/doc/edge-anomaly/README.md"
systemctl daemon-reload 2>/dev/null || echo "install: systemd is not running here; units installed but not loaded" >&2
echo "installed; next: a model at /var/lib/edge-anomaly/model.json, then: systemctl enable --now anomaly-agent" >&2
