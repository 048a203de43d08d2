#!/bin/sh
# Runs inside the new root of image registry while it is built (build.sh).
# Where and how the upstream registry image serves; TLS and auth come from the unit's variables.
cat >/etc/docker/registry/config.yml <<'CONFIG'
version: 0.1
storage:
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
CONFIG
