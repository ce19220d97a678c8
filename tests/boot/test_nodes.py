"""One node per core: QEMU with 1, 2, 4 and 8 CPUs and Bochs with 2 bring up
every node, each in its own partition, and each node reports its own core
and partition bounds (through the log ring for the non-console nodes),
which must be the ones the kernel gave it."""
import re
import unittest

from harness import Boot, variant_image

TIMEOUT = 240


def check_nodes(test, b, n):
    parts = {}
    for k in range(n):
        m = b.expect(r"^partition c%d: ([0-9a-f]{16})-([0-9a-f]{16}) (\d+) MiB$" % k, TIMEOUT)
        parts[k] = (int(m.group(1), 16), int(m.group(2), 16) + 1)
    up = b.expect(r"^hydros: all %d nodes up, (\d+) ms after the first started$" % n, TIMEOUT)
    print("  %s: all %d nodes up %.2f s after start (%s ms after the first node started)"
          % (b.name, n, b.elapsed(), up.group(1)), flush=True)
    for k in range(n):
        # Node 0's line is the console's own output: the shell's first
        # prompt may come before it.
        prefix = r"\[c%d\] " % k if k else r"(?:\(c0@hydros\)\d+> )?"
        m = b.expect(r"^%sc%d: c%d@hydros on core %d up, partition 16#([0-9a-f]+)-16#([0-9a-f]+) \((\d+) MiB\)$"
                     % (prefix, k, k, k), TIMEOUT)
        base, end = int(m.group(1), 16), int(m.group(2), 16)
        test.assertEqual((base, end), parts[k], "node %d reports another partition" % k)
    spans = sorted(parts.values())
    for (b0, e0), (b1, _) in zip(spans, spans[1:]):
        test.assertLessEqual(e0, b1, "partitions overlap")
    sizes = {e - b for b, e in spans}
    test.assertEqual(len(sizes), 1, "partitions are not split evenly: %s" % sizes)
    test.assertGreaterEqual(sizes.pop(), 64 << 20)


class Nodes(unittest.TestCase):
    def boot(self, n, emulator="qemu", mem="2G"):
        with Boot(emulator, smp=n, mem=mem, name="%s-nodes%d" % (emulator, n)) as b:
            check_nodes(self, b, n)

    def test_qemu_1(self):
        self.boot(1)

    def test_qemu_2(self):
        self.boot(2)

    def test_qemu_4(self):
        self.boot(4)

    def test_qemu_8(self):
        self.boot(8)

    def test_bochs_2(self):
        self.boot(2, emulator="bochs", mem="1G")


if __name__ == "__main__":
    unittest.main()


class FixedPartition(unittest.TestCase):
    def test_part1_on_the_command_line(self):
        # core 1 gets exactly 128 MiB; cores 0, 2 and 3 share the rest evenly
        image = variant_image("part1-128m", cmdline="part1=128M")
        with Boot("qemu", smp=4, image=image, name="qemu-part1-128m") as b:
            sizes = [int(b.expect(r"^partition c%d: [0-9a-f]{16}-[0-9a-f]{16} (\d+) MiB$" % k, 60).group(1))
                     for k in range(4)]
            self.assertEqual(sizes[1], 128)
            self.assertEqual(sizes[0], sizes[2])
            self.assertEqual(sizes[0], sizes[3])
            self.assertGreater(sizes[0], 128)
            b.expect(r"^\[c1\] c1: c1@hydros on core 1 up, partition 16#[0-9a-f]+-16#[0-9a-f]+ \(128 MiB\)$",
                     TIMEOUT)
