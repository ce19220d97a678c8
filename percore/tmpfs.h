/* tmpfs: a node's writable, in-memory file system (its /tmp), and the
 * helpers that every file system's file_ops share (defined in file.c).
 *
 * Paths given to tmpfs_* are relative to the tmpfs root and normalized the
 * way vfs_normalize leaves them, less the leading '/': "" is the root, "a/b"
 * a name in a directory; no ".", "..", empty or over-long components (the
 * vfs has already refused those and handled a trailing '/'). Errors are those
 * Linux gives: -ENOENT, -ENOTDIR, -EEXIST, -EISDIR, -ENOTEMPTY, -EINVAL,
 * -EBUSY, -ENOSPC, -ENOMEM.
 *
 * Space: file data lives in chunks of TMPFS_CHUNK bytes, zero-filled when
 * added, so writing past the end reads back zeros in between (no sparse
 * files). Every chunk and every node (TMPFS_NODE_COST) is charged against the
 * cap given to tmpfs_new; a write that would pass it is cut short, or fails
 * with -ENOSPC when not one byte fits. Open files hold their node: a file or
 * directory removed while open stays usable until its last close (a removed
 * directory lists as -ENOENT, as on Linux). The tmpfs itself lives until it
 * is unmounted and its last open file is closed. Single-core, not preempted:
 * no locks. Directory lookups are linear: /tmp is meant for a few files. */
#ifndef HYDROS_TMPFS_H
#define HYDROS_TMPFS_H
#include <stdbool.h>
#include <stdint.h>

#include "uapi.h"
#include "vfs.h"

#define TMPFS_CHUNK 4032u     /* a page less room for the heap's block header */
#define TMPFS_NODE_COST 512u  /* charged for each file or directory: about its heap block */
#define TMPFS_NAME_MAX 255

struct tmpfs;
/* An empty tmpfs whose files and nodes may use cap bytes, stat()ing as
 * device dev. NULL when out of memory. */
struct tmpfs *tmpfs_new(uint64_t cap, uint64_t dev);
/* Removes every name; open files keep what they need until closed. */
void tmpfs_unmount(struct tmpfs *fs);
uint64_t tmpfs_used(const struct tmpfs *fs); /* bytes charged now */

/* open(2) from O_ACCMODE, O_CREAT, O_EXCL, O_TRUNC (even with O_RDONLY, as
 * on Linux), O_DIRECTORY, O_APPEND, O_NONBLOCK; mode's 07777 bits for a new
 * file. O_CREAT with O_DIRECTORY is the caller's to refuse. */
int tmpfs_open(struct tmpfs *fs, const char *path, int flags, uint32_t mode, struct file **out);
int tmpfs_stat(struct tmpfs *fs, const char *path, struct linux_stat *st);
int tmpfs_mkdir(struct tmpfs *fs, const char *path, uint32_t mode);
int tmpfs_unlink(struct tmpfs *fs, const char *path);
int tmpfs_rmdir(struct tmpfs *fs, const char *path);
int tmpfs_rename(struct tmpfs *fs, const char *from, const char *to); /* replaces a file or empty directory */
/* ftruncate(2) on an open tmpfs file: -EINVAL for any other file or one not
 * open for writing, -ENOSPC when growing it does not fit. */
int tmpfs_truncate(struct file *f, uint64_t size);

/* ---- file.c: helpers for file_ops. */
#ifndef SEEK_SET
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#endif
/* Flags that act at open only, so are not kept in f->flags (as Linux's
 * F_GETFL does not show them). */
#define OPEN_ONLY_FLAGS (O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)

bool file_can_read(const struct file *f);  /* O_RDONLY or O_RDWR */
bool file_can_write(const struct file *f); /* O_WRONLY or O_RDWR */
/* lseek for a file of the given size: SEEK_SET/CUR/END, -EINVAL for another
 * whence or a result below 0 or past INT64_MAX. */
int64_t file_seek(struct file *f, int64_t off, int whence, int64_t size);

/* A directory's position is a cookie: 0 is ".", 1 is "..", and from 2 on the
 * meaning is the directory's own; d_off of each record is the cookie of the
 * one after it, so lseek to a d_off resumes there. */
struct dir_entry {
    uint64_t ino;
    int64_t next; /* the cookie after this entry */
    uint8_t type; /* DT_DIR, DT_REG, DT_CHR */
    const char *name;
    size_t len;
};
/* The first entry at or after cookie pos: 1 and *e, 0 at the end, or -errno. */
typedef int (*dir_next_fn)(struct file *f, int64_t pos, struct dir_entry *e);
/* getdents64 from f->pos on: bytes of whole linux_dirent64 records (8-byte
 * aligned, NUL-terminated names), 0 at the end, -EINVAL when the first record
 * does not fit in len. Moves f->pos past what it returned. */
int64_t dir_getdents(struct file *f, void *buf, uint64_t len, dir_next_fn next);
int64_t dir_seek(struct file *f, int64_t off, int whence); /* SEEK_SET, SEEK_CUR */
int64_t dir_read(struct file *f, void *buf, uint64_t len);  /* -EISDIR */

#endif
