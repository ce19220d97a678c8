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
 * checked and then left out. Bytes after the trailer are ignored.
 *
 * The index: entries sorted by path, component by component (so a directory's
 * descendants follow it directly), entries[0] being the root (path ""). Every
 * directory a path implies is present, with or without its own entry. Paths
 * and data point into the archive and into ix->names, so the archive must
 * outlive the index. Built once, then read only: no locks. */
#ifndef HYDROS_CPIO_H
#define HYDROS_CPIO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPIO_PATH_MAX 1024 /* largest namesize accepted, NUL included */
#define CPIO_NAME_MAX 255  /* longest path component */
#define CPIO_NONE UINT32_MAX

struct cpio_entry {
    const char *path;      /* normalized, relative, NOT NUL-terminated; "" = root */
    uint32_t len;          /* of path */
    uint32_t mode;         /* S_IFREG or S_IFDIR and the archive's permission bits */
    const uint8_t *data;   /* a file's contents, inside the archive; NULL for a directory */
    uint32_t size;         /* bytes at data; 0 for a directory */
    uint32_t parent;       /* index of the containing directory; the root's is 0 */
    uint32_t first_child;  /* a directory's first entry, CPIO_NONE if empty */
    uint32_t next_sibling; /* next entry of the same directory, CPIO_NONE if last */
    bool implied;          /* a directory with no entry of its own (mode 0755) */
    uint64_t hdr_off;      /* where its header starts; UINT64_MAX if implied */
};

struct cpio_index {
    struct cpio_entry *entries; /* sorted; children in index order */
    uint32_t count;             /* >= 1: the root is always there */
    char *names;                /* storage behind the paths */
    uint64_t bad_offset;        /* after -EINVAL: offset of the entry at fault */
};

/* Checks the archive and builds *ix. extra_dirs (NULL-terminated, may be NULL)
 * are normalized relative paths added as implied directories, e.g. mount
 * points; the strings must outlive the index. Returns 0, -EINVAL (malformed,
 * ix->bad_offset says where) or -ENOMEM. On failure *ix holds nothing. */
int cpio_index_build(struct cpio_index *ix, const void *archive, uint64_t len,
                     const char *const *extra_dirs);
void cpio_index_free(struct cpio_index *ix);

/* Finds a normalized relative path ("" = root, "a/b", no '/' at either end).
 * 0 and *idx, -ENOENT, or -ENOTDIR when a leading component is a file. */
int cpio_lookup(const struct cpio_index *ix, const char *path, size_t len, uint32_t *idx);

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
