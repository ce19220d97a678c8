#!/usr/bin/env python3
"""Writes the cpio test archives of tests/unit/test_cpio.c and test_vfs.c into
this directory. good.cpio is a tree written by tools/mkcpio.py, the boot
archive's own writer; every other archive is written entry by entry here, so
that any header field, name or padding can be made wrong on purpose.
Run: python3 tests/unit/data/cpio/make.py   (the output is deterministic)

File contents the C tests recompute: pattern(n, seed)[i] = (i * 7 + seed) % 251."""
import os
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MKCPIO = os.path.join(HERE, "..", "..", "..", "..", "tools", "mkcpio.py")
REG, DIR, LNK, CHR = stat.S_IFREG, stat.S_IFDIR, stat.S_IFLNK, stat.S_IFCHR


def pattern(n, seed):
    return bytes((i * 7 + seed) % 251 for i in range(n))


# ---------------------------------------------------------------- good.cpio

GOOD_FILES = {
    "bin/start.boot": b"boot script\n",
    "bin/erl": b"#!/bin/sh\n",
    "etc/inetrc": b"{lookup, [file]}.\n",
    "empty": b"",
    "a-b": b"dash\n",
    "a.c": b"dot\n",
    "a/x": b"ax\n",
    "a/y/z": b"z\n",
    "deep/d1/d2/d3/d4/leaf": b"leaf\n",
    "lib/kernel-8.5.3/ebin/kernel.app": b"{application, kernel, []}.\n",
    "lib/kernel-8.5.3/ebin/big.beam": pattern(10007, 3),
    "lib/stdlib-4.2/ebin/lists.beam": pattern(333, 1),
    "long/" + "L" * 255: b"longest name\n",
}
GOOD_FILES.update({"many/f%03d" % i: b"f%03d\n" % i for i in range(100)})
GOOD_DIRS = ["emptydir"]
GOOD_EXEC = ["bin/erl"]


def make_good(path):
    with tempfile.TemporaryDirectory() as root:
        for name, data in GOOD_FILES.items():
            full = os.path.join(root, name)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(data)
            os.chmod(full, 0o755 if name in GOOD_EXEC else 0o644)
        for d in GOOD_DIRS:
            os.makedirs(os.path.join(root, d))
        subprocess.run([sys.executable, MKCPIO, root, path], check=True)


# ------------------------------------------------- hand-made newc entries

def header(mode=REG | 0o644, size=0, namesize=0, magic=b"070701", ino=1, raw=None):
    """raw maps a field index (0 = ino ... 12 = check) to 8 bytes as given."""
    fields = [ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, namesize, 0]
    out = [b"%08X" % f for f in fields]
    for i, v in (raw or {}).items():
        out[i] = v
    return magic + b"".join(out)


def entry(name, data=b"", mode=REG | 0o644, namesize=None, magic=b"070701",
          raw=None, name_pad=None, data_pad=None):
    """One entry; name is bytes without its NUL (added here) unless namesize
    says otherwise. name_pad/data_pad replace the zero padding."""
    if isinstance(name, str):
        name = name.encode()
    nm = name + b"\0"
    if namesize is None:
        namesize = len(nm)
    out = header(mode, len(data), namesize, magic, raw=raw) + nm
    pad = -len(out) % 4
    out += name_pad if name_pad is not None else b"\0" * pad
    out += data
    pad = -len(data) % 4
    out += data_pad if data_pad is not None else b"\0" * pad
    return out


TRAILER = entry("TRAILER!!!", mode=0)


def archive(*entries, trailer=True):
    return b"".join(entries) + (TRAILER if trailer else b"")


def cases():
    ok = entry("ok", b"fine\n")
    big = entry("f", pattern(100, 0))
    c = {}
    # accepted
    c["trailer_only"] = TRAILER
    c["absolute"] = archive(entry("/etc", mode=DIR | 0o755), entry("/etc/passwd", b"root:x:0:0\n"),
                            entry("//abs2", b"2\n"))
    c["dot_names"] = archive(entry(".", mode=DIR | 0o755), entry("./x", b"x\n"),
                             entry("./d/./y", b"y\n"))
    c["implied_only"] = archive(entry("x/y/z", b"z\n"))
    c["unsorted"] = archive(entry("p/q/r", b"r\n"), entry("p/q", mode=DIR | 0o700),
                            entry("p", mode=DIR | 0o711), entry("b", b"b\n"))
    c["duplicate_dir"] = archive(entry("d", mode=DIR | 0o755), entry("d/x", b"x\n"),
                                 entry("d", mode=DIR | 0o755))
    c["symlink"] = archive(entry("l", b"target", mode=LNK | 0o777), entry("t", b"t\n"),
                           entry("dev/console", mode=CHR | 0o600))
    c["garbage_after_trailer"] = archive(ok) + b"\xffjunk after the trailer\0"
    c["crc_format"] = archive(entry("ok", b"fine\n", magic=b"070702"))
    c["lowercase_hex"] = archive(entry("f", b"0123456789", raw={6: b"0000000a"}))
    c["path_max"] = archive(entry("ppppppppp/" * 102 + "abc"))  # namesize 1024
    c["devnull_file"] = archive(entry("dev", mode=DIR | 0o755), entry("dev/null", b""),
                                entry("tmp", mode=DIR | 0o755), entry("tmp/hidden", b"h\n"))
    c["tmp_file"] = archive(entry("tmp", b"not a directory\n"))
    # refused
    c["truncated_header"] = archive(ok)[: len(ok) + 50]
    c["truncated_name"] = archive(ok)[: len(ok) + 112]
    c["truncated_data"] = archive(big)[: 112 + 50]
    c["truncated_pad"] = archive(entry("f", b"12345"))[: 112 + 5 + 1]
    c["bad_magic"] = archive(entry("x", b"x", magic=b"070707"))
    c["nonhex_g"] = archive(entry("x", b"x", raw={6: b"0000000G"}))
    c["nonhex_space"] = archive(entry("x", b"x", raw={6: b" 0000001"}))
    c["nonhex_plus"] = archive(entry("x", b"x", raw={6: b"+0000001"}))
    c["nonhex_0x"] = archive(entry("x", b"x", raw={6: b"0x000001"}))
    c["nonhex_namesize"] = archive(entry("x", b"x", raw={11: b"0000000-"}))
    c["namesize0"] = archive(entry("x", b"x", namesize=0))
    c["namesize1"] = archive(entry("", b"x"))
    c["huge_filesize"] = archive(entry("x", b"x", raw={6: b"FFFFFFFF"}))
    c["huge_namesize"] = archive(entry("x", b"x", raw={11: b"FFFFFFFF"}))
    c["namesize_past_end"] = entry("x", b"", namesize=200)
    c["name_no_nul"] = archive(entry("abc", b"", namesize=3))
    c["name_inner_nul"] = archive(entry(b"ab\0cd", b"x"))
    c["dotdot"] = archive(ok, entry("../x", b"evil\n"))
    c["dotdot_mid"] = archive(entry("a/../../x", b"evil\n"))
    c["dotdot_end"] = archive(entry("a/..", mode=DIR | 0o755))
    c["dotdot_abs"] = archive(entry("/../etc/passwd", b"evil\n"))
    c["empty_component"] = archive(entry("a//b", b"x\n"))
    c["trailing_slash"] = archive(entry("a/", mode=DIR | 0o755))
    c["long_component"] = archive(entry("L" * 256, b"x\n"))
    c["long_path"] = archive(entry("ppppppppp/" * 102 + "abcd"))  # namesize 1025
    c["no_trailer"] = archive(ok, big, trailer=False)
    c["empty_archive"] = b""
    c["duplicate_file"] = archive(entry("x", b"1\n"), entry("x", b"2\n"))
    c["file_and_dir"] = archive(entry("x", b"1\n"), entry("x", mode=DIR | 0o755))
    c["file_as_dir"] = archive(entry("f", b"file\n"), entry("f/x", b"x\n"))
    c["file_as_dir_implied"] = archive(entry("f/x", b"x\n"), entry("f", b"file\n"))
    c["under_symlink"] = archive(entry("l", b"t", mode=LNK | 0o777), entry("l/x", b"x\n"))
    c["dot_file"] = archive(entry(".", b"root as a file\n"))
    c["dir_with_size"] = archive(entry("d", b"data", mode=DIR | 0o755))
    c["bad_name_pad"] = archive(entry("xy", b"x", name_pad=b"\0\1\0"))
    c["bad_data_pad"] = archive(entry("x", b"x", data_pad=b"\0\0\7"))
    c["unaligned_next"] = archive(entry("x", b"12345", data_pad=b"")) + b"\0\0\0"
    return c


def main():
    make_good(os.path.join(HERE, "good.cpio"))
    for name, data in cases().items():
        with open(os.path.join(HERE, name + ".cpio"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
