"""Core 0 is not special: when it dies (kernel_panic, core_hang, wild_write
into its node) or its node dies while its kernel lives (node_crash), the
survivors get nodedown within NODEDOWN_MS, the console moves to core 1
within a second with a line saying so, and the operator gets a working
shell prompt there, (c1@hydros)1>, on a machine that did not reset
(-action reboot=shutdown,shutdown=pause)."""
import time
import unittest

from shell import Shell
from test_dist import wait_for_mesh
from test_faults import NO_RESET, VICTIM_ROW, check_nodedown, check_victim_row

NODES = ["c%d@hydros" % k for k in range(4)]
MOVE_S = 1.0


class ConsoleMoves(unittest.TestCase):
    def move(self, fault):
        """Injects fault into core 0 and checks the move; returns the shell, on c1."""
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
            self.assertEqual(line.group(1), "core" if VICTIM_ROW[fault][0] == "core_dead" else "the node of core")
            self.assertLess(moved, MOVE_S)
            sh.prompt = 1
            check_nodedown(self, fault, NODES[0], sh.eval("msgchan_bench:nodedown_result()."), NODES[1:])
            self.assertEqual(sh.eval("lists:sort(nodes())."), "[c2@hydros,c3@hydros]")
            self.assertEqual(sh.eval("[rpc:call(N, hydros, core, []) || N <- [c2@hydros, c3@hydros]]."), "[2,3]")
            check_victim_row(self, sh, 0, fault)
            self.assertEqual(sh.eval("hydros:console_core()."), "1")
            self.assertNotRegex(sh.boot.text(), r"\*\*\* core [123] stopped|node [123]: crashed")
            return sh
        except BaseException:
            sh.stop()
            raise

    def test_kernel_panic(self):
        """And halt() at the new console powers the machine off from core 1."""
        sh = self.move("kernel_panic")
        try:
            mark = sh.boot.mark()
            sh.boot.send("halt().\n")
            sh.boot.expect(r"^node 1: exited with status 0\nhydros: powering off$", 30, after=mark)
            time.sleep(1)  # acpi_power_off says so 100 ms after a power-off that did not happen
            self.assertNotIn("did not power off", sh.boot.text()[mark:])
        finally:
            sh.stop()

    def test_core_hang(self):
        self.move("core_hang").stop()

    def test_wild_write(self):
        self.move("wild_write").stop()

    def test_node_crash(self):
        self.move("node_crash").stop()


if __name__ == "__main__":
    unittest.main()
