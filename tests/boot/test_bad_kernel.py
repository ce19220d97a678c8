"""A kernel file that is not an x86-64 ELF executable is refused by the loader."""
import os
import unittest

from harness import BUILD, Boot, variant_image


def corrupted_kernel(name, offset, value):
    data = bytearray(open(os.path.join(BUILD, "kernel.elf"), "rb").read())
    data[offset:offset + len(value)] = value
    path = os.path.join(BUILD, "test-images", name + ".elf")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "wb").write(data)
    return path


class BadKernel(unittest.TestCase):
    def refused(self, name, offset, value):
        image = variant_image(name, kernel=corrupted_kernel(name, offset, value))
        with Boot("qemu", smp=1, image=image, name=name) as b:
            b.expect(r"^hydros: boot failed: the kernel is not a valid x86-64 ELF executable$", 30)
            self.assertNotIn("HydrOS:", b.text())

    def test_bad_magic(self):
        self.refused("bad-elf-magic", 0, b"\x7fELG")

    def test_32bit_class(self):
        self.refused("bad-elf-class", 4, b"\x01")

    def test_wrong_machine(self):
        self.refused("bad-elf-machine", 18, b"\x28\x00")  # ARM

    def test_segment_outside_window(self):
        # The first program header's p_paddr (at e_phoff + 24) moved below 1 MiB.
        data = open(os.path.join(BUILD, "kernel.elf"), "rb").read()
        phoff = int.from_bytes(data[32:40], "little")
        self.refused("bad-elf-paddr", phoff + 24, (0x1000).to_bytes(8, "little"))


if __name__ == "__main__":
    unittest.main()
