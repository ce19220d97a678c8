#!/bin/bash
# Lists the Linux system calls that the static ERTS makes, booted as a core
# boots it (tests/host/erts_argv.sh), for the kernel's syscall layer. Two runs
# under strace -f: a -noshell boot that evaluates, is refused a spawn and
# halts, and the old shell on stdin. Writes the report to stdout
# (`make erts-syscalls` keeps it as docs/erts-syscalls.txt).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/host/erts_argv.sh
command -v strace >/dev/null || { echo "erts_syscalls.sh: needs strace" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ERTS_STRACE_OUT=$tmp/eval erts_run -noshell -eval \
    'io:format("~p~n", [6 * 7]), catch open_port({spawn, "ls"}, []),
     {ok, _} = file:read_file(code:which(lists)), halt().' </dev/null >/dev/null
printf 'X = 6 * 7.\ntimer:sleep(200).\nhalt().\n' |
    ERTS_STRACE_OUT=$tmp/shell erts_run >/dev/null

python3 - "$tmp/eval" "$tmp/shell" "$ERTS_BEAM" "$ERTS_ROOT" "$ERTS_HOSTNAME_MODE" <<'EOF'
"""Counts calls and errors per syscall from strace -f -o output, starting at
the execve of beam.smp; a call still blocked at exit counts as a call."""
import collections, re, sys

EXEC = re.compile(r'execve\("[^"]*/beam\.smp"')
CALL = re.compile(r'^\d+ +(?:<\.\.\. )?(\w+)(\(| resumed>)')
ERR = re.compile(r'= -1 (E[A-Z0-9]+)')
PATH = re.compile(r'^\d+ +(open|openat|stat|access|readlink|newfstatat)\((?:AT_FDCWD, )?"([^"]*)"')

def parse(path):
    calls, errs, files, started = collections.Counter(), collections.defaultdict(collections.Counter), {}, False
    last, pending = {}, {}  # pid -> (call, path) of a path call not finished yet
    for line in open(path):
        if not started:
            started = EXEC.search(line) is not None
            if not started:
                continue
        m = CALL.match(line)
        if not m:
            continue
        pid, name, resumed = line.split()[0], m.group(1), m.group(2) != '('
        if not resumed:
            calls[name] += 1
            last[pid] = name
        e = ERR.search(line)
        if e and (resumed or '<unfinished' not in line):
            errs[name][e.group(1)] += 1
        key = None
        p = PATH.match(line)
        if p and '<unfinished' in line:
            pending[pid] = (p.group(1), p.group(2))
        elif p:
            key = (p.group(1), p.group(2))
        elif resumed and pending.get(pid, ("",))[0] == name:
            key = pending.pop(pid)
        if key:
            files.setdefault(key, e.group(1) if e else 'ok')
    return calls, errs, files, collections.Counter(last.values())

runs = [parse(p) for p in sys.argv[1:3]]
beam, root, mode = sys.argv[3:6]
names = sorted(set(runs[0][0]) | set(runs[1][0]))
print("# System calls of the static ERTS (build/erts/beam.smp) booting on Linux")
print("# Made by tests/host/erts_syscalls.sh (`make erts-syscalls`); argv: tests/host/erts_argv.sh;")
print("# host-name mode: %s. Runs: 'eval' = -noshell -eval (print, spawn refused, read a" % mode)
print("# file, halt); 'shell' = old shell on stdin (two expressions, halt().).")
print("# calls: started by beam.smp and its threads, including any still blocked at exit;")
print("# errors: errno returned (count). execve is the start of the program itself.")
print("# %d distinct syscalls. Notes for the kernel: docs/erts-build.md." % len(names))
for label, r in zip(("eval", "shell"), runs):
    print("# %s: %d threads; last call of each (where it sat at exit): %s" % (
        label, sum(r[3].values()), ", ".join("%s x%d" % kv for kv in sorted(r[3].items()))))
print()
print("%-18s %7s %7s  %s" % ("syscall", "eval", "shell", "errors (eval; shell)"))
for n in names:
    e = "; ".join(",".join("%s x%d" % kv for kv in sorted(r[1][n].items())) or "-" for r in runs)
    print("%-18s %7d %7d  %s" % (n, runs[0][0][n], runs[1][0][n], "" if e == "-; -" else e))
print()
print("# Paths named by open/stat/access/readlink in the eval run (first result).")
print("# <root> is the archive root (/ on a core, build/rootfs here; also the working")
print("# directory, so ./x is <root>/x); other paths are the host's. 'ok' = it succeeded.")
for (call, path), res in sorted(runs[0][2].items(), key=lambda kv: kv[0][1]):
    if path.startswith(root):
        path = "<root>" + path[len(root):]
    print("%-10s %-60s %s" % (call, path, res))
EOF
