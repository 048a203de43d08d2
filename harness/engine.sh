#!/usr/bin/env bash
# Makes sure a Docker engine answers. When none does, starts Debian's dockerd in the background
# and waits for it, at most HARNESS_ENGINE_WAIT seconds (default 60).
set -euo pipefail

if docker info >/dev/null 2>&1; then
    exit 0
fi
if ! command -v dockerd >/dev/null; then
    echo "engine: no Docker engine answers and dockerd is missing (apt-get install docker.io)" >&2
    exit 1
fi
if [ "$(id -u)" != 0 ]; then
    echo "engine: no Docker engine answers, and starting dockerd needs root" >&2
    exit 1
fi

log=${HARNESS_DOCKERD_LOG:-/var/log/coreos-cluster-harness-dockerd.log}
echo "engine: starting dockerd, log in $log" >&2
setsid nohup dockerd >"$log" 2>&1 </dev/null &

wait_seconds=${HARNESS_ENGINE_WAIT:-60}
for _ in $(seq "$wait_seconds"); do
    if docker info >/dev/null 2>&1; then
        echo "engine: dockerd is up" >&2
        exit 0
    fi
    sleep 1
done
echo "engine: dockerd did not answer within ${wait_seconds} s; its last lines:" >&2
tail -n 20 "$log" >&2
exit 1
