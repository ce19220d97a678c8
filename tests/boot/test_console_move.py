"""Core 0 is not special: when it dies (kernel_panic, core_hang, wild_write
into its node) or its node dies while its kernel lives (node_crash), the
survivors get nodedown within NODEDOWN_MS, the console moves to core 1
within a second with a line saying so, and the operator gets a working
shell prompt there, (c1@hydros)1>, on a machine that did not reset
(-action reboot=shutdown,shutdown=pause)."""
import re
import time
import unittest

from shell import Shell
from test_dist import squeeze, wait_for_mesh
from test_faults import NO_RESET, NODEDOWN_MS

NODES = ["c%d@hydros" % k for k in range(4)]
MOVE_S = 1.0


class ConsoleMoves(unittest.TestCase):
    # What core 0's row of hydros:nodes() says afterwards, as seen from c1.
    STATES = {
        "kernel_panic": ("core_dead", r"panic: injected kernel panic"),
        "core_hang": ("core_dead", r"hung with interrupts off"),
        "wild_write": ("node_dead", r"."),
        "node_crash": ("node_dead", r"exception-14,rip=0xdead0000"),
    }

    def move(self, fault):
        sh = Shell("qemu-console-" + fault.replace("_", "-"), smp=4, extra=NO_RESET).start()
        try:
            wait_for_mesh(self, sh, NODES)
            # c1 injects the fault and times the nodedown; its answer waits there.
            survivors = ",".join(NODES[1:])
            mark = sh.boot.mark()
            t0 = time.monotonic()
            sh.boot.send("rpc:call(c1@hydros, msgchan_bench, nodedown_latency_async, [[%s], c0@hydros, "
                         "{inject, %s}]).\n" % (survivors, fault))
            line = sh.boot.expect(r"^hydros: the console moves to core 1: (core|the node of core) 0 is dead$",
                                  30, after=mark)
            moved = time.monotonic() - t0
            sh.boot.expect(r"^hydros: node 1 has the console$", 30, after=mark)
            sh.boot.expect(r"\(c1@hydros\)1> ", 30, after=mark)
            prompt = time.monotonic() - t0
            print("  %s on core 0: console moved after %.3f s, prompt after %.3f s" % (fault, moved, prompt),
                  flush=True)
            self.assertEqual(line.group(1), "core" if self.STATES[fault][0] == "core_dead" else "the node of core")
            self.assertLess(moved, MOVE_S)
            sh.prompt = 1
            reply = squeeze(sh.eval("msgchan_bench:nodedown_result()."))
            got = dict(re.findall(r"\{(c\d+@hydros),([\d.]+|timeout)\}", reply))
            print("  %s on core 0: nodedown at %s" % (fault, reply), flush=True)
            self.assertEqual(sorted(got), NODES[1:], reply)
            for node, ms in got.items():
                self.assertNotEqual(ms, "timeout", reply)
                self.assertLess(float(ms), NODEDOWN_MS, "%s got nodedown after %s ms" % (node, ms))
            self.assertEqual(sh.eval("lists:sort(nodes())."), "[c2@hydros,c3@hydros]")
            self.assertEqual(sh.eval("[rpc:call(N, hydros, core, []) || N <- [c2@hydros, c3@hydros]]."), "[2,3]")
            state, why = self.STATES[fault]
            row = squeeze(sh.eval("[{S, F} || #{core := 0, state := S, fault := F} <- hydros:status()]."))
            m = re.fullmatch(r'\[\{(\w+),"(.*)"\}\]', row)
            self.assertIsNotNone(m, row)
            self.assertEqual(m.group(1), state, row)
            self.assertRegex(m.group(2), why.replace(" ", ""))
            self.assertEqual(sh.eval("hydros:console_core()."), "1")
            self.assertNotRegex(sh.boot.text(), r"\*\*\* core [123] stopped|node [123]: crashed")
        finally:
            sh.stop()

    def test_kernel_panic(self):
        self.move("kernel_panic")

    def test_core_hang(self):
        self.move("core_hang")

    def test_wild_write(self):
        self.move("wild_write")

    def test_node_crash(self):
        self.move("node_crash")


if __name__ == "__main__":
    unittest.main()
