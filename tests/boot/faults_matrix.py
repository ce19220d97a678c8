#!/usr/bin/env python3
"""make faults: every fault kind of hydros:inject/2 on every core of four,
one boot each of the image as shipped (every node's restart policy
permanent), printed as one table: the slowest survivor's nodedown (ms),
whether every survivor still answers rpc:call, when the victim answers
rpc:call again after the policy restarted it (s from the fault, timed by
the lowest survivor: restart_bench:back_probe/1; chan_garbage ends
nothing), whether the machine is up (QEMU runs
with -action reboot=shutdown,shutdown=pause, so a reset freezes it and
nothing answers) and whether the console answers (on core 1 once core 0 is
the victim). The boot tests run a reduced matrix (test_faults.py,
test_console_move.py, test_policy.py). Exits 1 if any cell fails."""
import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import IMAGE  # noqa: E402
from shell import Shell  # noqa: E402
from test_dist import squeeze, wait_for_mesh  # noqa: E402
from test_faults import NODEDOWN_MS, NO_RESET  # noqa: E402

FAULTS = ["halt", "node_crash", "node_hang", "kernel_panic", "core_hang", "wild_write", "chan_garbage", "mce",
          "heap_panic"]
BACK_S = 30  # the victim answers again within this (restart_bench's wait)
SMP = 4
NODES = ["c%d@hydros" % k for k in range(SMP)]


class Checks:
    """The one assertion wait_for_mesh makes of its test case."""
    def assertLess(self, a, b, msg=None):
        if not a < b:
            raise AssertionError(msg)


def one(fault, core):
    """(slowest nodedown in ms or why none, survivors answer, seconds until
    the victim answers again or why never, machine up, console answers).
    The lowest survivor injects and times the fault and prints what it saw
    (msgchan_bench:nodedown_probe): the console shows it even when the
    fault cut the console node off from the others (chan_garbage on core 0)."""
    survivors = [n for k, n in enumerate(NODES) if k != core]
    sh = Shell("qemu-matrix-%s-c%d" % (fault.replace("_", "-"), core), image=IMAGE, smp=SMP, extra=NO_RESET).start()
    try:
        wait_for_mesh(Checks(), sh, NODES)
        mark = sh.boot.mark()
        sh.boot.send("rpc:call(%s, restart_bench, back_probe, [%s]), "
                     "rpc:call(%s, msgchan_bench, nodedown_probe, [[%s], %s, {inject, %s}]).\n" % (
                         survivors[0], NODES[core], survivors[0], ",".join(survivors), NODES[core], fault))
        line = sh.boot.expect(r"nodedown probe: (\[.*\]) (\[.*\])$", 60, after=mark)
        got = dict(re.findall(r"\{'?(c\d+@hydros)'?,([\d.]+|timeout)\}", line.group(1)))
        ms = [float(v) for v in got.values() if v != "timeout"]
        slowest = "%.1f" % max(ms) if len(ms) == len(survivors) else "timeout"
        survivors_ok = line.group(2) == "[%s]" % ",".join(str(k) for k in range(SMP) if k != core)
        if re.search(r"^hydros: the console moves to core 1", sh.boot.text()[mark:], re.M):
            sh.boot.expect(r"\(c1@hydros\)1> ", 30, after=mark)
        time.sleep(1)  # the shell prints its prompt again after the probe's line: the last one counts
        sh.prompt = int(re.findall(r"\(c\d+@hydros\)(\d+)> ", sh.boot.text())[-1])
        back = sh.boot.expect(r"back probe: (\d+|never|-)$", BACK_S + 10, after=mark).group(1)
        back = "%.2f" % (int(back) / 1000) if back.isdigit() else back
        if (back == "-") != (fault == "chan_garbage"):  # only chan_garbage ends nothing
            back = "never" if back == "-" else back
        sh.settle()
        return slowest, survivors_ok, back, sh.boot.proc.poll() is None, sh.eval("6 * 7.", 30) == "42"
    except AssertionError as e:
        print("  %s on core %d: %s" % (fault, core, str(e).split("\n")[0]), flush=True)
        return "error", False, "error", sh.boot.proc.poll() is None, False
    finally:
        sh.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--faults", default=",".join(FAULTS), help="comma-separated fault kinds (default: all)")
    ap.add_argument("--cores", default=",".join(str(k) for k in range(SMP)), help="comma-separated cores")
    args = ap.parse_args()
    rows, failed = [], 0
    for fault in args.faults.split(","):
        for core in [int(c) for c in args.cores.split(",")]:
            slowest, survivors_ok, back, up, console = one(fault, core)
            ok = (slowest not in ("timeout", "error") and float(slowest) < NODEDOWN_MS and survivors_ok and
                  back not in ("never", "error") and up and console)
            failed += not ok
            rows.append((fault, core, slowest, survivors_ok, back, up, console, ok))
            print("  %-12s core %d: %s" % (fault, core, "ok" if ok else "FAILED"), flush=True)
    yes = {True: "yes", False: "NO"}
    print("\n| fault | core | detected (ms, slowest survivor) | survivors OK | restarted (s) | machine up | "
          "console reachable |")
    print("|---|---|---|---|---|---|---|")
    for fault, core, slowest, survivors_ok, back, up, console, ok in rows:
        print("| %s | %d | %s | %s | %s | %s | %s |" % (fault, core, slowest, yes[survivors_ok], back, yes[up],
                                                       yes[console]))
    print("\n%d of %d cells pass (nodedown under %d ms)" % (len(rows) - failed, len(rows), NODEDOWN_MS))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
