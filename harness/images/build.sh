#!/usr/bin/env bash
# Builds one harness image from Debian packages with mmdebstrap and imports it into the local
# Docker engine, tagged by a hash of its inputs; a tag already present is the cache and is reused.
# Usage: build.sh NAME, with NAME.packages (one package a line), NAME.setup.sh (run inside the new
# root as a customize hook) and NAME.docker (docker import --change lines) beside this script.
# Prints the image's tag on stdout; progress goes to stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
name=${1:?usage: build.sh NAME}
packages=$here/$name.packages
setup=$here/$name.setup.sh
changes=$here/$name.docker
for input in "$packages" "$setup" "$changes"; do
    [ -f "$input" ] || { echo "build.sh: no $input for image $name" >&2; exit 2; }
done

hash=$(cat "$here/build.sh" "$packages" "$setup" "$changes" | sha256sum | cut -c1-16)
tag=coreos-cluster-harness/$name:$hash
if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "image $name: cached as $tag" >&2
    echo "$tag"
    exit 0
fi

# The Debian entries of this machine's apt sources, read now and never written into a file.
debian_sources() {
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        cat /etc/apt/sources.list.d/debian.sources
    elif [ -f /etc/apt/sources.list ]; then
        grep -E '^deb[[:space:]].*/debian(-security)?/?[[:space:]]' /etc/apt/sources.list
    else
        echo "build.sh: no apt sources on this machine to read a Debian mirror from" >&2
        return 1
    fi
}
suite=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
[ -n "$suite" ] || { echo "build.sh: no VERSION_CODENAME in /etc/os-release" >&2; exit 2; }
sources=$(debian_sources)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$setup" "$work/setup.sh"

echo "image $name: building from Debian $suite packages with mmdebstrap" >&2
includes=$(grep -vE '^[[:space:]]*(#|$)' "$packages" | paste -sd, -)
# The hooks' "$1" is the new root, expanded by mmdebstrap.
# shellcheck disable=SC2016
printf '%s\n' "$sources" | mmdebstrap --quiet --variant=apt --include="$includes" \
    --customize-hook="copy-in $work/setup.sh /tmp" \
    --customize-hook='chroot "$1" sh -eu /tmp/setup.sh' \
    --customize-hook='rm -f "$1/tmp/setup.sh" "$1/etc/apt/sources.list"' \
    --customize-hook='rm -rf "$1"/etc/apt/sources.list.d/* "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    "$suite" "$work/rootfs.tar" -

args=()
while IFS= read -r change; do
    case $change in '' | '#'*) continue ;; esac
    args+=(--change "$change")
done <"$changes"
docker import "${args[@]}" "$work/rootfs.tar" "$tag" >/dev/null
echo "image $name: built $tag" >&2
echo "$tag"
