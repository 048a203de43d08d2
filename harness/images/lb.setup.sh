#!/bin/sh
# Runs inside the new root of image lb while it is built (build.sh).
mkdir -p /run/haproxy
