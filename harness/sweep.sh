#!/usr/bin/env bash
# Removes every container, network and volume the harness made: those of run RUN_ID, or of every
# run without an argument. Images stay: they are the cache. Never fails the caller.
set -uo pipefail

label=coreos-cluster-harness${1:+=$1}
containers=$(docker ps --all --quiet --filter "label=$label")
if [ -n "$containers" ]; then
    # shellcheck disable=SC2086 # one id a word
    docker rm --force --volumes $containers >/dev/null
fi
networks=$(docker network ls --quiet --filter "label=$label")
if [ -n "$networks" ]; then
    # shellcheck disable=SC2086
    docker network rm $networks >/dev/null
fi
volumes=$(docker volume ls --quiet --filter "label=$label")
if [ -n "$volumes" ]; then
    # shellcheck disable=SC2086
    docker volume rm --force $volumes >/dev/null
fi
left=$(docker ps --all --quiet --filter "label=$label"; docker network ls --quiet --filter "label=$label";
    docker volume ls --quiet --filter "label=$label")
if [ -n "$left" ]; then
    echo "sweep: could not remove everything labelled $label:" >&2
    echo "$left" >&2
else
    echo "sweep: nothing labelled $label is left" >&2
fi
exit 0
