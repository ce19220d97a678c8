"""Bochs (2.7, its own BIOS, IDE disk) boots the same image with 4 CPUs."""
import unittest

from harness import Boot

TIMEOUT = 180


class BochsSmp(unittest.TestCase):
    def test_bochs_smp4(self):
        with Boot("bochs", smp=4, mem="512M", name="bochs-smp4") as b:
            b.expect(r"^acpi: OEM \S+ *, 4 CPUs ", TIMEOUT)
            b.wait_cores(4, TIMEOUT)
            b.expect(r"^timer: 4 of 4 cores ticking$", TIMEOUT)


if __name__ == "__main__":
    unittest.main()
