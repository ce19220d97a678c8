"""Isolation between nodes, with the kernel's test-only debug_poke switch:
a node stores from user mode into another node's partition (through the
kernel's direct map, where that memory is present but supervisor-only),
into the kernel's text, and to an address it never mapped. Each store
faults in the poking node only: the target partition's node and every other
node keep running, and their heartbeats keep moving."""
import re
import unittest

from harness import node_args_then, variant_archive, variant_image
from shell import Shell

DIRECT_MAP = 0xFFFF800000000000
KERNEL_TEXT = 0xFFFFFFFF80100000
POKES = {1: "{partition, 2}", 3: "kernel", 4: "16#1000"}


def args_poking(target):
    """The usual node arguments, but boot, wait for everyone, then poke."""
    return node_args_then("hydros:wait_up(), hydros:poke(%s)" % target)


def dump(core, error, cr2):
    return (r"^\*\*\* node %d, thread \d+: segmentation fault: exception 14 \(page fault\), "
            r"error code 0x%x\n  rip 0x00007ffe00000000  rsp 0x[0-9a-f]{16}  rflags 0x[0-9a-f]+  "
            r"cr2 0x%016x  fs 0x[0-9a-f]{16}\n" % (core, error, cr2))


def table(sh):
    """hydros:nodes() as {core: row}; kernel lines printed meanwhile are skipped."""
    rows = {}
    for line in sh.eval("hydros:nodes().").split("\n"):
        if re.match(r"c\d+ ", line):
            f = line.split()
            rows[int(f[0][1:])] = {"state": f[1], "heartbeat": int(f[2]), "fault": f[6]}
    return rows


class Isolation(unittest.TestCase):
    def test_pokes_fault_only_the_poker(self):
        overlay = {"etc/hydros/c%d.args" % core: args_poking(t) for core, t in POKES.items()}
        image = variant_image("isolation", cmdline="debug_poke",
                              archive=variant_archive("isolation", overlay))
        with Shell("qemu-isolation", image=image, smp=5) as sh:
            b = sh.boot
            m = b.expect(r"^partition c2: ([0-9a-f]{16})-([0-9a-f]{16}) ", 10)
            part2, end2 = int(m.group(1), 16), int(m.group(2), 16) + 1
            # present + write + user: the page is there, but the kernel's
            b.expect(dump(1, 0x7, DIRECT_MAP + part2), 120)
            b.expect(dump(3, 0x7, KERNEL_TEXT), 120)
            # write + user, not present: nothing mapped there
            b.expect(dump(4, 0x6, 0x1000), 120)
            for core in (1, 3, 4):
                b.expect(r"^node %d: crashed \(status 139\); core %d keeps running$" % (core, core), 30)
            for core in (1, 3, 4):  # printed a second later: let them pass before typing
                b.expect(r"^core %d: kernel alive after the node's crash" % core, 30)
            first = table(sh)
            sh.eval("timer:sleep(1000).")
            second = table(sh)
            for core in (1, 3, 4):
                self.assertEqual(second[core]["state"], "node_dead")
                self.assertTrue(second[core]["fault"].startswith("exception-14,rip=0x7ffe00000000"))
            for core in (0, 2):
                self.assertEqual(second[core]["state"], "running")
                self.assertEqual(second[core]["fault"], "-")
            for core in range(5):  # every kernel keeps ticking, the poker's too
                self.assertGreater(second[core]["heartbeat"], first[core]["heartbeat"] + 50)
            self.assertEqual(sh.eval("hydros:partition(2)."), "{%d,%d}" % (part2, end2))


if __name__ == "__main__":
    unittest.main()
