#!/usr/bin/env python3
"""Writes a directory tree as a cpio archive in the "newc" format, the boot
archive format. Entries are sorted, owned by root, with mtime 0, so the same
tree always gives the same bytes. Usage: mkcpio.py DIR OUTPUT"""
import os
import stat
import sys


def header(name, mode, size, nlink, ino):
    fields = (ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, len(name) + 1, 0)
    return b"070701" + b"".join(b"%08X" % f for f in fields)


def entry(name, mode, data, ino):
    nlink = 2 if stat.S_ISDIR(mode) else 1
    out = header(name, mode, len(data), nlink, ino) + name.encode() + b"\0"
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out


def archive(root):
    out, ino = [], 1
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        if rel != ".":
            out.append(entry(rel, stat.S_IFDIR | 0o755, b"", ino))
            ino += 1
        for fn in sorted(filenames):
            path = os.path.join(dirpath, fn)
            name = os.path.normpath(os.path.join(rel, fn))
            mode = os.stat(path).st_mode
            perm = 0o755 if mode & 0o111 else 0o644
            with open(path, "rb") as f:
                out.append(entry(name, stat.S_IFREG | perm, f.read(), ino))
            ino += 1
    out.append(entry("TRAILER!!!", 0, b"", 0))
    return b"".join(out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    data = archive(sys.argv[1])
    with open(sys.argv[2], "wb") as f:
        f.write(data)
