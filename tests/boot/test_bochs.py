"""Bochs (2.7, its own BIOS, IDE disk) boots the same image with 4 CPUs,
and its watchdog finds a core hung with interrupts off there too (Bochs
delivers the NMI probe to a CPU in cli; hlt-free loops as QEMU does)."""
import unittest

from harness import Boot, variant_image

TIMEOUT = 180


class BochsSmp(unittest.TestCase):
    def test_bochs_smp4(self):
        with Boot("bochs", smp=4, mem="512M", name="bochs-smp4") as b:
            b.expect(r"^acpi: OEM \S+ *, 4 CPUs ", TIMEOUT)
            b.wait_cores(4, TIMEOUT)
            b.expect(r"^timer: 4 of 4 cores ticking$", TIMEOUT)

    def test_bochs_core_hang_and_panic(self):
        # Faults from the kernel command line (Bochs takes no console input
        # here), 100 ms after each node starts booting.
        image = variant_image("bochs-faults", cmdline="inject=2:core_hang@100,1:kernel_panic@100")
        with Boot("bochs", smp=4, mem="512M", image=image, name="bochs-faults") as b:
            b.expect(r"^\*\*\* core 1 stopped \(panic: injected kernel panic\)", TIMEOUT)
            b.expect(r"^\*\*\* core 2: dead \(hung with interrupts off, no heartbeat for \d+ ms, at rip 0x[0-9a-f]+\), "
                     r"declared by core [03]; its rings are closed$", TIMEOUT)
            b.expect(r"^node 3: up$", TIMEOUT)
            b.expect(r"^node 0: up$", TIMEOUT)
            self.assertNotRegex(b.text(), r"\*\*\* core [03]|node [03]: crashed")


if __name__ == "__main__":
    unittest.main()
