"""Without ACPI tables the kernel warns and runs on the boot CPU alone."""
import unittest

from harness import Boot


class NoAcpi(unittest.TestCase):
    def test_acpi_off(self):
        with Boot("qemu", smp=4, extra=["-machine", "acpi=off"], name="qemu-no-acpi") as b:
            b.expect(r"^warning: ACPI unusable \(.+\); running on one CPU$", 60)
            b.wait_cores(1, 60)
            b.expect(r"^timer: 1 of 1 cores ticking$", 60)
            self.assertNotIn("core 1 online", b.text())


if __name__ == "__main__":
    unittest.main()
