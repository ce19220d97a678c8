#!/bin/bash
# Host check of the static ERTS: runs build/erts/beam.smp directly on Linux,
# without erlexec, with the argv and boot archive root a HydrOS core uses
# (tests/host/erts_argv.sh), and checks that it boots, evaluates, refuses to
# spawn OS processes (beam-patches/0001) and keeps running, reads files from
# the root, runs the old shell on stdin, and halts cleanly. Prints boot times.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/host/erts_argv.sh

fails=0
pass() { printf 'ok   %s\n' "$1"; }
fail() { printf 'FAIL %s\n' "$1"; printf '     %s\n' "${@:2}"; fails=$((fails + 1)); }

# check NAME EXPECTED-REGEX EXPR: boots with -noshell -eval EXPR; the output
# must match and the exit status must be 0.
check() {
    local name=$1 want=$2 out rc=0
    out=$(erts_run -noshell -eval "$3" </dev/null 2>&1) || rc=$?
    if [ $rc -eq 0 ] && grep -Eq "$want" <<<"$out"; then pass "$name"
    else fail "$name" "exit $rc, wanted /$want/, got:" "$(head -c 2000 <<<"$out")"; fi
}

echo "== $ERTS_BEAM ($(stat -c %s "$ERTS_BEAM") bytes; $ERTS_HOSTNAME_MODE)"
if readelf -hlW "$ERTS_BEAM" | grep -q 'EXEC (Executable file)' && ! readelf -lW "$ERTS_BEAM" | grep -q INTERP
then pass "beam.smp is a static ELF executable (no PT_INTERP)"
else fail "beam.smp is a static ELF executable (no PT_INTERP)" "$(readelf -hlW "$ERTS_BEAM" | grep -E 'Type:|INTERP')"; fi

check "boots and evaluates" '^result 42$' \
    'io:format("result ~p~n", [6 * 7]), halt().'

# os:cmd/1 turns the enotsup of open_port into badarg (cause {open_port, enotsup}).
check "open_port spawn raises enotsup, node keeps running" '^spawn enotsup exec enotsup cmd badarg alive 3$' \
    'F = fun(Fun) -> try Fun() catch error:E -> E end end,
     S = F(fun() -> open_port({spawn, "ls"}, []) end),
     X = F(fun() -> open_port({spawn_executable, "/bin/ls"}, []) end),
     C = F(fun() -> os:cmd("ls") end),
     timer:sleep(50),
     Alive = length([P || P <- [whereis(init), whereis(code_server), whereis(user)], is_pid(P)]),
     io:format("spawn ~p exec ~p cmd ~p alive ~p~n", [S, X, C, Alive]), halt().'

# The archive's .beam files are beam_lib:strip'ped, which also gzips them.
beam=$(ls "$ERTS_ROOT"/lib/stdlib-*/ebin/lists.beam)
check "file:read_file of a beam in the root" "^read $(stat -c %s "$beam") bytes, loadable true\$" \
    "{ok, B} = file:read_file(\"$beam\"),
     {ok, {lists, [{exports, [_ | _]}]}} = beam_lib:chunks(B, [exports]),
     io:format(\"read ~p bytes, loadable ~p~n\", [byte_size(B), code:is_loaded(lists) =/= false]), halt()."

check "name lookups come from files, not inet_gethost" '^lookup \[file\] localhost ok$' \
    '{ok, _} = inet:gethostbyname("localhost"),
     io:format("lookup ~p localhost ok~n", [inet_db:res_option(lookup)]), halt().'

check "halt(0) from a process exits 0" '^bye$' \
    'spawn(fun() -> io:format("bye~n"), erlang:halt(0) end), timer:sleep(infinity).'

# The old shell (no termcap) on stdin, as the console node runs it.
rc=0
out=$(printf 'X = 6 * 7.\nX + 1.\nhalt().\n' | erts_run 2>&1) || rc=$?
if [ $rc -eq 0 ] && grep -q '^Eshell V' <<<"$out" && grep -q '> 43$' <<<"$out"; then
    pass "old shell on stdin evaluates and halt(). exits 0"
else fail "old shell on stdin evaluates and halt(). exits 0" "exit $rc, got:" "$out"; fi

# Boot time: wall and CPU seconds of boot-to-halt, best of 5 (the namespace
# or strace wrapper of erts_run included).
TIMEFORMAT='%R %U %S'
best_wall=9999 best_cpu=9999
for _ in 1 2 3 4 5; do
    t=$( { time erts_run -noshell -eval 'halt().' </dev/null >/dev/null 2>&1; } 2>&1 )
    read -r w u s <<<"$t"
    best_wall=$(awk -v a="$best_wall" -v b="$w" 'BEGIN { print (b < a) ? b : a }')
    best_cpu=$(awk -v a="$best_cpu" -v b="$u" -v c="$s" 'BEGIN { print (b + c < a) ? b + c : a }')
done
echo "boot to halt (best of 5): ${best_wall} s wall, ${best_cpu} s CPU"
if command -v perf >/dev/null && perf stat -x, -e instructions:u true >/dev/null 2>&1; then
    n=$(perf stat -x, -e instructions:u -- bash -c '. tests/host/erts_argv.sh; erts_run -noshell -eval "halt()." </dev/null >/dev/null' 2>&1 | grep instructions | cut -d, -f1)
    case $n in [0-9]*) echo "boot to halt: $n user-mode instructions (perf stat)";; esac
fi

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all ERTS host checks passed"
