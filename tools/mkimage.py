#!/usr/bin/env python3
"""Assembles the bootable raw disk image.

Layout: LBA 0 the MBR (stage 1, with the layout table at 0x1A0 and one
partition entry covering the image), LBA 1.. stage 2 (its command-line field
filled in), then the kernel ELF file and the boot archive, each starting on a
4 KiB boundary. bootloader/common.inc is the other side of this contract."""
import argparse
import struct
import sys

SECTOR = 512
LAYOUT_OFF = 0x1A0
LAYOUT_MAGIC = 0x4C445948  # "HYDL"
S2_CMDLINE_OFF = 8
CMDLINE_MAX = 256
STAGE2_MAX_SECT = 62
ALIGN = 4096


def pad(data, align):
    return data + b"\0" * (-len(data) % align)


def build(stage1, stage2, kernel, archive, cmdline):
    if len(stage1) != SECTOR or stage1[510:] != b"\x55\xaa":
        sys.exit("mkimage: stage 1 must be one 512-byte sector ending in 55 AA")
    stage2 = bytearray(pad(stage2, SECTOR))
    if len(stage2) > STAGE2_MAX_SECT * SECTOR:
        sys.exit("mkimage: stage 2 is larger than %d sectors" % STAGE2_MAX_SECT)
    cmd = cmdline.encode()
    if len(cmd) >= CMDLINE_MAX:
        sys.exit("mkimage: command line longer than %d bytes" % (CMDLINE_MAX - 1))
    stage2[S2_CMDLINE_OFF:S2_CMDLINE_OFF + CMDLINE_MAX] = pad(cmd + b"\0", CMDLINE_MAX)[:CMDLINE_MAX]

    kernel_off = len(pad(stage1 + stage2, ALIGN))
    archive_off = kernel_off + len(pad(kernel, ALIGN))
    total = len(pad(b"\0" * (archive_off + len(archive)), 1024 * 1024))
    for name, size in (("kernel", len(kernel)), ("archive", len(archive))):
        if size >= 1 << 32:
            sys.exit("mkimage: %s is larger than 4 GiB" % name)

    mbr = bytearray(stage1)
    mbr[LAYOUT_OFF:LAYOUT_OFF + 24] = struct.pack(
        "<IHHIIII", LAYOUT_MAGIC, len(stage2) // SECTOR, 0,
        kernel_off // SECTOR, len(kernel), archive_off // SECTOR, len(archive))
    # One active partition of type 0x7F ("experimental") over the whole disk,
    # so firmware that insists on a partition table boots it.
    sectors = total // SECTOR
    mbr[0x1BE:0x1CE] = struct.pack("<B3sB3sII", 0x80, b"\xff\xff\xff", 0x7F,
                                   b"\xff\xff\xff", 1, sectors - 1)
    image = bytearray(total)
    image[0:SECTOR] = mbr
    image[SECTOR:SECTOR + len(stage2)] = stage2
    image[kernel_off:kernel_off + len(kernel)] = kernel
    image[archive_off:archive_off + len(archive)] = archive
    return bytes(image)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--stage1", required=True)
    ap.add_argument("--stage2", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--archive", required=True)
    ap.add_argument("--cmdline", default="")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    parts = [open(p, "rb").read() for p in (a.stage1, a.stage2, a.kernel, a.archive)]
    image = build(*parts, a.cmdline)
    with open(a.output, "wb") as f:
        f.write(image)
    print("mkimage: %s: %d KiB (kernel %d KiB, archive %d KiB)" % (
        a.output, len(image) // 1024, len(parts[2]) // 1024, len(parts[3]) // 1024))


if __name__ == "__main__":
    main()
