#!/usr/bin/env python3
"""Writes directory trees as one cpio archive in the "newc" format, the boot
archive format. With several trees, a file of a later one replaces the same
path of an earlier one. Entries are sorted, owned by root, with mtime 0, so
the same trees always give the same bytes. Usage: mkcpio.py DIR... OUTPUT"""
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


def collect(roots):
    """path -> None for a directory, or the file it comes from."""
    tree = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            rel = os.path.relpath(dirpath, root)
            if rel != ".":
                tree[rel] = None
            for fn in filenames:
                tree[os.path.normpath(os.path.join(rel, fn))] = os.path.join(dirpath, fn)
    return tree


def archive(roots):
    out = []
    for ino, (name, path) in enumerate(sorted(collect(roots).items()), start=1):
        if path is None:
            out.append(entry(name, stat.S_IFDIR | 0o755, b"", ino))
            continue
        perm = 0o755 if os.stat(path).st_mode & 0o111 else 0o644
        with open(path, "rb") as f:
            out.append(entry(name, stat.S_IFREG | perm, f.read(), ino))
    out.append(entry("TRAILER!!!", 0, b"", 0))
    return b"".join(out)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    data = archive(sys.argv[1:-1])
    with open(sys.argv[-1], "wb") as f:
        f.write(data)
