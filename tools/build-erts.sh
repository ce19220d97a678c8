#!/bin/bash
# Builds the ERTS that every core runs: OTP's beam.smp from Debian's `erlang`
# source package (the version of the installed erlang-base), patched with
# beam-patches/*.patch, statically linked against musl. Everything is cached
# under build/; a second run with nothing changed returns at once.
#   build/otp-src/   apt-get source, pristine (Debian's patches applied by dpkg-source)
#   build/otp/       the build tree: a copy with beam-patches applied, configured, built
#   build/erts/      beam.smp, beam.smp.stripped, fetch/configure/make logs,
#                    drivers/ (OTP's port drivers linked in: OTP_DRIVERS)
#   build/openssl/       libcrypto for the crypto NIF (tools/build-openssl.sh, run first)
# Environment: ERTS_STATIC_DRIVERS="/abs/a.a,/abs/b.a" links static port drivers
# in (`--enable-static-drivers=`); JOBS overrides make's -j (default: nproc);
# ERTS_VARIANT=nocaps builds, in build/otp-nocaps and build/erts-nocaps, the
# same ERTS without the capabilities patches (0002, 0003), for bench/caps.
# The work is in functions called from main at the end, so bash has read the
# whole file before it runs anything (editing it during a build is safe).
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
SRC=$TOP/build/otp-src
TREE=$TOP/build/otp
OUT=$TOP/build/erts
JOBS=${JOBS:-$(nproc)}
STATIC_DRIVERS=${ERTS_STATIC_DRIVERS:-}
PATCHES=(beam-patches/*.patch)
# Our C inside the emulator (beam-patches/0002 compiles it in): copied into
# erts/emulator/beam, only when changed, so make recompiles only what did.
OWN_SOURCES=(bifs/hydros_cap.c bifs/hydros_io.c bifs/hydros_bif.h percore/hydros_abi.h)
case ${ERTS_VARIANT:-} in
"") ;;
nocaps)
    TREE=$TOP/build/otp-nocaps OUT=$TOP/build/erts-nocaps OWN_SOURCES=()
    PATCHES=($(printf '%s\n' "${PATCHES[@]}" | grep -Ev -- '-hydros-capabilities(-kernel)?\.patch$'));;
*) printf 'build-erts: unknown ERTS_VARIANT=%s\n' "$ERTS_VARIANT" >&2; exit 2;;
esac

# OpenSSL's libcrypto, static and built with musl (tools/build-openssl.sh),
# for crypto's NIF, which --enable-static-nifs links in with asn1's.
SSL=$TOP/build/openssl/install
# Why each flag: docs/erts-build.md.
CONFIGURE_FLAGS=(
    CC=musl-gcc LDFLAGS=-static
    --disable-jit --without-termcap --enable-static-nifs
    "--with-ssl=$SSL" --disable-dynamic-ssl-lib "LIBS=$SSL/lib64/libcrypto.a"
    --without-javac --without-wx --without-odbc
    --disable-sctp
    --without-common_test --without-megaco --without-snmp
    ac_cv_header_sys_timerfd_h=no
)
# OTP's own port drivers that we link in as well (a node loads no shared
# library): trace_file_drv, which fprof and dbg:trace_port(file, ...) open.
# Built from the fetched source (build_otp_drivers) into build/erts*/drivers.
OTP_DRIVERS=("$OUT/drivers/trace_file_drv.a")
CONFIGURE_FLAGS+=("--enable-static-drivers=${STATIC_DRIVERS:+$STATIC_DRIVERS,}$(IFS=,; echo "${OTP_DRIVERS[*]}")")

say() { printf '[erts %s] %s\n' "$(date +%T)" "$*"; }
die() { printf 'build-erts: %s\n' "$*" >&2; exit 1; }

# Everything the result depends on, hashed: nothing changed means nothing to do.
fingerprint() {
    {
        echo "$VERSION"
        printf '%s\n' "${CONFIGURE_FLAGS[@]}"
        cat tools/build-erts.sh "${PATCHES[@]}" "${OWN_SOURCES[@]}" "$SSL/.done" 2>/dev/null
        if [ -n "$STATIC_DRIVERS" ]; then
            tr ',' '\n' <<<"$STATIC_DRIVERS" | xargs cat
        fi
    } | sha256sum | cut -d' ' -f1
}

# 1. Source: fetched once per erlang-base version.
fetch_source() {
    if [ "$(cat "$SRC/.version" 2>/dev/null)" != "$VERSION" ]; then
        say "fetching erlang=$VERSION source (apt-get source, about 48 MB)"
        rm -rf "$SRC" && mkdir -p "$SRC"
        (cd "$SRC" && apt-get source -q "erlang=$VERSION") >"$OUT/fetch.log" 2>&1 ||
            { tail -20 "$OUT/fetch.log"; die "apt-get source failed (deb-src entries: tools/deps.sh)"; }
        echo "$VERSION" >"$SRC/.version"
    fi
    SRCDIR=$(find "$SRC" -mindepth 1 -maxdepth 1 -type d -name 'erlang-*' | head -1)
    [ -f "$SRCDIR/OTP_VERSION" ] || die "no unpacked source under $SRC"
}

# 2. Build tree: a copy of the pristine source (a new version starts afresh).
fresh_tree() {
    say "copying the source to $TREE"
    rm -rf "$TREE"
    cp -a "$SRCDIR" "$TREE"
    mkdir "$TREE/.hydros-patches"
    echo "$VERSION" >"$TREE/.hydros-version"
}

# 3. beam-patches: the series applied is kept in .hydros-patches. When it
# differs, take the old series off (newest first) and put the new one on;
# patch touches only the files it changes, so make rebuilds only those.
apply_patches() {
    local applied i p
    [ "$(cd "$TREE/.hydros-patches" && cat *.patch 2>/dev/null | sha256sum)" = "$(cat "${PATCHES[@]}" | sha256sum)" ] &&
        return 0
    applied=("$TREE/.hydros-patches/"*.patch)
    for ((i = ${#applied[@]} - 1; i >= 0; i--)); do
        p=${applied[i]}
        [ -e "$p" ] || continue
        say "reverting $(basename "$p")"
        patch -d "$TREE" -p1 -R -s --no-backup-if-mismatch <"$p" || { fresh_tree; break; }
    done
    rm -f "$TREE/.hydros-patches/"*.patch
    for p in "${PATCHES[@]}"; do
        [ -e "$p" ] || continue
        say "applying $(basename "$p")"
        patch -d "$TREE" -p1 -s --forward --no-backup-if-mismatch <"$p" ||
            die "$p does not apply to OTP $(cat "$TREE/OTP_VERSION")"
        cp "$p" "$TREE/.hydros-patches/"
    done
    # configure wrote the emulator's Makefile from Makefile.in, which a
    # patch may change: write it again (seconds; the flags stay).
    if [ -f "$TREE/erts/config.status" ]; then
        say "config.status (the patched Makefile.in)"
        (cd "$TREE/erts" && ./config.status) >"$OUT/config-status.log" 2>&1 ||
            { tail -20 "$OUT/config-status.log"; die "config.status failed"; }
    fi
}

# Our own sources in the tree, copied only when they differ.
copy_own_sources() {
    local f
    for f in "${OWN_SOURCES[@]}"; do
        cmp -s "$f" "$TREE/erts/emulator/beam/$(basename "$f")" ||
            cp "$f" "$TREE/erts/emulator/beam/"
    done
}

# OTP's drivers in OTP_DRIVERS, each NAME.a from NAME.c of the source with
# NAME_driver_init (DRIVER_INIT under -DSTATIC_ERLANG_DRIVER), as
# --enable-static-drivers wants them. Headers: the same release's erlang-dev.
build_otp_drivers() {
    local a name src
    mkdir -p "$OUT/drivers"
    for a in "${OTP_DRIVERS[@]}"; do
        name=$(basename "$a" .a)
        src=$(find "$TREE/lib" -path "*/c_src/$name.c" | head -1)
        [ -n "$src" ] || die "no $name.c in $TREE/lib"
        musl-gcc -std=gnu11 -O2 -g -DSTATIC_ERLANG_DRIVER -I/usr/lib/erlang/usr/include \
            -c -o "$OUT/drivers/$name.o" "$src"
        rm -f "$a" && ar rcsD "$a" "$OUT/drivers/$name.o"
    done
}

# 4. configure, again only when the flags changed.
configure_tree() {
    if [ "$(cat "$TREE/.hydros-configured" 2>/dev/null)" != "${CONFIGURE_FLAGS[*]}" ]; then
        say "configure ${CONFIGURE_FLAGS[*]} (1-2 min; log: build/erts/configure.log)"
        rm -f "$TREE/.hydros-configured"
        (cd "$TREE" && ./configure "${CONFIGURE_FLAGS[@]}") >"$OUT/configure.log" 2>&1 ||
            { tail -30 "$OUT/configure.log"; die "configure failed"; }
        echo "${CONFIGURE_FLAGS[*]}" >"$TREE/.hydros-configured"
    fi
    TARGET=$(sed -n 's/^TARGET[[:space:]]*:=[[:space:]]*//p' "$TREE/Makefile")
    [ -n "$TARGET" ] || die "no TARGET in $TREE/Makefile"
}

# 5. The emulator only (erts/emulator, interpreter flavor "emu"): no erlexec,
# no start scripts, no libraries; the .beam files come from erlang-base.
# Prints a line every 50 files compiled and one for each link.
build_emulator() {
    local rc
    say "make -j$JOBS erts/emulator (2-3 min from scratch on 2 cores; log: build/erts/make.log)"
    set +e
    make -C "$TREE/erts/emulator" -j"$JOBS" opt FLAVOR=emu TARGET="$TARGET" 2>&1 |
        tee "$OUT/make.log" |
        { n=0; while IFS= read -r line; do
            case $line in
            " CC"*|" EMU_CC"*|" CXX"*) n=$((n + 1)); [ $((n % 50)) -ne 0 ] || say "  $n files compiled";;
            " LD"*) say "  ${line# }";;
            esac
        done; }
    rc=${PIPESTATUS[0]}
    set -e
    [ "$rc" -eq 0 ] || { grep -E 'error|Error' "$OUT/make.log" | tail -20; die "make failed (build/erts/make.log)"; }
    say "  $(grep -cE '^ (EMU_)?CC' "$OUT/make.log") files compiled"
}

# 6. Results: beam.smp (with symbols, for gdb) and a stripped copy (for the archive).
install_results() {
    local beam=$TREE/bin/$TARGET/beam.smp
    ! readelf -lW "$beam" | grep -q INTERP || die "$beam is not static"
    if ! cmp -s "$beam" "$OUT/beam.smp" || [ ! -f "$OUT/beam.smp.stripped" ]; then
        cp "$beam" "$OUT/beam.smp.new" && mv "$OUT/beam.smp.new" "$OUT/beam.smp"
        strip -o "$OUT/beam.smp.stripped" "$OUT/beam.smp"
    fi
    echo "$INPUTS" >"$OUT/.inputs"
    say "${OUT#$TOP/}/beam.smp: $(stat -c %s "$OUT/beam.smp") bytes, stripped $(stat -c %s "$OUT/beam.smp.stripped")"
}

main() {
    # One build at a time: make from several shells (or engineers) may start
    # this together; the one that waits finds the work done.
    mkdir -p "$TOP/build"
    exec 9>"$OUT.lock"
    flock -n 9 || { say "waiting for another build-erts.sh to finish"; flock 9; }

    VERSION=$(dpkg-query -W -f='${Version}' erlang-base 2>/dev/null) ||
        die "erlang-base is not installed (run tools/deps.sh)"
    command -v musl-gcc >/dev/null || die "musl-gcc not found (run tools/deps.sh)"
    tools/build-openssl.sh
    INPUTS=$(fingerprint)
    if [ -x "$OUT/beam.smp" ] && [ "$(cat "$OUT/.inputs" 2>/dev/null)" = "$INPUTS" ]; then
        exit 0
    fi
    mkdir -p "$OUT"
    fetch_source
    [ "$(cat "$TREE/.hydros-version" 2>/dev/null)" = "$VERSION" ] || fresh_tree
    apply_patches
    copy_own_sources
    build_otp_drivers
    export ERL_TOP=$TREE
    configure_tree
    build_emulator
    install_results
}

main "$@"
