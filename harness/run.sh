#!/usr/bin/env bash
# Entry of `npm run e2e` and `npm run bench:release`, after tsc: needs root and a Docker engine it
# can start. Whatever happens, removes every container, network and volume of this run at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:?usage: harness/run.sh e2e|bench [ARGS...]}
shift
if [ "$(id -u)" != 0 ]; then
    echo "harness: needs root (it may start dockerd, and builds images with mmdebstrap)" >&2
    exit 1
fi
export HARNESS_RUN_ID=${HARNESS_RUN_ID:-coreos-cluster-harness-$(date +%s)-$$}

harness/engine.sh
cleanup() {
    harness/sweep.sh "$HARNESS_RUN_ID"
    # The run's keys, left behind only when the run was killed.
    rm -rf "${TMPDIR:-/tmp}/$HARNESS_RUN_ID"-*
}
trap cleanup EXIT
trap 'exit 130' INT TERM

case $what in
e2e) npx jest --config harness/jest.config.js "$@" ;;
bench) node build/js/harness/bench.js "$@" ;;
*)
    echo "harness: unknown $what; expected e2e or bench" >&2
    exit 2
    ;;
esac
