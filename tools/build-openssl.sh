#!/bin/bash
# Builds OpenSSL's libcrypto for ERTS's crypto NIF: Debian's `openssl` source
# package, compiled with musl-gcc, static only. Cached under build/: a second
# run with nothing changed returns at once.
#   build/openssl-src/   apt-get source, pristine (Debian's patches applied)
#   build/openssl/       the build tree, and install/ (include/, lib64/libcrypto.a)
# tools/build-erts.sh links it into beam.smp (--with-ssl, static NIFs).
# Why each flag: docs/erts-build.md.
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
SRC=$TOP/build/openssl-src
TREE=$TOP/build/openssl/tree
PREFIX=$TOP/build/openssl/install
JOBS=${JOBS:-$(nproc)}
CONFIG=(linux-x86_64 no-shared no-dso no-module no-engine no-async no-afalgeng
        no-tests no-ui-console "--prefix=$PREFIX" "--openssldir=/etc/ssl" CC=musl-gcc
        "-isystem$TOP/build/openssl/kernel-headers")

say() { printf '[openssl %s] %s\n' "$(date +%T)" "$*"; }
die() { printf 'build-openssl: %s\n' "$*" >&2; exit 1; }

# The newest version of the source that the mirror serves whole: a mirror
# may list a security update in its index before it holds the files.
fetch_source() {
    local v
    rm -rf "$SRC" && mkdir -p "$SRC"
    for v in $(apt-cache showsrc openssl | sed -n 's/^Version: //p' | sort -Vr); do
        say "fetching the openssl=$v source (apt-get source, about 15 MB)"
        (cd "$SRC" && apt-get source -q "openssl=$v") >>"$TOP/build/openssl/fetch.log" 2>&1 && return 0
        rm -rf "${SRC:?}"/*
    done
    tail -20 "$TOP/build/openssl/fetch.log"
    die "apt-get source openssl failed for every version (deb-src entries: tools/deps.sh)"
}

# musl's headers stop at libc; OpenSSL also includes a few of Linux's own
# (linux/mman.h). Debian's linux-libc-dev, and only that, beside musl's.
kernel_headers() {
    local d=$TOP/build/openssl/kernel-headers
    rm -rf "$d" && mkdir -p "$d"
    ln -s /usr/include/linux /usr/include/asm-generic "$d/"
    ln -s "/usr/include/$(gcc -dumpmachine)/asm" "$d/asm"
}

main() {
    mkdir -p "$TOP/build/openssl"
    exec 9>"$TOP/build/openssl.lock"
    flock -n 9 || { say "waiting for another build-openssl.sh to finish"; flock 9; }
    command -v musl-gcc >/dev/null || die "musl-gcc not found (run tools/deps.sh)"
    local stamp
    stamp=$({ cat tools/build-openssl.sh; printf '%s\n' "${CONFIG[@]}"; } | sha256sum | cut -d' ' -f1)
    if [ -f "$PREFIX/.done" ] && [ "$(cat "$PREFIX/.done")" = "$stamp" ]; then
        exit 0
    fi
    ls -d "$SRC"/openssl-*/ >/dev/null 2>&1 || fetch_source
    local srcdir
    srcdir=$(ls -d "$SRC"/openssl-*/ | head -1)
    say "building $(basename "$srcdir") with musl-gcc (5-10 min on 2 cores; log: build/openssl/make.log)"
    rm -rf "$TREE" "$PREFIX"
    kernel_headers
    cp -a "$srcdir" "$TREE"
    (cd "$TREE" && ./Configure "${CONFIG[@]}") >"$TOP/build/openssl/configure.log" 2>&1 ||
        { tail -20 "$TOP/build/openssl/configure.log"; die "Configure failed"; }
    (cd "$TREE" && make -j"$JOBS" build_libs && make install_dev) >"$TOP/build/openssl/make.log" 2>&1 ||
        { grep -E 'error' "$TOP/build/openssl/make.log" | tail -20; die "make failed (build/openssl/make.log)"; }
    echo "$stamp" >"$PREFIX/.done"
    say "$(ls "$PREFIX"/lib*/libcrypto.a): $(stat -c %s "$PREFIX"/lib*/libcrypto.a) bytes"
}

main "$@"
