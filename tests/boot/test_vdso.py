"""The vDSO: a program (static musl, as ERTS is) finds it through
AT_SYSINFO_EHDR, and its clock_gettime and gettimeofday give the kernel's
time without a system call; clocks it does not serve still reach the kernel."""
import os
import re
import unittest

from harness import BUILD, Boot, node_args, variant_archive, variant_image

PROG = os.path.join(BUILD, "progs", "vdsoclock")


class Vdso(unittest.TestCase):
    def test_clocks_agree_with_the_kernel(self):
        archive = variant_archive("vdsoclock", {"bin/vdsoclock": PROG,
                                                "etc/hydros/console.args": node_args("/bin/vdsoclock")})
        with Boot("qemu", smp=1, image=variant_image("vdsoclock", archive=archive), name="qemu-vdsoclock") as b:
            b.expect(r"^vdsoclock: 0 failures$", 60)
            text = b.text()
            self.assertIn("vdsoclock: AT_SYSINFO_EHDR set", text)
            self.assertEqual(len(re.findall(r"^vdsoclock: clock \d+: .*: ok$", text, re.M)), 5, text)
            self.assertNotIn("WRONG", text)
            m = re.search(r"^vdsoclock: (\d+) calls: syscall (\d+) us, vdso (\d+) us$", text, re.M)
            print("  %s calls: syscall %s us, vdso %s us" % m.groups())
            b.expect(r"^node 0: exited with status 0$", 30)


if __name__ == "__main__":
    unittest.main()
