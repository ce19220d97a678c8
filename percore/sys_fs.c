/* File descriptors and the file system calls. A node's fd table maps small
 * integers to struct file (vfs.h). Blocking lives here, not in the files:
 * an op that returns -EAGAIN on a blocking fd makes the thread wait on the
 * file's waitq and try again. */
#include <stdio.h>
#include <string.h>

#include "pipe.h"
#include "sched.h"
#include "syscall.h"
#include "uapi.h"
#include "vfs.h"

#define PATH_MAX 1024 /* three of these live on a 16 KiB kernel stack at once */
#define IO_CHUNK (1ull << 20) /* one call moves at most this much; callers loop */
#define SEEK_SET 0

static struct node *node(void)
{
    return current()->node;
}

int fd_install(struct node *n, struct file *f, int min_fd, bool cloexec)
{
    for (int fd = min_fd; fd < MAX_FDS; fd++)
        if (!n->fds[fd]) {
            n->fds[fd] = f;
            n->cloexec[fd] = cloexec;
            return fd;
        }
    return -EMFILE;
}

struct file *fd_file(int fd)
{
    return fd >= 0 && fd < MAX_FDS ? node()->fds[fd] : NULL;
}

void fd_close_all(struct node *n)
{
    for (int fd = 0; fd < MAX_FDS; fd++)
        if (n->fds[fd]) {
            file_put(n->fds[fd]);
            n->fds[fd] = NULL;
        }
}

/* Joins a user path with the cwd and normalizes it. */
static int user_path(u64 dirfd, u64 upath, char *out)
{
    char raw[PATH_MAX], joined[PATH_MAX];
    int64_t len = strncpy_from_user(raw, upath, sizeof(raw));
    if (len < 0)
        return (int)len;
    if (len == 0)
        return -ENOENT;
    if (raw[0] == '/') {
        strlcpy(joined, raw, sizeof(joined));
    } else {
        if ((int)dirfd != AT_FDCWD)
            return fd_file((int)dirfd) ? -ENOTSUP : -EBADF; /* only the cwd is a base */
        if (snprintf(joined, sizeof(joined), "%s/%s", node()->cwd, raw) >= (int)sizeof(joined))
            return -ENAMETOOLONG;
    }
    return vfs_normalize(joined, out, PATH_MAX);
}

/* ---- reading and writing */

typedef int64_t (*io_fn)(struct file *f, void *buf, uint64_t len);

static int64_t do_io(struct file *f, u64 ubuf, u64 len, bool is_read)
{
    uint32_t mode = f->flags & O_ACCMODE;
    if (is_read ? mode == O_WRONLY : mode == O_RDONLY)
        return -EBADF;
    io_fn fn = is_read ? f->ops->read : (io_fn)f->ops->write;
    if (!fn)
        return -EINVAL;
    if (len > IO_CHUNK)
        len = IO_CHUNK;
    file_get(f); /* another thread may close the fd while this one waits */
    current()->io_file = f; /* put by node_reclaim if the core dies meanwhile */
    int64_t r;
    for (;;) {
        /* A message file's read is given only the message's bytes of the
         * buffer (none when there is no message), checked and faulted in:
         * a read of a large buffer must not touch every page of it. */
        uint64_t room = len;
        if (is_read && f->ops->next_len) {
            int64_t next = f->ops->next_len(f);
            if (next < 0 && next != -EAGAIN) {
                r = next;
                break;
            }
            room = next < 0 ? 0 : (uint64_t)next < len ? (uint64_t)next : len;
        }
        void *kbuf = user_buffer(ubuf, room, is_read);
        if (!kbuf && room) {
            r = -EFAULT;
            break;
        }
        r = fn(f, kbuf, room);
        if (r == -EMSGSIZE && room < len)
            continue; /* a message came after next_len said there was none */
        if (r != -EAGAIN || (f->flags & O_NONBLOCK))
            break;
        int w = waitq_wait(&f->wq, WAIT_FOREVER);
        if (w) {
            r = w;
            break;
        }
    }
    current()->io_file = NULL;
    file_put(f);
    return r;
}

int64_t sys_read(u64 fd, u64 buf, u64 len)
{
    struct file *f = fd_file((int)fd);
    return f ? do_io(f, buf, len, true) : -EBADF;
}

int64_t sys_write(u64 fd, u64 buf, u64 len)
{
    struct file *f = fd_file((int)fd);
    return f ? do_io(f, buf, len, false) : -EBADF;
}

/* Vectored IO stops at the first short transfer; it blocks only while
 * nothing has moved yet. */
static int64_t do_iov(u64 fd, u64 uiov, u64 cnt, bool is_read)
{
    struct file *f = fd_file((int)fd);
    if (!f)
        return -EBADF;
    if (cnt > 1024)
        return -EINVAL;
    int64_t total = 0;
    for (u64 i = 0; i < cnt; i++) {
        struct linux_iovec v;
        if (copy_from_user(&v, uiov + i * sizeof(v), sizeof(v)))
            return total ? total : -EFAULT;
        if (v.len == 0)
            continue;
        uint32_t saved = f->flags;
        if (total)
            f->flags |= O_NONBLOCK;
        int64_t r = do_io(f, v.base, v.len, is_read);
        f->flags = saved;
        if (r < 0)
            return total ? total : r;
        total += r;
        if ((u64)r < v.len)
            break;
    }
    return total;
}

int64_t sys_readv(u64 fd, u64 iov, u64 cnt) { return do_iov(fd, iov, cnt, true); }
int64_t sys_writev(u64 fd, u64 iov, u64 cnt) { return do_iov(fd, iov, cnt, false); }

int64_t sys_pread64(u64 fd, u64 buf, u64 len, u64 off)
{
    struct file *f = fd_file((int)fd);
    if (!f)
        return -EBADF;
    if (!f->ops->lseek)
        return -ESPIPE;
    int64_t saved = f->pos;
    f->pos = (int64_t)off;
    int64_t r = do_io(f, buf, len, true);
    f->pos = saved;
    return r;
}

int64_t sys_lseek(u64 fd, u64 off, u64 whence)
{
    struct file *f = fd_file((int)fd);
    if (!f)
        return -EBADF;
    return f->ops->lseek ? f->ops->lseek(f, (int64_t)off, (int)whence) : -ESPIPE;
}

/* ---- opening and closing */

int64_t sys_openat(u64 dirfd, u64 upath, u64 flags, u64 mode)
{
    char path[PATH_MAX];
    int err = user_path(dirfd, upath, path);
    if (err)
        return err;
    struct file *f;
    err = vfs_open(node()->vfs, path, (int)flags, (uint32_t)mode, &f);
    if (err)
        return err;
    int fd = fd_install(node(), f, 0, flags & O_CLOEXEC);
    if (fd < 0)
        file_put(f);
    return fd;
}

int64_t sys_open(u64 path, u64 flags, u64 mode)
{
    return sys_openat((u64)AT_FDCWD, path, flags, mode);
}

int64_t sys_close(u64 fd)
{
    struct file *f = fd_file((int)fd);
    if (!f)
        return -EBADF;
    node()->fds[fd] = NULL;
    file_put(f);
    return 0;
}

static int dup_to(struct file *f, int to, bool cloexec)
{
    struct node *n = node();
    if (to < 0 || to >= MAX_FDS)
        return -EBADF;
    if (n->fds[to] == f) {
        n->cloexec[to] = cloexec;
        return to;
    }
    if (n->fds[to])
        file_put(n->fds[to]);
    n->fds[to] = file_get(f);
    n->cloexec[to] = cloexec;
    return to;
}

int64_t sys_dup(u64 fd)
{
    struct file *f = fd_file((int)fd);
    if (!f)
        return -EBADF;
    int r = fd_install(node(), file_get(f), 0, false);
    if (r < 0)
        file_put(f);
    return r;
}

int64_t sys_dup2(u64 fd, u64 to)
{
    struct file *f = fd_file((int)fd);
    return f ? dup_to(f, (int)to, false) : -EBADF;
}

int64_t sys_dup3(u64 fd, u64 to, u64 flags)
{
    struct file *f = fd_file((int)fd);
    if (!f)
        return -EBADF;
    if (fd == to || (flags & ~(u64)O_CLOEXEC))
        return -EINVAL;
    return dup_to(f, (int)to, flags & O_CLOEXEC);
}

int64_t sys_pipe2(u64 ufds, u64 flags)
{
    struct file *rd, *wr;
    if (flags & ~(u64)(O_NONBLOCK | O_CLOEXEC))
        return -EINVAL;
    int err = pipe_create((uint32_t)flags, &rd, &wr);
    if (err)
        return err;
    int fds[2] = {fd_install(node(), rd, 0, flags & O_CLOEXEC), -1};
    if (fds[0] >= 0)
        fds[1] = fd_install(node(), wr, 0, flags & O_CLOEXEC);
    if (fds[1] < 0 || copy_to_user(ufds, fds, sizeof(fds))) {
        err = fds[1] < 0 ? -EMFILE : -EFAULT;
        if (fds[0] >= 0)
            node()->fds[fds[0]] = NULL;
        if (fds[1] >= 0)
            node()->fds[fds[1]] = NULL;
        file_put(rd);
        file_put(wr);
        return err;
    }
    return 0;
}

int64_t sys_pipe(u64 ufds)
{
    return sys_pipe2(ufds, 0);
}

/* ---- metadata */

static int stat_out(int err, const struct linux_stat *st, u64 ust)
{
    return err ? err : copy_to_user(ust, st, sizeof(*st));
}

int64_t sys_newfstatat(u64 dirfd, u64 upath, u64 ust, u64 flags)
{
    struct linux_stat st;
    memset(&st, 0, sizeof(st));
    char first;
    if ((flags & AT_EMPTY_PATH) && copy_from_user(&first, upath, 1) == 0 && first == 0)
        return sys_fstat(dirfd, ust);
    char path[PATH_MAX];
    int err = user_path(dirfd, upath, path);
    return err ? err : stat_out(vfs_stat(node()->vfs, path, &st), &st, ust);
}

int64_t sys_stat(u64 path, u64 st) { return sys_newfstatat((u64)AT_FDCWD, path, st, 0); }
int64_t sys_lstat(u64 path, u64 st) { return sys_newfstatat((u64)AT_FDCWD, path, st, 0); }

int64_t sys_fstat(u64 fd, u64 ust)
{
    struct file *f = fd_file((int)fd);
    struct linux_stat st;
    memset(&st, 0, sizeof(st));
    if (!f)
        return -EBADF;
    if (!f->ops->stat) {
        st.st_mode = S_IFIFO | 0600; /* pipes, epoll, timerfd */
        st.st_blksize = 4096;
        return copy_to_user(ust, &st, sizeof(st));
    }
    return stat_out(f->ops->stat(f, &st), &st, ust);
}

int64_t sys_faccessat(u64 dirfd, u64 upath, u64 mode, u64 flags)
{
    (void)mode, (void)flags; /* everyone is root: existence is access */
    char path[PATH_MAX];
    struct linux_stat st;
    int err = user_path(dirfd, upath, path);
    return err ? err : vfs_stat(node()->vfs, path, &st);
}

int64_t sys_access(u64 path, u64 mode) { return sys_faccessat((u64)AT_FDCWD, path, mode, 0); }

int64_t sys_readlinkat(u64 dirfd, u64 upath, u64 buf, u64 len)
{
    (void)buf, (void)len;
    char path[PATH_MAX];
    struct linux_stat st;
    int err = user_path(dirfd, upath, path);
    if (!err)
        err = vfs_stat(node()->vfs, path, &st);
    return err ? err : -EINVAL; /* exists, but there are no symbolic links */
}

int64_t sys_readlink(u64 path, u64 buf, u64 len) { return sys_readlinkat((u64)AT_FDCWD, path, buf, len); }

int64_t sys_getcwd(u64 buf, u64 len)
{
    size_t n = strlen(node()->cwd) + 1;
    if (len < n)
        return -ERANGE;
    return copy_to_user(buf, node()->cwd, n) ?: (int64_t)n;
}

int64_t sys_chdir(u64 upath)
{
    char path[PATH_MAX];
    struct linux_stat st;
    int err = user_path((u64)AT_FDCWD, upath, path);
    if (!err)
        err = vfs_stat(node()->vfs, path, &st);
    if (err)
        return err;
    if ((st.st_mode & S_IFMT) != S_IFDIR)
        return -ENOTDIR;
    if (strlen(path) >= sizeof(node()->cwd))
        return -ENAMETOOLONG;
    strlcpy(node()->cwd, path, sizeof(node()->cwd));
    return 0;
}

int64_t sys_getdents64(u64 fd, u64 buf, u64 len)
{
    struct file *f = fd_file((int)fd);
    if (!f)
        return -EBADF;
    if (!f->ops->getdents)
        return -ENOTDIR;
    void *kbuf = user_buffer(buf, len, true);
    if (!kbuf && len)
        return -EFAULT;
    return f->ops->getdents(f, kbuf, len);
}

int64_t sys_fcntl(u64 fd, u64 cmd, u64 arg)
{
    struct node *n = node();
    struct file *f = fd_file((int)fd);
    if (!f)
        return -EBADF;
    switch (cmd) {
    case F_GETFD:
        return n->cloexec[fd] ? FD_CLOEXEC : 0;
    case F_SETFD:
        n->cloexec[fd] = arg & FD_CLOEXEC;
        return 0;
    case F_GETFL:
        return f->flags;
    case F_SETFL:
        f->flags = (f->flags & ~(uint32_t)(O_NONBLOCK | O_APPEND)) | (arg & (O_NONBLOCK | O_APPEND));
        return 0;
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
        if (arg >= MAX_FDS)
            return -EINVAL;
        int r = fd_install(n, file_get(f), (int)arg, cmd == F_DUPFD_CLOEXEC);
        if (r < 0)
            file_put(f);
        return r;
    }
    default:
        return -EINVAL;
    }
}

/* How many bytes each known ioctl reads (in) or writes (out) at arg. */
static int ioctl_size(u64 cmd, bool *out)
{
    *out = cmd == TCGETS || cmd == TIOCGWINSZ || cmd == FIONREAD;
    switch (cmd) {
    case TCGETS:
    case TCSETS:
    case TCSETSW:
    case TCSETSF:
        return sizeof(struct linux_termios);
    case TIOCGWINSZ:
    case TIOCSWINSZ:
        return sizeof(struct linux_winsize);
    case FIONREAD:
        return sizeof(int);
    default:
        return 0;
    }
}

int64_t sys_ioctl(u64 fd, u64 cmd, u64 arg)
{
    struct file *f = fd_file((int)fd);
    if (!f)
        return -EBADF;
    if (cmd == FIONBIO) {
        int on;
        if (copy_from_user(&on, arg, sizeof(on)))
            return -EFAULT;
        f->flags = on ? f->flags | O_NONBLOCK : f->flags & ~(uint32_t)O_NONBLOCK;
        return 0;
    }
    if (!f->ops->ioctl)
        return -ENOTTY;
    bool out;
    int size = ioctl_size(cmd, &out);
    if (size == 0)
        return f->ops->ioctl(f, cmd, NULL);
    uint8_t kbuf[sizeof(struct linux_termios)];
    if (!out && copy_from_user(kbuf, arg, size))
        return -EFAULT;
    int64_t r = f->ops->ioctl(f, cmd, kbuf);
    if (r >= 0 && out && copy_to_user(arg, kbuf, size))
        return -EFAULT;
    return r;
}

/* ---- changing the name space (tmpfs only) */

int64_t sys_mkdirat(u64 dirfd, u64 upath, u64 mode)
{
    char path[PATH_MAX];
    int err = user_path(dirfd, upath, path);
    return err ? err : vfs_mkdir(node()->vfs, path, (uint32_t)mode);
}

int64_t sys_mkdir(u64 path, u64 mode) { return sys_mkdirat((u64)AT_FDCWD, path, mode); }

int64_t sys_unlinkat(u64 dirfd, u64 upath, u64 flags)
{
    char path[PATH_MAX];
    int err = user_path(dirfd, upath, path);
    if (err)
        return err;
    return (flags & 0x200 /* AT_REMOVEDIR */) ? vfs_rmdir(node()->vfs, path) : vfs_unlink(node()->vfs, path);
}

int64_t sys_unlink(u64 path) { return sys_unlinkat((u64)AT_FDCWD, path, 0); }
int64_t sys_rmdir(u64 path) { return sys_unlinkat((u64)AT_FDCWD, path, 0x200); }

int64_t sys_renameat(u64 fromfd, u64 ufrom, u64 tofd, u64 uto)
{
    char from[PATH_MAX], to[PATH_MAX];
    int err = user_path(fromfd, ufrom, from);
    if (!err)
        err = user_path(tofd, uto, to);
    return err ? err : vfs_rename(node()->vfs, from, to);
}

int64_t sys_rename(u64 from, u64 to) { return sys_renameat((u64)AT_FDCWD, from, (u64)AT_FDCWD, to); }

int64_t sys_ftruncate(u64 fd, u64 len)
{
    struct file *f = fd_file((int)fd);
    if (!f)
        return -EBADF;
    (void)len;
    return -EINVAL; /* files are truncated by O_TRUNC only */
}

int64_t sys_fsync(u64 fd)
{
    return fd_file((int)fd) ? 0 : -EBADF; /* everything is in memory */
}
