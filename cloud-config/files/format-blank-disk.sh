#!/bin/bash
# Formats a disk as ext4 only when it holds no file system yet, so a replaced machine keeps
# the images on its registry disk.
# Usage: format-blank-disk DEVICE LABEL
set -euo pipefail

device=$1
label=$2

if blkid "$device" >/dev/null; then
  echo "$device already holds a file system; keeping it"
  exit 0
fi
mkfs.ext4 -L "$label" "$device"
