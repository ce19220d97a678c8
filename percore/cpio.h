/* The boot archive: a cpio "newc" image (tools/mkcpio.py) checked once and
 * indexed for lookup by path and for listing a directory.
 *
 * Trust: the archive is read, never written, and never trusted. Every header
 * field is checked (magic 070701 or 070702, eight hex digits per field,
 * namesize and filesize inside the archive, the name NUL-terminated with no
 * NUL before it, zero padding to 4 bytes, a "TRAILER!!!" entry at the end).
 * Names are normalized: leading '/' are dropped (an absolute name is taken
 * relative to the archive root) and "." components are dropped. A name with a
 * ".." component, an empty component ("a//b", "a/"), a component longer than
 * CPIO_NAME_MAX or a namesize over CPIO_PATH_MAX makes the whole archive
 * invalid, as do two entries of one path (unless both are directories) and a
 * file used as a directory ("f" and "f/x"). A bad archive is refused rather
 * than half-used: it is our own boot image, so anything wrong in it means it
 * is damaged, and a node booted from part of it fails later and obscurely.
 * Entries other than regular files and directories (symlinks, devices) are
 * checked and then left out (what lies under one gets implied directories).
 * Bytes after the trailer are ignored.
 *
 * The index: entries sorted by path, component by component (so a directory's
 * descendants follow it directly), entries[0] being the root (path ""). Every
 * directory a path implies is present, with or without its own entry. The
 * caller may add entries of its own (mount points, device nodes): one of
 * those replaces an archive entry of the same path, except that only a
 * directory replaces an archive directory. Paths and data point into
 * the archive, the caller's extras and ix->names, so those must outlive the
 * index. Built once, then read only; a reference count keeps it alive while
 * files opened on it are (single core, not preempted: no locks).
 *
 * Files: cpio_open gives a struct file over an entry: a file reads and seeks
 * (stat S_IFREG, the archive's permission bits less the write ones), a
 * directory lists "." and ".." and then its entries, with d_off cookies that
 * stay valid for the life of the index. */
#ifndef HYDROS_CPIO_H
#define HYDROS_CPIO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uapi.h"
#include "vfs.h"

#define CPIO_PATH_MAX 1024 /* largest namesize accepted, NUL included */
#define CPIO_NAME_MAX 255  /* longest path component */
#define CPIO_NONE UINT32_MAX

struct cpio_entry {
    const char *path;      /* normalized, relative, NOT NUL-terminated; "" = root */
    uint32_t len;          /* of path */
    uint32_t mode;         /* type (S_IFREG, S_IFDIR, an extra's) and permission bits */
    const uint8_t *data;   /* a file's contents, inside the archive; NULL for a directory */
    uint32_t size;         /* bytes at data; 0 for a directory */
    uint32_t parent;       /* index of the containing directory; the root's is 0 */
    uint32_t first_child;  /* a directory's first entry, CPIO_NONE if empty */
    uint32_t next_sibling; /* next entry of the same directory, CPIO_NONE if last */
    uint8_t origin;        /* enum cpio_origin */
    uint64_t hdr_off;      /* where its header starts; UINT64_MAX if not from the archive */
};

/* Where an entry comes from, in order of precedence for one path. An implied
 * directory has mode S_IFDIR | 0755. */
enum cpio_origin { CPIO_EXTRA, CPIO_ARCHIVE, CPIO_IMPLIED };

/* An entry the caller adds: a normalized relative path ("dev/null") and a
 * mode (S_IFDIR, S_IFCHR, ...). It has no data. */
struct cpio_extra {
    const char *path;
    uint32_t mode;
};

struct cpio_index {
    struct cpio_entry *entries; /* sorted; children in index order */
    uint32_t count;             /* >= 1: the root is always there */
    int refs;
    uint64_t dev;               /* st_dev of its files; the caller sets it */
    char *names;                /* storage behind the paths */
};

/* Checks the archive and indexes it with extras (ended by a NULL path; may be
 * NULL). refs = 1. NULL with *err = -EINVAL (malformed: *bad_offset is the
 * offset of the entry at fault, if bad_offset is not NULL) or -ENOMEM. */
struct cpio_index *cpio_index_new(const void *archive, uint64_t len, const struct cpio_extra *extras,
                                  int *err, uint64_t *bad_offset);
void cpio_index_put(struct cpio_index *ix); /* frees it with the last reference */

/* Finds a normalized relative path ("" = root, "a/b", no '/' at either end).
 * 0 and *idx, -ENOENT, or -ENOTDIR when a leading component is a file. */
int cpio_lookup(const struct cpio_index *ix, const char *path, size_t len, uint32_t *idx);

/* stat of entry idx: st_dev ix->dev, inode number idx + 1. */
void cpio_stat(const struct cpio_index *ix, uint32_t idx, struct linux_stat *st);
/* A file over entry idx (a file or directory; others are the caller's),
 * holding a reference to ix. flags are kept as given; checking them against
 * a read-only file system is the caller's job. 0 or -ENOMEM. */
int cpio_open(struct cpio_index *ix, uint32_t idx, uint32_t flags, struct file **out);

/* The last component of e's path (the whole path for a top-level entry). */
static inline const char *cpio_basename(const struct cpio_entry *e, size_t *len)
{
    uint32_t i = e->len;

    while (i > 0 && e->path[i - 1] != '/')
        i--;
    *len = e->len - i;
    return e->path + i;
}

#endif
