"""A dead node is started again on its own core (hydros:restart/1): its
partition is free whole again, its rings get a new epoch, it boots from the
archive and the mesh re-forms: the console node sees nodeup, every node
sees it, and it answers rpc:call. A core whose kernel died is started again
whole first (INIT-SIPI), its kernel from scratch."""
import re
import time
import unittest

from shell import Shell
from test_dist import last_line, squeeze, wait_for_mesh
from test_faults import NO_RESET

NODES = ["c%d@hydros" % k for k in range(3)]
NODEUP_S = 20  # a bound for the test; the time is printed


def free_kib(sh, core):
    return int(sh.eval("[F || #{core := %d, free_kib := F} <- hydros:status()]." % core).strip("[]"))


# What the console says when the fault has ended the node, or its core.
NODE_GONE = r"^node 1: crashed|^node 1: exited"
CORE_GONE = r"^\*\*\* core 1 stopped|^\*\*\* core 1: dead"


def kill_and_restart(test, sh, fault, mesh=NODES, gone=NODE_GONE):
    """fault on core 1, then hydros:restart(1): milliseconds from the
    restart to nodeup at c0; then mesh must be whole again."""
    mark = sh.boot.mark()
    test.assertEqual(last_line(sh.eval("hydros:inject(1, %s)." % fault)), "ok")
    sh.boot.expect(gone, 30, after=mark)
    sh.settle()  # global's warning about c1 comes on c0's own console
    deadline = time.monotonic() + 30
    others = "[%s]" % ",".join(n for n in mesh if n not in ("c0@hydros", "c1@hydros"))
    while sh.eval("lists:sort(nodes()).") != others:
        test.assertLess(time.monotonic(), deadline, "c1 still in nodes() after %s" % fault)
        time.sleep(0.5)
    reply = sh.eval("ok = net_kernel:monitor_nodes(true), T0 = erlang:monotonic_time(millisecond), "
                    "ok = hydros:restart(1), receive {nodeup, c1@hydros} -> "
                    "{up, erlang:monotonic_time(millisecond) - T0} after %d -> timeout end." % (NODEUP_S * 1000),
                    NODEUP_S + 30)
    sh.eval("ok = net_kernel:monitor_nodes(false), f(T0).")
    # The last line: the kernel's lines about the restart may land inside the reply.
    m = re.fullmatch(r"\{up,(\d+)\}", last_line(reply))
    test.assertIsNotNone(m, "no nodeup of c1 within %d s: %s" % (NODEUP_S, reply))
    wait_for_mesh(test, sh, mesh)
    test.assertEqual(sh.eval("rpc:call(c1@hydros, hydros, core, [])."), "1")
    return int(m.group(1))


class Restart(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sh = Shell("qemu-restart", smp=3, extra=NO_RESET).start()
        wait_for_mesh(unittest.TestCase(), cls.sh, NODES)
        cls.free_at_boot = free_kib(cls.sh, 1)

    @classmethod
    def tearDownClass(cls):
        cls.sh.stop()

    def restart_after(self, fault, gone=NODE_GONE):
        ms = kill_and_restart(self, self.sh, fault, gone=gone)
        free = free_kib(self.sh, 1)
        print("  %s on c1, then hydros:restart(1): nodeup at c0 after %d ms; partition free %d KiB "
              "(at boot %d KiB)" % (fault, ms, free, self.free_at_boot), flush=True)
        # The node has booted again: about as much of its partition is in use as after the first boot.
        self.assertLess(abs(free - self.free_at_boot), 4096, "free KiB %d after the restart, %d at boot" % (
            free, self.free_at_boot))

    def test_1_after_halt(self):
        self.restart_after("halt")

    def test_2_after_node_crash(self):
        self.restart_after("node_crash")

    def test_3_after_wild_write(self):
        """Its page tables were corrupt: the pages it could not give back are freed by the reset."""
        mark = self.sh.boot.mark()
        self.restart_after("wild_write")
        self.sh.boot.expect(r"^node 1: \d+ pages of its partition were still in use at its end; all free again$",
                            10, after=mark)

    def test_4_after_mce(self):
        """The 2 MiB around the error are retired: listed, and never handed out
        again (the node restarts in the rest of its partition)."""
        mark = self.sh.boot.mark()
        self.restart_after("mce")
        addr = int(self.sh.boot.expect(r"^\*\*\* core 1: machine check: uncorrected error, bank 0, status "
                                       r"0x[0-9a-f]+, address 0x([0-9a-f]+)", 10, after=mark).group(1), 16)
        m = re.fullmatch(r"\[\{1,(\d+),(\d+)\}\]", squeeze(self.sh.eval("hydros:retired().")))
        self.assertIsNotNone(m)
        base, end = int(m.group(1)), int(m.group(2))
        self.assertEqual((end - base, base % (2 << 20)), (2 << 20, 0))
        self.assertTrue(base <= addr < end, "0x%x not in the retired block 0x%x-0x%x" % (addr, base, end))
        self.assertRegex(self.sh.eval("hydros:nodes()."), r"c1 +retired +16#%x-16#%x" % (base, end))
        # At its next death the whole partition but the retired block is free.
        mark = self.sh.boot.mark()
        self.assertEqual(last_line(self.sh.eval("hydros:inject(1, halt).")), "ok")
        self.sh.boot.expect(r"^node 1: exited with status 0$", 30, after=mark)
        self.sh.settle()
        part = self.sh.eval("{B, E} = hydros:partition(1), (E - B) div 1024.")
        deadline = time.monotonic() + 10
        while free_kib(self.sh, 1) != int(part) - 2048:
            self.assertLess(time.monotonic(), deadline, "free KiB %d, partition %s KiB" % (free_kib(self.sh, 1), part))
            time.sleep(0.3)
        self.sh.eval("f().")
        kill_free = free_kib(self.sh, 1)
        self.assertEqual(self.sh.eval("hydros:restart(1)."), "ok")
        wait_for_mesh(self, self.sh, NODES)
        print("  after the mce: block 0x%x-0x%x retired; c1 dead: %d KiB free of %s" % (base, end, kill_free, part),
              flush=True)

    def test_5_while_another_is_dead(self):
        """c2 is dead while c1 dies and restarts: c1 comes back (its rings to
        the dead c2 stay closed), then c2 comes back too and the mesh is whole."""
        self.assertEqual(last_line(self.sh.eval("hydros:inject(2, halt).")), "ok")
        self.sh.boot.expect(r"^node 2: exited with status 0$", 30)
        self.sh.settle()
        ms = kill_and_restart(self, self.sh, "halt", mesh=NODES[:2])
        print("  c1 restarted while c2 was dead: nodeup at c0 after %d ms" % ms, flush=True)
        self.assertEqual(self.sh.eval("[C || #{core := C, state := running} <- hydros:status()]."), "[0,1]")
        self.assertEqual(self.sh.eval("hydros:restart(2)."), "ok")
        wait_for_mesh(self, self.sh, NODES)

    def test_6_refusals(self):
        self.assertEqual(self.sh.eval("hydros:restart(2)."), "{error,{not_dead,2}}")
        self.assertEqual(self.sh.eval("hydros:restart(0)."), "{error,{not_dead,0}}")
        self.assertEqual(self.sh.eval("hydros:restart(9)."), "{error,{no_core,9}}")
        self.assertEqual(self.sh.eval("hydros:restart(-1)."), "{error,{bad_core,-1}}")

    def test_7_whole_core_after_kernel_panic(self):
        """The kernel of core 1 died: INIT-SIPI, its kernel starts from
        scratch, then its node; the partition is as after a node restart."""
        mark = self.sh.boot.mark()
        self.restart_after("kernel_panic", gone=CORE_GONE)
        self.sh.boot.expect(r"^smp: restarting core 1 \(INIT, SIPI\)$", 10, after=mark)
        self.sh.boot.expect(r"^core 1 online \(lapic id \d+\)$", 10, after=mark)
        self.assertEqual(self.sh.eval("[S || #{core := 1, state := S} <- hydros:status()]."), "[running]")

    def test_8_whole_core_after_core_hang(self):
        """Hung with interrupts off, declared dead by the watchdog: INIT
        takes it out of its loop."""
        self.restart_after("core_hang", gone=CORE_GONE)


class RestartCycles(unittest.TestCase):
    def cycles(self, name, faults, n):
        """n cycles of faults on c1: every cycle comes back; at the end every
        page of the partition is free again (and at each node's death too);
        the kernel's page pool and heap do not grow."""
        with Shell(name, smp=2, extra=NO_RESET) as sh:
            wait_for_mesh(self, sh, NODES[:2])
            reply = squeeze(sh.eval("restart_bench:cycles(1, [%s], %d)." % (",".join(faults), n), 60 + 5 * n))
            print("  %d %s/restart cycles of c1: %s" % (n, "/".join(faults), reply), flush=True)
            m = re.search(r"nodeup_ms=>\{(\d+),(\d+),(\d+)\}", reply)
            self.assertIsNotNone(m, reply)
            part = int(re.search(r"partition_kib=>(\d+)", reply).group(1))
            self.assertEqual(int(re.search(r"free_kib_end=>(\d+)", reply).group(1)), part, reply)
            free = re.search(r"free_kib_dead=>\{(\d+),(\d+)\}", reply)
            if "halt" in faults:
                self.assertEqual((int(free.group(1)), int(free.group(2))), (part, part), reply)
            first, last = (dict((k, int(v)) for k, v in re.findall(r"(\w+)=>(\d+)", re.search(
                r"%s=>#\{([^}]*)\}" % which, reply).group(1))) for which in ("kernel_first", "kernel_last"))
            # A slab page may move between the pool and the heap (two cores
            # adding one to a size class at once): the sum is what must hold,
            # but for what another node holds for a moment when it is taken
            # (a /dev/hydros text being read: 2 pages, a thread's stack). A
            # leak of a page a cycle would be 400 KiB.
            self.assertLessEqual(abs(first["pool_free_kib"] + first["heap_kib"] -
                                     last["pool_free_kib"] - last["heap_kib"]), 16, reply)
            self.assertLess(last["heap_in_use"] - first["heap_in_use"], 4096, reply)
            self.assertLess(abs((last["heap_allocs"] - last["heap_frees"]) -
                                (first["heap_allocs"] - first["heap_frees"])), 16, reply)

    def test_hundred_kill_restart_cycles(self):
        self.cycles("qemu-restart-cycles", ["halt"], 100)

    def test_twenty_whole_core_restart_cycles(self):
        self.cycles("qemu-core-restart-cycles", ["kernel_panic", "core_hang"], 20)


if __name__ == "__main__":
    unittest.main()
