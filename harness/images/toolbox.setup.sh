#!/bin/sh
# Runs inside the new root of image toolbox while it is built (build.sh).
mkdir -p /data
