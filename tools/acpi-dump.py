#!/usr/bin/env python3
"""acpi-dump.py: capture, inspect and corrupt the firmware ACPI tables that the
host tests of percore/acpi.c replay (tests/unit/data/acpi/*.dump).

The BIOS builds its ACPI tables before it boots anything, so no kernel is
needed: the emulator boots a 512-byte sector that prints a marker on COM1 and
halts, guest RAM is saved, and the tables are followed from the RSDP offline.

Usage (from the repository root):
  tools/acpi-dump.py qemu  [--machine pc|q35] [--smp N] [--mem 128M] [--full-bios] -o FILE
  tools/acpi-dump.py bochs [--cpus N] [--megs 32] [--full-bios] -o FILE
  tools/acpi-dump.py corrupt SRC.dump OUTDIR   # writes OUTDIR/<stem>-<case>.dump
  tools/acpi-dump.py show FILE.dump            # lists records, decodes RSDP/RSDT/MADT
  tools/acpi-dump.py all [DIR]                 # regenerates the whole test set
                                               # (default DIR: tests/unit/data/acpi)
Needs qemu-system-x86_64 (SeaBIOS) and/or bochs + bochsbios; QEMU runs with
-display none, Bochs with the rfb display and timeout=0, so both are headless.

Dump file format (all integers little-endian):
  magic     8 bytes  "ACPIDMP1"
  records until end of file, each:
    phys    u64      guest physical address of the first byte
    len     u32      number of bytes that follow
    name    4 bytes  what it is: "BDA " (the EBDA segment word at 0x40E),
                     "EBDA" (its first KiB), "BIOS" (part of 0xE0000-0xFFFFF,
                     holding the RSDP), or a table signature ("RSDT", "APIC"...)
    data    len bytes
Only the regions a parser needs are kept: the EBDA pointer, the first KiB of
the EBDA, the 4 KiB page of the BIOS area holding the RSDP (the whole 128 KiB
with --full-bios) and each table reachable from the RSDP: the RSDT/XSDT, every
table they list, and the DSDT and FACS the FADT points to. Everything else
reads as "not available", which is what the test's map callback answers.

Reproducibility: the same QEMU/Bochs version and options give the same tables
byte for byte; only a few bytes of the "BIOS" record may differ between runs,
because SeaBIOS keeps live runtime variables in the F-segment next to the RSDP.
"""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

MAGIC = b"ACPIDMP1"
READY = b"ACPI-DUMP-READY"

# The boot sector (nasm, org 0x7c00): print READY on COM1, then halt forever.
#   xor ax,ax / mov ds,ax / cld / mov si,msg / mov dx,0x3f8
#   .next: lodsb / test al,al / jz .done / out dx,al / jmp .next
#   .done: cli / hlt / jmp .done
#   msg: db "ACPI-DUMP-READY",13,10,0
BOOT_CODE = bytes.fromhex("31c08ed8fcbe177cbaf803ac84c07403eeebf8faf4ebfc")


def boot_sector():
    sec = BOOT_CODE + READY + b"\r\n\0"
    return sec + bytes(510 - len(sec)) + b"\x55\xaa"


# ---------------------------------------------------------------- file format

def read_dump(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != MAGIC:
        sys.exit("%s: not an ACPI dump (bad magic)" % path)
    recs, off = [], 8
    while off < len(data):
        if off + 16 > len(data):
            sys.exit("%s: truncated record header at %d" % (path, off))
        phys, length, name = struct.unpack_from("<QI4s", data, off)
        off += 16
        if off + length > len(data):
            sys.exit("%s: record at %#x runs past the end of the file" % (path, phys))
        recs.append([phys, name, bytearray(data[off:off + length])])
        off += length
    return recs


def write_dump(path, recs):
    out = bytearray(MAGIC)
    for phys, name, data in recs:
        out += struct.pack("<QI4s", phys, len(data), name) + data
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out)
    os.replace(tmp, path)


class Memory:
    """Reads physical memory out of a record list (or a whole RAM image)."""

    def __init__(self, recs):
        self.recs = recs

    def read(self, phys, length):
        for base, _, data in self.recs:
            if base <= phys and phys + length <= base + len(data):
                return bytes(data[phys - base:phys - base + length])
        return None

    def patch(self, phys, new):
        """Writes bytes at phys in every record that holds them."""
        hit = False
        for base, _, data in self.recs:
            if base <= phys and phys + len(new) <= base + len(data):
                data[phys - base:phys - base + len(new)] = new
                hit = True
        if not hit:
            sys.exit("patch at %#x: no record holds it" % phys)


def checksum_ok(b):
    return sum(b) & 0xFF == 0


# ------------------------------------------------------------- table walking

def find_rsdp(mem):
    """Same search as acpi_find_rsdp: EBDA first KiB, then 0xE0000-0xFFFFF."""
    areas = []
    seg = mem.read(0x40E, 2)
    if seg:
        ebda = struct.unpack("<H", seg)[0] << 4
        if ebda:
            areas.append((ebda, ebda + 1024))
    areas.append((0xE0000, 0x100000))
    for lo, hi in areas:
        for a in range(lo, hi, 16):
            head = mem.read(a, 20)
            if not head or head[:8] != b"RSD PTR " or not checksum_ok(head):
                continue
            if head[15] >= 2:
                ext = mem.read(a, 36)
                if not ext:
                    continue
                length = struct.unpack_from("<I", ext, 20)[0]
                full = mem.read(a, length) if 36 <= length <= 4096 else None
                if not full or not checksum_ok(full):
                    continue
            return a
    return 0


def rsdp_fields(mem, a):
    head = mem.read(a, 20)
    rev = head[15]
    rsdt = struct.unpack_from("<I", head, 16)[0]
    xsdt, length = 0, 20
    if rev >= 2:
        ext = mem.read(a, 36)
        length, xsdt = struct.unpack_from("<IQ", ext, 20)
    return dict(oem=head[9:15], rev=rev, rsdt=rsdt, xsdt=xsdt, length=length)


def table_at(mem, phys):
    head = mem.read(phys, 36)
    if not head:
        return None
    length = struct.unpack_from("<I", head, 4)[0]
    if head[:4] == b"FACS":  # no SDT header and no checksum, only a length
        return mem.read(phys, length) if 64 <= length <= 4096 else None
    if not 36 <= length <= 16 << 20:
        return None
    return mem.read(phys, length)


def walk_tables(mem, rsdp):
    """Yields (phys, signature, bytes) for every table reachable from the RSDP."""
    f = rsdp_fields(mem, rsdp)
    seen = set()
    queue = []
    if f["xsdt"]:
        queue.append((f["xsdt"], 8))
    if f["rsdt"]:
        queue.append((f["rsdt"], 4))
    for root, width in queue:
        t = table_at(mem, root)
        if t is None:
            print("warning: root table at %#x unreadable" % root, file=sys.stderr)
            continue
        if root not in seen:
            seen.add(root)
            yield root, t[:4], t
        n = (len(t) - 36) // width
        for i in range(n):
            (p,) = struct.unpack_from("<Q" if width == 8 else "<I", t, 36 + i * width)
            if not p or p in seen:
                continue
            sub = table_at(mem, p)
            if sub is None:
                print("warning: table at %#x unreadable" % p, file=sys.stderr)
                continue
            seen.add(p)
            yield p, sub[:4], sub
            if sub[:4] == b"FACP":
                for extra in fadt_pointers(sub):
                    if extra and extra not in seen:
                        e = table_at(mem, extra)
                        if e is not None:
                            seen.add(extra)
                            yield extra, e[:4], e


def fadt_pointers(fadt):
    """FIRMWARE_CTRL, DSDT and, when the FADT is long enough, X_FIRMWARE_CTRL and X_DSDT."""
    ptrs = list(struct.unpack_from("<II", fadt, 36))
    if len(fadt) >= 148:
        ptrs += list(struct.unpack_from("<QQ", fadt, 132))
    return ptrs


def extract(mem, full_bios):
    """Turns a whole-RAM Memory into the short record list a dump keeps."""
    rsdp = find_rsdp(mem)
    if not rsdp:
        sys.exit("no valid RSDP found in guest memory")
    recs = [[0x40E, b"BDA ", bytearray(mem.read(0x40E, 2))]]
    ebda = struct.unpack("<H", mem.read(0x40E, 2))[0] << 4
    if ebda:
        recs.append([ebda, b"EBDA", bytearray(mem.read(ebda, 1024))])
    if full_bios:
        recs.append([0xE0000, b"BIOS", bytearray(mem.read(0xE0000, 0x20000))])
    elif 0xE0000 <= rsdp < 0x100000:
        page = rsdp & ~0xFFF
        recs.append([page, b"BIOS", bytearray(mem.read(page, 0x1000))])
    kept = Memory(recs)
    for phys, sig, data in walk_tables(mem, rsdp):
        if kept.read(phys, len(data)) is None:  # not already inside a kept region
            recs.append([phys, sig, bytearray(data)])
    return recs


# ------------------------------------------------------------------ emulators

def parse_size(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(s[:-1]) * mult[s[-1].upper()] if s[-1].upper() in mult else int(s)


def run_qemu(machine, smp, mem_size, workdir):
    """Boots QEMU until the boot sector runs, then saves all of guest RAM."""
    boot = os.path.join(workdir, "boot.img")
    ser = os.path.join(workdir, "serial.txt")
    ram = os.path.join(workdir, "ram.bin")
    with open(boot, "wb") as f:  # 1 MiB: SeaBIOS's AHCI (q35) skips a one-sector disk
        f.write(boot_sector())
        f.truncate(1 << 20)
    size = parse_size(mem_size)
    low = min(size, 0x80000000)  # SeaBIOS tables live below the PCI hole
    cmd = ["qemu-system-x86_64", "-machine", machine, "-smp", str(smp), "-m", mem_size,
           "-display", "none", "-serial", "file:" + ser, "-monitor", "stdio",
           "-no-reboot", "-drive", "file=%s,format=raw" % boot]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            if os.path.exists(ser) and READY in open(ser, "rb").read():
                break
            if p.poll() is not None:
                sys.exit("qemu exited early: %s" % p.stderr.read().decode())
            time.sleep(0.2)
        else:
            sys.exit("qemu: boot sector never ran")
        p.stdin.write(('pmemsave 0 %#x "%s"\nquit\n' % (low, ram)).encode())
        p.stdin.flush()
        p.wait(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    return ram


BOCHSRC = """\
megs: {megs}
cpu: count={cpus}, ips=20000000
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
pci: enabled=1, chipset=i440fx
floppya: 1_44={floppy}, status=inserted
boot: floppy
display_library: rfb, options="timeout=0"
speaker: enabled=0
sound: driver=dummy
log: {log}
"""


def run_bochs(cpus, megs, workdir):
    """Runs Bochs to the boot sector's first instruction, then saves all of RAM."""
    floppy = os.path.join(workdir, "floppy.img")
    ram = os.path.join(workdir, "ram.bin")
    with open(floppy, "wb") as f:
        f.write(boot_sector() + bytes(1474560 - 512))
    rc = os.path.join(workdir, "bochsrc")
    with open(rc, "w") as f:
        f.write(BOCHSRC.format(megs=megs, cpus=cpus, floppy=floppy,
                               log=os.path.join(workdir, "bochs.log")))
    cmds = os.path.join(workdir, "cmds")
    with open(cmds, "w") as f:
        # Linear breakpoint on the loaded boot sector: the BIOS is done by then.
        f.write('lb 0x7c00\nc\nwritemem "%s" 0 %d\nquit\n' % (ram, megs << 20))
    out = subprocess.run(["bochs", "-q", "-f", rc, "-rc", cmds], cwd=workdir,
                         stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    if not os.path.exists(ram) or os.path.getsize(ram) != megs << 20:
        sys.exit("bochs did not save memory:\n" + out.stdout.decode(errors="replace")[-2000:])
    return ram


def load_ram(path):
    with open(path, "rb") as f:
        return Memory([[0, b"RAM ", bytearray(f.read())]])


# -------------------------------------------------------------------- display

MADT_TYPES = {0: "LAPIC", 1: "IOAPIC", 2: "ISO", 3: "NMI_SRC", 4: "LAPIC_NMI",
              5: "LAPIC_ADDR", 9: "X2APIC", 10: "X2APIC_NMI"}


def show(path):
    recs = read_dump(path)
    mem = Memory(recs)
    for phys, name, data in recs:
        ok = ""
        if name not in (b"BDA ", b"EBDA", b"BIOS", b"FACS"):
            ok = " checksum ok" if checksum_ok(data) else " CHECKSUM BAD"
        print("%#010x %6d %s%s" % (phys, len(data), name.decode(errors="replace"), ok))
    rsdp = find_rsdp(mem)
    if not rsdp:
        print("no valid RSDP")
        return
    f = rsdp_fields(mem, rsdp)
    print("RSDP at %#x rev %d oem %r rsdt %#x xsdt %#x" %
          (rsdp, f["rev"], f["oem"].decode(errors="replace"), f["rsdt"], f["xsdt"]))
    for phys, sig, t in walk_tables(mem, rsdp):
        if sig != b"APIC":
            continue
        lapic, flags = struct.unpack_from("<II", t, 36)
        print("MADT at %#x: lapic %#x flags %#x" % (phys, lapic, flags))
        off = 44
        while off + 2 <= len(t):
            typ, ln = t[off], t[off + 1]
            e = t[off:off + ln]
            desc = ""
            if typ == 0 and ln >= 8:
                desc = "uid %d apic_id %d flags %#x" % (e[2], e[3], struct.unpack_from("<I", e, 4)[0])
            elif typ == 1 and ln >= 12:
                desc = "id %d addr %#x gsi_base %d" % ((e[2],) + struct.unpack_from("<II", e, 4))
            elif typ == 2 and ln >= 10:
                desc = "bus %d irq %d gsi %d flags %#x" % (e[2], e[3], *struct.unpack_from("<IH", e, 4))
            elif typ == 4 and ln >= 6:
                desc = "uid %#x flags %#x lint %d" % (e[2], struct.unpack_from("<H", e, 3)[0], e[5])
            elif typ == 9 and ln >= 16:
                desc = "x2apic_id %d flags %#x uid %d" % struct.unpack_from("<III", e, 4)
            print("  %-10s len %2d %s" % (MADT_TYPES.get(typ, "type %d" % typ), ln, desc))
            if ln < 2:
                print("  (entry length %d: stop)" % ln)
                break
            off += ln


# ---------------------------------------------------------------- corruption

def madt_of(mem):
    rsdp = find_rsdp(mem)
    for phys, sig, t in walk_tables(mem, rsdp):
        if sig == b"APIC":
            return phys, bytearray(t)
    sys.exit("no MADT to corrupt")


def root_of(mem):
    rsdp = find_rsdp(mem)
    f = rsdp_fields(mem, rsdp)
    return (f["xsdt"], 36) if f["xsdt"] else (f["rsdt"], 20)


def fix_checksum(t, at=9):
    t[at] = 0
    t[at] = (-sum(t)) & 0xFF


def madt_entries(t):
    off = 44
    while off + 2 <= len(t) and t[off + 1] >= 2:
        yield off, t[off], t[off + 1]
        off += t[off + 1]


# Each case takes the clean Memory and damages it in place. The expected result
# of acpi_parse is the comment; the test keeps the same table.
def c_rsdp_checksum(mem):      # ACPI_ERR_RSDP_CHECKSUM, and find_rsdp finds nothing
    a = find_rsdp(mem)
    mem.patch(a + 8, bytes([mem.read(a + 8, 1)[0] ^ 0xFF]))


def c_no_rsdp(mem):            # ACPI_ERR_NO_RSDP: the signature is gone
    a = find_rsdp(mem)
    mem.patch(a, b"NO RSDP!")


def c_root_checksum(mem):      # ACPI_ERR_SDT_CHECKSUM on the RSDT/XSDT
    root, _ = root_of(mem)
    mem.patch(root + 9, bytes([mem.read(root + 9, 1)[0] ^ 0x55]))


def c_root_too_long(mem):      # ACPI_ERR_SDT_MAP: length runs past what is mapped
    root, _ = root_of(mem)
    mem.patch(root + 4, struct.pack("<I", 0x10000))


def c_root_too_short(mem):     # ACPI_ERR_SDT_LENGTH: length smaller than the header
    root, _ = root_of(mem)
    mem.patch(root + 4, struct.pack("<I", 20))


def c_madt_checksum(mem):      # ACPI_ERR_SDT_CHECKSUM on the MADT
    phys, t = madt_of(mem)
    mem.patch(phys + 36, bytes([t[36] ^ 0x01]))  # the local APIC address


def c_no_madt(mem):            # ACPI_ERR_NO_MADT: renamed, checksum still right
    phys, t = madt_of(mem)
    t[:4] = b"APIX"
    fix_checksum(t)
    mem.patch(phys, bytes(t))


def c_madt_no_cpus(mem):       # ACPI_ERR_NO_CPUS: every local APIC disabled
    phys, t = madt_of(mem)
    for off, typ, ln in list(madt_entries(t)):
        if typ == 0:
            t[off + 4:off + 8] = bytes(4)
        elif typ == 9:
            t[off + 8:off + 12] = bytes(4)
    fix_checksum(t)
    mem.patch(phys, bytes(t))


def c_madt_zero_entry(mem):    # ACPI_ERR_MADT_TRUNCATED: an entry of length 0
    phys, t = madt_of(mem)
    off = list(madt_entries(t))[1][0]  # the second entry, after one good CPU
    t[off + 1] = 0
    fix_checksum(t)
    mem.patch(phys, bytes(t))


def c_madt_entry_overrun(mem):  # ACPI_ERR_MADT_TRUNCATED: last entry runs past the end
    phys, t = madt_of(mem)
    off = list(madt_entries(t))[-1][0]
    t[off + 1] = len(t) - off + 8
    fix_checksum(t)
    mem.patch(phys, bytes(t))


CASES = [("rsdp-checksum", c_rsdp_checksum), ("no-rsdp", c_no_rsdp),
         ("root-checksum", c_root_checksum), ("root-too-long", c_root_too_long),
         ("root-too-short", c_root_too_short), ("madt-checksum", c_madt_checksum),
         ("no-madt", c_no_madt), ("madt-no-cpus", c_madt_no_cpus),
         ("madt-zero-entry", c_madt_zero_entry),
         ("madt-entry-overrun", c_madt_entry_overrun)]


def corrupt(src, outdir):
    stem = os.path.splitext(os.path.basename(src))[0]
    for name, fn in CASES:
        recs = read_dump(src)
        fn(Memory(recs))
        out = os.path.join(outdir, "%s-%s.dump" % (stem, name))
        write_dump(out, recs)
        print("wrote", out)


# ----------------------------------------------------------------------- main

def capture(kind, args, out):
    work = tempfile.mkdtemp(prefix="acpi-dump-")
    try:
        if kind == "qemu":
            ram = run_qemu(args.machine, args.smp, args.mem, work)
        else:
            ram = run_bochs(args.cpus, args.megs, work)
        recs = extract(load_ram(ram), args.full_bios)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write_dump(out, recs)
    print("wrote %s (%d records, %d bytes)" % (out, len(recs), os.path.getsize(out)))


# The set tests/unit/test_acpi.c expects: (file, emulator, options).
STANDARD = [
    ("qemu-pc-smp1.dump", "qemu", dict(machine="pc", smp=1, full_bios=True)),
    ("qemu-pc-smp4.dump", "qemu", dict(machine="pc", smp=4)),
    ("qemu-pc-smp8.dump", "qemu", dict(machine="pc", smp=8)),
    ("qemu-q35-smp4.dump", "qemu", dict(machine="q35", smp=4)),
    ("bochs-smp4.dump", "bochs", dict(cpus=4)),
]
CORRUPT_FROM = "qemu-pc-smp4.dump"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("qemu")
    q.add_argument("--machine", default="pc")
    q.add_argument("--smp", type=int, default=1)
    q.add_argument("--mem", default="128M")
    q.add_argument("--full-bios", action="store_true")
    q.add_argument("-o", "--output", required=True)
    b = sub.add_parser("bochs")
    b.add_argument("--cpus", type=int, default=1)
    b.add_argument("--megs", type=int, default=32)
    b.add_argument("--full-bios", action="store_true")
    b.add_argument("-o", "--output", required=True)
    c = sub.add_parser("corrupt")
    c.add_argument("src")
    c.add_argument("outdir")
    s = sub.add_parser("show")
    s.add_argument("file")
    a = sub.add_parser("all")
    a.add_argument("dir", nargs="?", default="tests/unit/data/acpi")
    args = ap.parse_args()

    if args.cmd in ("qemu", "bochs"):
        capture(args.cmd, args, args.output)
    elif args.cmd == "corrupt":
        corrupt(args.src, args.outdir)
    elif args.cmd == "show":
        show(args.file)
    else:
        os.makedirs(args.dir, exist_ok=True)
        for fname, kind, opts in STANDARD:
            ns = argparse.Namespace(**dict(dict(mem="128M", megs=32, full_bios=False), **opts))
            capture(kind, ns, os.path.join(args.dir, fname))
        corrupt(os.path.join(args.dir, CORRUPT_FROM), args.dir)


if __name__ == "__main__":
    main()
