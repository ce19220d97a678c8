"""A kernel fault on one core prints a full report and stops that core only
(its last line, after the report, may come after other cores' lines)."""
import unittest

from harness import Boot, variant_image

REPORT = (r"^\*\*\* core 2: exception 14 \(page fault\), error code 0x2, kernel mode\n"
          r"  rip 0x[0-9a-f]{16}  rsp 0x[0-9a-f]{16}  rflags 0x[0-9a-f]+  cr2 0x000000000dead000\n"
          r"  rax [0-9a-f]{16} rbx .*\n(  .*\n){3}"
          r"  at 0x[0-9a-f]{16}  stack trace:( 0x[0-9a-f]{16})+\n(?:.*\n)*?"
          r"\*\*\* core 2 stopped \(kernel exception 14 \(page fault\) at rip 0x[0-9a-f]{16}\); the other cores keep running$")


class CoreFault(unittest.TestCase):
    def test_page_fault_on_core2(self):
        image = variant_image("crash-core2", cmdline="crash=2")
        with Boot("qemu", smp=4, image=image, name="qemu-crash-core2") as b:
            b.expect(r'^command line: "crash=2"$', 60)
            b.expect(REPORT, 60)
            b.expect(r"^timer: 3 of 4 cores ticking, core 2 dead$", 60)


if __name__ == "__main__":
    unittest.main()
