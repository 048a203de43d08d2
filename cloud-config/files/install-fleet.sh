#!/bin/bash
# Installs fleetd and fleetctl from fleet's release tarball into /opt/bin (or $FLEET_BIN_DIR).
# Usage: FLEET_SHA256=SUM install-fleet VERSION; with FLEET_SHA256 empty the download relies on
# HTTPS alone.
set -euo pipefail

version=$1
expected_sha256=${FLEET_SHA256:-}
bin_dir=${FLEET_BIN_DIR:-/opt/bin}
marker=$bin_dir/.fleet-$version

if [[ -f $marker && -x $bin_dir/fleetd && -x $bin_dir/fleetctl ]]; then
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$work/fleet.tar.gz

curl --fail --silent --show-error --location --retry 5 --retry-delay 5 \
  --output "$tarball" \
  "https://github.com/coreos/fleet/releases/download/$version/fleet-$version-linux-amd64.tar.gz"

if [[ -n $expected_sha256 ]]; then
  actual_sha256=$(sha256sum "$tarball" | cut -d' ' -f1)
  if [[ $actual_sha256 != "$expected_sha256" ]]; then
    echo "fleet $version: SHA-256 mismatch: expected $expected_sha256, got $actual_sha256" >&2
    exit 1
  fi
else
  echo "fleet $version: no fleetSha256 configured; trusting HTTPS alone" >&2
fi

tar -xzf "$tarball" -C "$work" --strip-components=1
install -m 0755 "$work/fleetd" "$work/fleetctl" "$bin_dir/"
touch "$marker"
echo "fleet $version installed in $bin_dir"
