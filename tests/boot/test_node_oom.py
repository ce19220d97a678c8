"""A node that wants more memory than its partition holds gets ERTS's own
out-of-memory crash, and only that node dies: the kernel refuses the
mapping (ENOMEM) instead of letting a page fault find no page."""
import unittest

from harness import node_args_then, variant_archive, variant_image
from shell import Shell


class NodeOutOfMemory(unittest.TestCase):
    def test_oom_ends_that_node_only(self):
        # 1500 MiB in one binary: more than any partition of a 2 GiB machine.
        args = node_args_then("hydros:wait_up(), binary:copy(<<1>>, 1500 bsl 20)")
        image = variant_image("node-oom", archive=variant_archive("node-oom", {"etc/hydros/c1.args": args}))
        with Shell("qemu-node-oom", image=image, smp=3) as sh:
            b = sh.boot
            b.expect(r"^\[c1\] .*[Cc]annot allocate \d+ bytes of memory", 120)
            b.expect(r"^node 1: (crashed|exited)", 60)
            rows = {l.split()[0]: l.split()[1] for l in sh.eval("hydros:nodes().").split("\n") if l[:1] == "c"}
            self.assertEqual(rows, {"c0": "running", "c1": "node_dead", "c2": "running"})
            self.assertEqual(sh.eval("1 + 1."), "2")


if __name__ == "__main__":
    unittest.main()
