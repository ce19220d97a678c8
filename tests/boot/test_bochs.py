"""Bochs (2.7, its own BIOS, IDE disk) boots the same image with 4 CPUs,
and its watchdog finds a core hung with interrupts off there too (Bochs
delivers the NMI probe to a CPU in cli; hlt-free loops as QEMU does). The
restart policy then restarts the dead cores whole: the application cores
by INIT-SIPI, core 0 through rombios's warm reset."""
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
            for core in (1, 2):
                b.expect(r"^smp: restarting core %d \(INIT, SIPI\)$" % core, TIMEOUT)
                b.expect(r"^\[c%d\] c%d: c%d@hydros on core %d up" % (core, core, core, core), TIMEOUT)
            self.assertNotRegex(b.text(), r"\*\*\* core [03]|node [03]: crashed")

    def test_bochs_core0_comes_back(self):
        image = variant_image("bochs-core0", cmdline="inject=0:kernel_panic@3000")
        with Boot("bochs", smp=4, mem="512M", image=image, name="bochs-core0") as b:
            b.expect(r"^\*\*\* core 0 stopped \(panic: injected kernel panic\)", TIMEOUT)
            b.expect(r"^hydros: the console moves to core 1: core 0 is dead$", TIMEOUT)
            b.expect(r"^smp: restarting core 0 \(INIT, the BIOS's warm reset\)$", TIMEOUT)
            b.expect(r"^core 0 online \(lapic id 0\)$", TIMEOUT)
            b.expect(r"^\[c0\] c0: c0@hydros on core 0 up", TIMEOUT)
            self.assertNotRegex(b.text(), r"\*\*\* core [123]|node [123]: crashed")


if __name__ == "__main__":
    unittest.main()
