"""A CPU without long mode (QEMU's 32-bit qemu32 model) gets a clear refusal
from the loader, not a hang or a reset loop."""
import unittest

from harness import Boot


class NoLongMode(unittest.TestCase):
    def test_qemu32(self):
        with Boot("qemu", smp=1, extra=["-cpu", "qemu32"], name="qemu-no-long-mode") as b:
            b.expect(r"^hydros: boot failed: this CPU has no long mode \(x86-64 required\)$", 30)
            self.assertNotIn("HydrOS:", b.text())


if __name__ == "__main__":
    unittest.main()
