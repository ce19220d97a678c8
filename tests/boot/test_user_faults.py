"""Bad input from user space: system calls with kernel, unmapped and wrapping
pointers get EFAULT (and other bad arguments their errno) while the kernel
survives; a fault in user code, and a fault injected into a running ERTS,
print a register dump naming the thread, end the node, and leave the core's
kernel running."""
import os
import unittest

from harness import BUILD, Boot, node_args, variant_archive, variant_image

BADPTR = os.path.join(BUILD, "progs", "badptr")
DUMP = (r"^\*\*\* node 0, thread (?P<tid>\d+): (?P<why>[a-z ]+): exception 14 \(page fault\), error code 0x[0-9a-f]+\n"
        r"  rip 0x(?P<rip>[0-9a-f]{16})  rsp 0x[0-9a-f]{16}  rflags 0x[0-9a-f]+  cr2 0x(?P<cr2>[0-9a-f]{16})  fs 0x[0-9a-f]{16}\n"
        r"(  r.*\n){4}"
        r"\*\*\* node 0 is dead; the kernel of core 0 keeps running$")
ALIVE = r"^core 0: kernel alive after the node's crash: (\d+) timer ticks since$"


def badptr_image(name, *args):
    archive = variant_archive(name, {"bin/badptr": BADPTR, "etc/hydros/console.args": node_args("/bin/badptr", *args)})
    return variant_image(name, archive=archive)


class UserFaults(unittest.TestCase):
    def test_bad_pointers_get_efault(self):
        with Boot("qemu", smp=1, image=badptr_image("badptr"), name="qemu-badptr") as b:
            b.expect(r"^badptr: 0 failures; the kernel survived$", 60)
            text = b.text()
            self.assertEqual(text.count(": ok ("), 15, text)
            self.assertNotIn("WRONG", text)
            b.expect(r"^node 0: exited with status 0$", 30)

    def test_segfault_ends_the_node_only(self):
        with Boot("qemu", smp=2, image=badptr_image("badptr-segv", "segv"), name="qemu-badptr-segv") as b:
            m = b.expect(DUMP, 60)
            self.assertEqual(m.group("why"), "segmentation fault")
            self.assertEqual(int(m.group("cr2"), 16), 16)
            b.expect(r"^node 0: crashed \(status 139\); core 0 keeps running$", 30)
            ticks = int(b.expect(ALIVE, 30).group(1))
            self.assertGreaterEqual(ticks, 50)  # a second at 100 Hz, give or take

    def test_fault_injected_into_erts(self):
        # 6 s after ERTS starts (its shell is up by then), one of its threads
        # jumps to an unmapped address.
        image = variant_image("erts-fault", cmdline="inject=0:node_crash@6000")
        with Boot("qemu", smp=1, image=image, name="qemu-erts-fault") as b:
            b.expect(r"^Eshell V", 60)
            m = b.expect(DUMP, 60)
            self.assertEqual(m.group("why"), "segmentation fault")
            self.assertEqual(int(m.group("rip"), 16), 0xDEAD0000)
            b.expect(r"^node 0: crashed \(status 139\); core 0 keeps running$", 30)
            b.expect(ALIVE, 30)
            self.assertNotIn("powering off", b.text())


if __name__ == "__main__":
    unittest.main()
