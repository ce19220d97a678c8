"""64 MiB of RAM: the loader refuses with a clear message instead of hanging."""
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
