#!/bin/sh
# Installs the Debian packages that the build, `make run` and the tests need,
# and the deb-src entry that `apt-get source erlang` (tools/build-erts.sh) needs.
# Idempotent and non-interactive: prints nothing and installs nothing when all are present.
set -e
# kernel, images, tests
PKGS="nasm qemu-system-x86 bochs bochsbios vgabios libcmocka-dev python3 gcc make binutils"
# ERTS: static musl build (tools/build-erts.sh), boot archive (tools/mkrootfs.py),
# host checks (tests/host/); erlang-base gives the kernel/stdlib .beam files and erl,
# erlang-dev the driver headers (bifs/), erlang-eunit the host tests of erlang_os/;
# the rest, the OTP applications every image carries (mk/erts.mk: OTP_APPS).
PKGS="$PKGS musl-tools linux-libc-dev erlang-base erlang-dev erlang-eunit dpkg-dev perl m4 strace"
PKGS="$PKGS erlang-runtime-tools erlang-tools erlang-mnesia erlang-crypto erlang-asn1 erlang-public-key"
PKGS="$PKGS erlang-common-test erlang-xmerl"
# rebar3: tests/boot/test_release.py builds examples/hello_rel as a user would
# (it depends on Debian's whole `erlang`, which is a minute more to install).
PKGS="$PKGS rebar3"
# Elixir 1.14 (made for OTP 25): `make image ELIXIR=1` puts it on the nodes;
# tests/boot/test_elixir.py builds examples/hello_ex with its mix.
PKGS="$PKGS elixir"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
updated=""

# deb-src for bookworm, in a file of our own (the machine's debian.sources is
# deb822 and may list only `Types: deb`). Written once; apt-get update runs
# only when the file is new or its Sources index has never been fetched.
SRC_FILE=/etc/apt/sources.list.d/hydros-deb-src.sources
if ! grep -rqsE '^(Types:.*deb-src|deb-src[[:space:]].*bookworm)' \
        /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null; then
    echo "deps: adding deb-src entries ($SRC_FILE)"
    $SUDO tee "$SRC_FILE" >/dev/null <<'EOF'
# Added by tools/deps.sh: source packages for `apt-get source erlang`.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
fi
set -- /var/lib/apt/lists/*_source_Sources*
if [ ! -e "$1" ]; then
    $SUDO apt-get update -q >/dev/null
    updated=1
fi

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
[ -n "$updated" ] || $SUDO apt-get update -q
# shellcheck disable=SC2086 # $missing is a list of words
$SUDO apt-get install -y -q --no-install-recommends $missing
