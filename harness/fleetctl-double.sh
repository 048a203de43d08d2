#!/bin/sh
# TEST DOUBLE of fleetctl, installed by the local harness as /opt/bin/fleetctl on its control
# node. It is not fleet: fleet 1.0 cannot be installed here. It answers only the subcommands the
# release uses (cat, submit, start, stop, destroy of website1@.service and its instances) by
# running the matching systemctl call on the worker over ssh, with its own key and pinned host
# keys. An instance website1@<machine>.service runs on <machine>, as the template's
# MachineMetadata=cpeer=%i places it in fleet. Runs as root (the release calls it through sudo).
set -eu

store=/var/lib/fleetctl-double
key=/etc/fleetctl-double/id_ed25519
known_hosts=/etc/fleetctl-double/known_hosts

fail() {
    echo "fleetctl (harness double): $*" >&2
    exit 1
}

on_machine() {
    machine=$1
    shift
    ssh -i "$key" -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=10 \
        -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$known_hosts" "core@$machine" "$@"
}

# website1@web1.service -> web1; fails for a template or a unit that names no machine.
machine_of() {
    case $1 in
    *@?*.service) instance=${1#*@} && echo "${instance%.service}" ;;
    *) fail "$1 is not an instance of a template unit" ;;
    esac
}

template_of() {
    echo "${1%%@*}@.service"
}

[ $# -ge 2 ] || fail "usage: fleetctl cat|submit|start|stop|destroy UNIT"
command=$1
unit=$2
mkdir -p "$store"

case $command in
cat)
    [ -f "$store/$unit" ] || fail "Unit $unit not found"
    cat "$store/$unit"
    ;;
submit)
    name=$(basename "$unit")
    [ -f "$unit" ] || fail "no file $unit"
    [ -f "$store/$name" ] || cp "$unit" "$store/$name"
    ;;
start)
    machine=$(machine_of "$unit")
    template=$(template_of "$unit")
    [ -f "$store/$template" ] || fail "Unit $template not found; submit it first"
    on_machine "$machine" "sudo tee /etc/systemd/system/$template >/dev/null" <"$store/$template"
    on_machine "$machine" "sudo systemctl daemon-reload && sudo systemctl start $unit"
    cp "$store/$template" "$store/$unit"
    echo "Unit $unit launched on $machine"
    ;;
stop)
    machine=$(machine_of "$unit")
    [ -f "$store/$unit" ] || fail "Unit $unit not found"
    on_machine "$machine" "sudo systemctl stop $unit"
    echo "Unit $unit loaded on $machine"
    ;;
destroy)
    [ -f "$store/$unit" ] || fail "Unit $unit not found"
    case $unit in
    *@.service) ;;
    *) on_machine "$(machine_of "$unit")" "sudo systemctl stop $unit" ;;
    esac
    rm -f "$store/$unit"
    echo "Destroyed $unit"
    ;;
*)
    fail "subcommand $command is not one the release uses"
    ;;
esac
