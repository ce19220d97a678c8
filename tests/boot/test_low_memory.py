"""Too little memory gives a clear refusal, never a hang or a crash: with
64 MiB the loader refuses to boot; with too little for every core's node, the
cores that cannot have a partition run without one."""
import unittest

from harness import Boot


class LowMemory(unittest.TestCase):
    def test_64m(self):
        with Boot("qemu", smp=1, mem="64M", name="qemu-64m") as b:
            b.expect(r"^hydros: boot failed: too little memory: 6[0-9] MiB usable, "
                     r"at least 128 MiB needed$", 30)
            self.assertNotIn("HydrOS:", b.text())


if __name__ == "__main__":
    unittest.main()


class TooManyCores(unittest.TestCase):
    def test_cores_without_memory_get_no_node(self):
        # 320 MiB: the kernel keeps its pool, three 64 MiB partitions fit, not four.
        with Boot("qemu", smp=4, mem="320M", name="qemu-320m-smp4") as b:
            b.expect(r"^memory: 4 cores need 64 MiB each, only 3 such partitions fit: "
                     r"core 3 gets no node$", 60)
            b.expect(r"^hydros: all 3 nodes up, \d+ ms after the first started$", 120)
            self.assertNotIn("partition c3:", b.text())
            self.assertNotIn("node 3: started", b.text())
            b.expect(r"^core 3 online", 5)  # the core itself runs, without a node
