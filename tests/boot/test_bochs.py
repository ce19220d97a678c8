"""Bochs (2.7, its own BIOS, IDE disk) boots the same image with 4 CPUs,
its 4 nodes come up in a full mesh, and the shell on its console (typed
into through a pseudo-terminal) reaches every node. Its watchdog finds a
core hung with interrupts off there too (Bochs
delivers the NMI probe to a CPU in cli; hlt-free loops as QEMU does). The
restart policy then restarts the dead cores whole: the application cores
by INIT-SIPI, core 0 through rombios's warm reset. The drivers of the
CMOS clock, the PIT, PCI and COM2 work on Bochs's devices too."""
import calendar
import os
import re
import tempfile
import time
import unittest

from harness import ROOT, Boot, node_args_then, variant_archive, variant_image
from shell import ShellTestCase
from test_dist import squeeze

TIMEOUT = 180


class BochsShell(ShellTestCase):
    NAME, SMP, EMULATOR, MEM = "bochs-shell", 4, "bochs", "512M"
    MESH = ["c0@hydros", "c1@hydros", "c2@hydros", "c3@hydros"]
    CHECK_TIMEOUT = 120

    def test_every_node_reached_from_the_shell(self):
        self.check("lists:sort(nodes()).", "[c1@hydros,c2@hydros,c3@hydros]")
        self.check("[rpc:call(N, hydros, core, []) || N <- lists:sort(nodes())].", "[1,2,3]")
        self.check("lists:sort([A || {A, _, _} <- rpc:call(c3@hydros, application, which_applications, [])]).",
                   "[hydros,hydros_policy,kernel,stdlib]")

    def test_top_shows_every_core_running(self):
        top = self.sh.eval("hydros:top(0).", self.CHECK_TIMEOUT)
        print("  Bochs, hydros:top(0):\n" + top, flush=True)
        self.assertEqual(re.findall(r"^c(\d) +running +\d+ ", top, re.M), ["0", "1", "2", "3"], top)


class BochsSmp(unittest.TestCase):
    def test_bochs_smp4(self):
        with Boot("bochs", smp=4, mem="512M", name="bochs-smp4") as b:
            b.expect(r"^acpi: OEM \S+ *, 4 CPUs ", TIMEOUT)
            b.wait_cores(4, TIMEOUT)
            b.expect(r"^timer: 4 of 4 cores ticking$", TIMEOUT)

    def test_bochs_core_hang_and_panic(self):
        # Faults from the kernel command line, 100 ms after each node starts
        # booting.
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


# Core 1's node holds the clock, the PIT, PCI and COM2, uses each through its driver and says what it got,
# a short line each (the console breaks long lines).
DRIVERS = ("[io:format(\"bochs ~s: ~w~n\", [N, R]) || {N, R} <- [{rtc, rtc:now()}, {pit, pit:one_shot(11932)}, "
           "{pci, [{V, D} || #{vendor := V, device_id := D} <- pci:list()]}, "
           "{uart, uart16550:write(com2, <<\"c1 drives COM2 on Bochs\\n\">>)}, "
           "{settings, maps:values(element(2, uart16550:settings(com2)))}]]")


def read(path):
    with open(path, "rb") as f:
        return f.read()


class BochsDrivers(unittest.TestCase):
    def test_bochs_drivers(self):
        with open(os.path.join(ROOT, "rootfs", "etc", "hydros", "devices")) as f:
            devices = re.sub(r"^(pit|cmos|pci|com2)( +)0 ", r"\1\g<2>1 ", f.read(), flags=re.M)
        archive = variant_archive("bochs-drivers", {"etc/hydros/devices": devices.encode(),
                                                    "etc/hydros/c1.args": node_args_then(DRIVERS)})
        com2 = os.path.join(tempfile.mkdtemp(prefix="hydros-bochs-"), "com2.txt")
        with Boot("bochs", smp=2, mem="1G", image=variant_image("bochs-drivers", archive=archive),
                  extra=["com2: enabled=1, mode=file, dev=%s" % com2], name="bochs-drivers") as b:
            m = b.expect(r"^\[c1\] bochs rtc: \{\{(\d+),(\d+),(\d+)\},\{(\d+),(\d+),(\d+)\}\}$", TIMEOUT)
            clock = calendar.timegm(tuple(int(g) for g in m.groups()))
            host = calendar.timegm(time.localtime())  # Bochs's clock starts at the host's local time
            pit = int(b.expect(r"^\[c1\] bochs pit: \{ok,(\d+)\}$", TIMEOUT).group(1))
            pci = b.expect(r"^\[c1\] bochs pci: \[(.*)\]$", TIMEOUT).group(1)
            b.expect(r"^\[c1\] bochs uart: ok$", TIMEOUT)
            b.expect(r"^\[c1\] bochs settings: \[115200,8,none,none,1\]$", TIMEOUT)
            print("  Bochs, rtc:now() %d (host %d), pit:one_shot(11932) %d us on the node's clock, pci:list() %s"
                  % (clock, host, pit, pci), flush=True)
            self.assertLess(abs(clock - host), 600)
            # Bochs's PIT follows real time, its TSC (the node's clock) the
            # instructions run: only the order of magnitude is the same.
            self.assertTrue(1000 < pit < 1000000, pit)
            self.assertIn("{32902,4663}", pci)  # 8086:1237, the i440FX host bridge
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and b"COM2" not in read(com2):
                time.sleep(0.5)
            self.assertEqual(read(com2), b"c1 drives COM2 on Bochs\n")


if __name__ == "__main__":
    unittest.main()
