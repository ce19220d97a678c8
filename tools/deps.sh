#!/bin/sh
# Installs the Debian packages that the build, `make run` and the tests need.
# Idempotent and non-interactive: prints nothing and installs nothing when all are present.
set -e
PKGS="nasm qemu-system-x86 bochs bochsbios vgabios libcmocka-dev python3 gcc make binutils"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $missing
