"""QEMU boots with 1, 2, 4 and 8 CPUs: every core comes online and ticks."""
import unittest

from harness import Boot

TIMEOUT = 60


class QemuSmp(unittest.TestCase):
    def boot(self, n):
        with Boot("qemu", smp=n, name="qemu-smp%d" % n) as b:
            b.expect(r"^acpi: OEM \S+ *, %d CPUs " % n, TIMEOUT)
            b.wait_cores(n, TIMEOUT)
            b.expect(r"^smp: %d of %d cores online" % (n, n), TIMEOUT)
            b.expect(r"^timer: %d of %d cores ticking$" % (n, n), TIMEOUT)

    def test_smp1(self):
        self.boot(1)

    def test_smp2(self):
        self.boot(2)

    def test_smp4(self):
        self.boot(4)

    def test_smp8(self):
        self.boot(8)


if __name__ == "__main__":
    unittest.main()
