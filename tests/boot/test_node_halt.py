"""halt() on a node that is not the console node ends that node only: its
state becomes dead, the machine stays on, the other nodes keep running."""
import unittest

from harness import node_args_then, variant_archive, variant_image
from shell import Shell


class NodeHalt(unittest.TestCase):
    def test_halt_on_c1(self):
        image = variant_image("node-halt", archive=variant_archive(
            "node-halt", {"etc/hydros/c1.args": node_args_then("hydros:wait_up(), halt()")}))
        with Shell("qemu-node-halt", image=image, smp=3) as sh:
            sh.boot.expect(r"^node 1: exited with status 0$", 60)
            rows = [l.split() for l in sh.eval("hydros:nodes().").split("\n") if l[:1] == "c"]
            states = {r[0]: (r[1], r[6]) for r in rows}
            self.assertEqual(states["c1"], ("node_dead", "exit:0"))
            self.assertEqual(states["c0"], ("running", "-"))
            self.assertEqual(states["c2"], ("running", "-"))
            self.assertEqual(sh.eval("1 + 1."), "2")
            self.assertNotIn("powering off", sh.boot.text())


if __name__ == "__main__":
    unittest.main()
