#!/bin/sh
# Installs what bench/boot needs beyond tools/deps.sh: Debian's own Linux
# kernel (the cloud flavour: virtio and a 16550 console built in), the
# system HydrOS is compared with. Idempotent: quiet when it is there.
set -e
PKGS="linux-image-cloud-amd64 musl-tools qemu-system-x86"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "bench deps: installing$missing"
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends $missing
