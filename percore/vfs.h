/* Open files and the file systems behind them.
 *
 * A struct file is an open file description: shared by every fd that dup()s
 * it, freed when the last reference goes. File operations NEVER block: one
 * that cannot make progress returns -EAGAIN, and the syscall layer waits on
 * f->wq (or, for poll/epoll/select, on the node's poll_wq) and retries.
 * Whoever makes a file readable or writable calls file_changed(f).
 * Buffers passed to the ops are already validated and present (the syscall
 * layer checks and pre-faults user memory), so ops just copy.
 * A struct vfs is one node's name space: every core's node has its own
 * (its own /tmp), over the one read-only boot archive. All of a node's
 * files live on its own core, and the kernel is not preempted, so no locks. */
#ifndef HYDROS_VFS_H
#define HYDROS_VFS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uapi.h"
#include "waitq.h"

struct file;

struct file_ops {
    int64_t (*read)(struct file *f, void *buf, uint64_t len);        /* bytes, 0 at EOF, -errno */
    int64_t (*write)(struct file *f, const void *buf, uint64_t len); /* bytes or -errno */
    uint32_t (*poll)(struct file *f);                                /* POLLIN|POLLOUT|POLLHUP|POLLERR now */
    int64_t (*lseek)(struct file *f, int64_t off, int whence);       /* new position or -errno */
    int (*stat)(struct file *f, struct linux_stat *st);
    int64_t (*getdents)(struct file *f, void *buf, uint64_t len);    /* linux_dirent64 records, 0 at end */
    int64_t (*ioctl)(struct file *f, uint64_t cmd, void *arg);       /* arg: kernel copy, see syscall layer */
    void (*release)(struct file *f);                                 /* last reference gone */
    int (*open)(struct file *f); /* devices only: a new file, priv from the table; 0 or -errno (then released) */
    /* Message files: the length of the message the next read takes (read
     * is then given exactly that much buffer), -EAGAIN for none yet (read
     * is given none), or another -errno, which is the read's result. */
    int64_t (*next_len)(struct file *f);
};

struct file {
    const struct file_ops *ops;
    int refs;
    uint32_t flags; /* O_ACCMODE, O_NONBLOCK, O_APPEND as given to open/fcntl */
    int64_t pos;
    void *priv;
    struct waitq wq; /* woken by file_changed */
    void *epoll_links; /* epoll.c: the epoll entries watching this file */
};

/* A NULL op means: read/write -EBADF or -EINVAL, poll -> POLLIN|POLLOUT,
 * lseek -ESPIPE, stat minimal, getdents -ENOTDIR, ioctl -ENOTTY. */
struct file *file_new(const struct file_ops *ops, uint32_t flags, void *priv); /* refs = 1; NULL if out of memory */
struct file *file_get(struct file *f);
void file_put(struct file *f);
void file_changed(struct file *f); /* wakes f->wq and the poll waiters */

/* The stat op of files with no name (epoll, timerfd): an anonymous inode, like Linux's. */
static inline int file_anon_stat(struct file *f, struct linux_stat *st)
{
    (void)f;
    __builtin_memset(st, 0, sizeof(*st));
    st->st_mode = 0600;
    st->st_nlink = 1;
    st->st_blksize = 4096;
    return 0;
}

/* A device file provided by the caller: every open of path gets a new
 * struct file with these ops and priv. */
struct vfs_device {
    const char *path; /* absolute, normalized: "/dev/console", "/dev/hydros/nodes"; NULL ends a table */
    uint32_t mode;    /* S_IFCHR | permission bits, as stat shows it */
    const struct file_ops *ops;
    void *priv;
};
#define VFS_DEVICES_MAX 80 /* in one table: /dev/hydros and a channel per core */

/* A name space: the archive (cpio newc, read-only) as "/", an empty tmpfs
 * at "/tmp", /dev/null, and the caller's devices: a table ending with a NULL
 * path, or NULL for none. A device hides an archive entry of its path. The
 * directories above a device path (/dev/hydros) exist implicitly, are listed
 * by getdents, and are read-only, like the archive. stat of the table's
 * entry k gives its mode, st_rdev (5 << 8) | (k + 1) (a /dev/console first
 * is Linux's 5:1) and the inode number getdents lists for it. open of a
 * device: -EEXIST with O_CREAT|O_EXCL, -ENOTDIR with O_DIRECTORY, O_TRUNC
 * ignored, then file_new(ops, flags, priv). Creating, removing or renaming
 * names among the devices is -EROFS (-EEXIST, -ENOTDIR where Linux says so).
 * vfs_new copies the table, but its paths (the archive's directory files
 * list them), ops and privs must outlive the vfs and every file opened in
 * it: static ones do.
 * NULL with *err set: -EINVAL when the archive is malformed or the table is
 * bad (more than VFS_DEVICES_MAX entries; no ops; a mode not S_IFCHR; a path
 * not absolute and normalized, too long, "/", /dev, /dev/null, /tmp or under
 * it, twice, under another device, or one that is a directory or under a
 * file of the archive), -ENOMEM when memory runs out. */
struct vfs;
struct vfs *vfs_new(const void *archive, uint64_t archive_len, const struct vfs_device *devices, int *err);
void vfs_free(struct vfs *v); /* the node is gone; open files keep what they need alive */

/* Paths. Every path given to vfs_* is absolute; the syscall layer joins a
 * relative one with the cwd ("/" for now) first. */
int vfs_normalize(const char *path, char *out, size_t outlen); /* "." and ".." and "//" resolved; -ENAMETOOLONG, -EINVAL */
int vfs_open(struct vfs *v, const char *path, int flags, uint32_t mode, struct file **out);
int vfs_stat(struct vfs *v, const char *path, struct linux_stat *st);
/* A regular file of the boot archive, in place: its bytes stay valid and
 * unchanged as long as the kernel runs (the archive is never freed).
 * -EINVAL for anything not an archive file. */
int vfs_archive_file(struct vfs *v, const char *path, const void **data, uint64_t *len);
int vfs_mkdir(struct vfs *v, const char *path, uint32_t mode);
int vfs_unlink(struct vfs *v, const char *path);
int vfs_rmdir(struct vfs *v, const char *path);
int vfs_rename(struct vfs *v, const char *from, const char *to);

#endif
