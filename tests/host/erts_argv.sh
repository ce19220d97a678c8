# Sourced by the host checks: how a HydrOS core starts ERTS, replayed on Linux.
# The kernel runs bin/beam.smp of the boot archive with the argv below, the
# archive root as `/` (so -root / -bindir /bin -kernel inetrc '"/etc/inetrc"'),
# an environment of its own and uname's node name hydros.local. Here the root
# is build/rootfs (also the working directory) and the environment is empty
# but for ERL_CRASH_DUMP_BYTES=0.
#
# The node name matters on Linux: inet_config looks its own host name up
# (through the inet_gethost port program, which cannot be spawned, and
# inet_gethost_native then halts the node) when uname gives a name without a
# domain AND a UDP socket can be opened. So the checks run in a UTS namespace
# named hydros.local when they can, else with socket() failing (ENOSYS, as on
# HydrOS today: then the host name is "nohost.nodomain" and nothing is looked up).

ERTS_BEAM=${ERTS_BEAM:-$PWD/build/erts/beam.smp}
ERTS_ROOT=${ERTS_ROOT:-$PWD/build/rootfs}

# Emulator flags take one dash when there is no erlexec; init's flags follow `--`.
ERTS_EMU_FLAGS=(-S 1:1 -SDcpu 1:1 -SDio 1 -A 1 -sbwt none -sbwtdcpu none -sbwtdio none)
erts_init_flags() {
    ERTS_INIT_FLAGS=(-root "$ERTS_ROOT" -bindir "$ERTS_ROOT/bin" -progname erl -home "$ERTS_ROOT"
        -setcookie hydros -kernel inetrc "\"$ERTS_ROOT/etc/inetrc\"")
}

if [ -z "${ERTS_HOSTNAME_MODE:-}" ]; then
    if unshare -u true 2>/dev/null; then ERTS_HOSTNAME_MODE=uts
    elif unshare -r -u true 2>/dev/null; then ERTS_HOSTNAME_MODE=userns
    elif command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then ERTS_HOSTNAME_MODE=nosocket
    else ERTS_HOSTNAME_MODE=plain
    fi
fi

# erts_run INIT-ARGS...: boots the node with the argv above plus INIT-ARGS
# (e.g. -noshell -eval '...'), stdin/stdout/stderr passed through, 60 s at most.
# With ERTS_STRACE_OUT=FILE the run is traced (strace -f) into FILE.
erts_run() {
    erts_init_flags
    local pre trace=()
    [ -z "${ERTS_STRACE_OUT:-}" ] || trace=(strace -f -qq -o "$ERTS_STRACE_OUT")
    case $ERTS_HOSTNAME_MODE in
    uts)      pre=(unshare -u sh -c 'hostname hydros.local && exec "$@"' sh "${trace[@]}");;
    userns)   pre=(unshare -r -u sh -c 'hostname hydros.local && exec "$@"' sh "${trace[@]}");;
    nosocket) pre=(strace -f -qq -o "${ERTS_STRACE_OUT:-/dev/null}" -e inject=socket:error=ENOSYS)
              [ -n "${ERTS_STRACE_OUT:-}" ] || pre+=(-e trace=socket);;
    plain)    pre=("${trace[@]}");;
    *)        echo "erts_argv.sh: unknown ERTS_HOSTNAME_MODE=$ERTS_HOSTNAME_MODE" >&2; return 2;;
    esac
    # The working directory is the root, as on a core (the code path starts with ".").
    (cd "$ERTS_ROOT" && exec timeout 60 "${pre[@]}" env -i ERL_CRASH_DUMP_BYTES=0 \
        "$ERTS_BEAM" "${ERTS_EMU_FLAGS[@]}" -- "${ERTS_INIT_FLAGS[@]}" "$@")
}
