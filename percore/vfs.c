/* A node's name space (vfs.h): path normalization, the dispatch between the
 * read-only boot archive at "/" (cpio.c), the tmpfs at "/tmp" (tmpfs.c) and
 * the device files (/dev/null and the caller's), and the checks open(2) makes.
 *
 * Paths are resolved lexically: "a/.." is dropped before anything is looked
 * up. Without symlinks that names the same file Linux finds; it differs only
 * in that "/file/.." or "/missing/.." is "/" here, not -ENOTDIR or -ENOENT.
 * A trailing '/' (or a last "." or "..") asks for a directory, as on Linux.
 * "/dev", "/tmp" and the device files are entries of the archive's index
 * (replacing any the archive has; the directories above a device are implied
 * ones), so they are listed in their directories, and opening or stat()ing a
 * device's entry goes to the device.
 * Calls that remove or rename a name go by the file system of the
 * directory holding it, so unlink("/tmp") is -EROFS (the root holds it) and
 * rename("/tmp/a", "/x") is -EXDEV, as with a read-only root on Linux. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpio.h"
#include "heap.h"
#include "kernel.h"
#include "string.h"
#include "tmpfs.h"
#include "uapi.h"
#include "vfs.h"

#define VFS_PATH_MAX 4096 /* Linux's PATH_MAX, NUL included */
#define VFS_NAME_MAX 255
#define TMPFS_CAP (64ull << 20)
#define DEV_ARCHIVE 1
#define DEV_TMPFS 2
#define RDEV_NULL ((1u << 8) | 3)
#define RDEV_TABLE(n) ((5u << 8) | (n)) /* the caller's n-th device, from 1: dev[n] */

struct vfs {
    struct cpio_index *ar;
    struct tmpfs *tmp;
    uint32_t ndev;
    struct vfs_device dev[1 + VFS_DEVICES_MAX]; /* /dev/null, then the caller's */
    uint32_t dev_entry[1 + VFS_DEVICES_MAX];    /* each one's entry in ar */
};

enum where { IN_ARCHIVE, IN_TMP };

/* ---- paths */

/* Absolute path in, "/" or "/a/b" out; *must_dir tells of a trailing '/',
 * "." or "..". */
static int normalize(const char *in, char *out, size_t outlen, bool *must_dir)
{
    size_t inlen = strnlen(in, VFS_PATH_MAX), o = 0;
    bool dir = false;

    if (inlen == 0)
        return -ENOENT;
    if (inlen >= VFS_PATH_MAX)
        return -ENAMETOOLONG;
    if (in[0] != '/')
        return -EINVAL;
    for (const char *p = in; *p;) {
        while (*p == '/')
            p++;
        if (!*p) {
            dir = true;
            break;
        }
        const char *s = p;
        while (*p && *p != '/')
            p++;
        size_t n = (size_t)(p - s);
        if (n > VFS_NAME_MAX)
            return -ENAMETOOLONG;
        dir = false;
        if (n == 1 && s[0] == '.') {
            dir = true;
        } else if (n == 2 && s[0] == '.' && s[1] == '.') {
            while (o > 0 && out[--o] != '/')
                ;
            dir = true;
        } else {
            if (o + 1 + n + 1 > outlen)
                return -ENAMETOOLONG;
            out[o++] = '/';
            memcpy(out + o, s, n);
            o += n;
        }
    }
    if (o == 0) {
        if (outlen < 2)
            return -ENAMETOOLONG;
        out[o++] = '/';
    }
    out[o] = '\0';
    if (must_dir)
        *must_dir = dir;
    return 0;
}

/* Also -ENOENT for "", as Linux answers an empty name. */
int vfs_normalize(const char *path, char *out, size_t outlen)
{
    return normalize(path, out, outlen, NULL);
}

/* A normalized copy of path in the heap (never longer than path). */
static int normalize_alloc(const char *path, char **out, bool *must_dir)
{
    size_t len = strnlen(path, VFS_PATH_MAX);

    if (len >= VFS_PATH_MAX)
        return -ENAMETOOLONG;
    *out = kmalloc(len + 2);
    if (!*out)
        return -ENOMEM;
    int err = normalize(path, *out, len + 2, must_dir);
    if (err) {
        kfree(*out);
        *out = NULL;
    }
    return err;
}

static bool under(const char *p, const char *dir, size_t n)
{
    return strncmp(p, dir, n) == 0 && p[n] == '/';
}

/* Which file system a normalized path is in, and the path inside it. */
static enum where locate(const char *p, const char **rel)
{
    if (strcmp(p, "/tmp") == 0 || under(p, "/tmp", 4)) {
        *rel = p[4] ? p + 5 : "";
        return IN_TMP;
    }
    *rel = p + 1;
    return IN_ARCHIVE;
}

/* The file system of the directory holding p's last component. */
static enum where holder(const char *p)
{
    return under(p, "/tmp", 4) ? IN_TMP : IN_ARCHIVE;
}

static bool stat_is_dir(const struct linux_stat *st)
{
    return (st->st_mode & S_IFMT) == S_IFDIR;
}

/* The device behind archive entry i, or NULL. */
static const struct vfs_device *device_at(const struct vfs *v, uint32_t i)
{
    for (uint32_t d = 0; d < v->ndev; d++)
        if (v->dev_entry[d] == i)
            return &v->dev[d];
    return NULL;
}

static int stat_at(struct vfs *v, const char *p, struct linux_stat *st)
{
    const char *rel;
    const struct vfs_device *d;
    uint32_t i;
    int err;

    if (locate(p, &rel) == IN_TMP)
        return tmpfs_stat(v->tmp, rel, st);
    err = cpio_lookup(v->ar, rel, strlen(rel), &i);
    if (err)
        return err;
    cpio_stat(v->ar, i, st);
    if ((d = device_at(v, i))) {
        st->st_mode = d->mode;
        st->st_rdev = d == v->dev ? RDEV_NULL : RDEV_TABLE((uint32_t)(d - v->dev));
    }
    return 0;
}

/* Must p's holding directory exist, as a directory? 0 if it does. p is ours
 * to cut for a moment. */
static int parent_error(struct vfs *v, char *p)
{
    struct linux_stat st;
    size_t k = strlen(p);

    while (k > 0 && p[k - 1] != '/')
        k--;
    size_t cut = k > 1 ? k - 1 : 1;
    char saved = p[cut];
    p[cut] = '\0';
    int err = stat_at(v, p, &st);
    p[cut] = saved;
    if (err)
        return err;
    return stat_is_dir(&st) ? 0 : -ENOTDIR;
}

/* Creating p where nothing may be created: -EEXIST if it is there, the
 * lookup error of its directory, else -EROFS. */
static int ro_create_error(struct vfs *v, char *p)
{
    struct linux_stat st;
    int err = stat_at(v, p, &st);

    if (err == 0)
        return -EEXIST;
    if (err != -ENOENT)
        return err;
    err = parent_error(v, p);
    return err ? err : -EROFS;
}

/* open(p, O_CREAT) with a trailing '/': Linux never creates, and says
 * -EISDIR once the directories before the last name are found. */
static int create_dir_error(struct vfs *v, char *p)
{
    int err = parent_error(v, p);

    return err ? err : -EISDIR;
}

/* ---- /dev/null: priv is its inode number */

static int64_t null_read(struct file *f, void *buf, uint64_t len)
{
    (void)buf, (void)len;
    return file_can_read(f) ? 0 : -EBADF;
}

static int64_t null_write(struct file *f, const void *buf, uint64_t len)
{
    (void)buf;
    return file_can_write(f) ? (int64_t)len : -EBADF;
}

static int64_t null_lseek(struct file *f, int64_t off, int whence)
{
    (void)off, (void)whence;
    f->pos = 0;
    return 0;
}

static int null_stat(struct file *f, struct linux_stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_dev = DEV_ARCHIVE;
    st->st_ino = (uintptr_t)f->priv;
    st->st_nlink = 1;
    st->st_blksize = 4096;
    st->st_mode = S_IFCHR | 0666;
    st->st_rdev = RDEV_NULL;
    return 0;
}

static const struct file_ops null_ops = {
    .read = null_read,
    .write = null_write,
    .lseek = null_lseek,
    .stat = null_stat,
};

/* ---- open */

/* Linux's checks on an existing file of a file system we may not change. */
static int ro_open_check(bool dir, int flags)
{
    if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
        return -EEXIST;
    if (dir && (flags & O_CREAT))
        return -EISDIR;
    if (!dir && (flags & O_DIRECTORY))
        return -ENOTDIR;
    if (dir && ((flags & O_TRUNC) || (flags & O_ACCMODE) != O_RDONLY))
        return -EISDIR;
    return 0;
}

static int open_at(struct vfs *v, char *p, int flags, uint32_t mode, struct file **out)
{
    const char *rel;
    const struct vfs_device *d;
    uint32_t i, keep = (uint32_t)flags & ~OPEN_ONLY_FLAGS;
    int err;

    if (locate(p, &rel) == IN_TMP)
        return tmpfs_open(v->tmp, rel, flags, mode, out);
    err = cpio_lookup(v->ar, rel, strlen(rel), &i);
    if (err == -ENOENT && (flags & O_CREAT))
        return ro_create_error(v, p);
    if (err)
        return err;
    uint32_t type = v->ar->entries[i].mode & S_IFMT;
    err = ro_open_check(type == S_IFDIR, flags);
    if (err)
        return err;
    if ((d = device_at(v, i))) {
        *out = file_new(d->ops, keep, d->priv);
        if (!*out)
            return -ENOMEM;
        err = d->ops->open ? d->ops->open(*out) : 0;
        if (err) {
            file_put(*out);
            *out = NULL;
        }
        return err;
    }
    if (type != S_IFREG && type != S_IFDIR)
        return -ENXIO; /* a device node with no device */
    if (type == S_IFREG && ((flags & O_TRUNC) || (flags & O_ACCMODE) != O_RDONLY))
        return -EROFS;
    return cpio_open(v->ar, i, keep, out);
}

int vfs_open(struct vfs *v, const char *path, int flags, uint32_t mode, struct file **out)
{
    char *p;
    bool must_dir;
    int err;

    if ((flags & O_CREAT) && (flags & O_DIRECTORY))
        return -EINVAL; /* as Linux since 6.4 */
    err = normalize_alloc(path, &p, &must_dir);
    if (err)
        return err;
    if (must_dir && (flags & O_CREAT)) {
        err = create_dir_error(v, p);
    } else {
        err = open_at(v, p, must_dir ? flags | O_DIRECTORY : flags, mode, out);
        if (!err && must_dir && !(flags & O_DIRECTORY))
            (*out)->flags &= ~(uint32_t)O_DIRECTORY; /* F_GETFL shows what was asked */
    }
    kfree(p);
    return err;
}

/* ---- names */

int vfs_stat(struct vfs *v, const char *path, struct linux_stat *st)
{
    char *p;
    bool must_dir;
    int err = normalize_alloc(path, &p, &must_dir);

    if (err)
        return err;
    err = stat_at(v, p, st);
    if (!err && must_dir && !stat_is_dir(st))
        err = -ENOTDIR;
    kfree(p);
    return err;
}

int vfs_archive_file(struct vfs *v, const char *path, const void **data, uint64_t *len)
{
    char *p;
    const char *rel;
    uint32_t i;
    int err = normalize_alloc(path, &p, NULL);
    if (err)
        return err;
    if (locate(p, &rel) != IN_ARCHIVE)
        err = -EINVAL;
    else
        err = cpio_lookup(v->ar, rel, strlen(rel), &i);
    if (!err && (v->ar->entries[i].origin != CPIO_ARCHIVE || (v->ar->entries[i].mode & S_IFMT) != S_IFREG))
        err = -EINVAL;
    if (!err) {
        *data = v->ar->entries[i].data;
        *len = v->ar->entries[i].size;
    }
    kfree(p);
    return err;
}

int vfs_mkdir(struct vfs *v, const char *path, uint32_t mode)
{
    char *p;
    int err = normalize_alloc(path, &p, NULL);

    if (err)
        return err;
    if (holder(p) == IN_TMP)
        err = tmpfs_mkdir(v->tmp, p + 5, mode);
    else
        err = ro_create_error(v, p);
    kfree(p);
    return err;
}

/* unlink and rmdir: -EISDIR or -EBUSY for "/", tmpfs's answer inside /tmp,
 * elsewhere the lookup error of the holding directory or -EROFS. */
static int remove_name(struct vfs *v, const char *path, bool dir)
{
    char *p;
    bool must_dir;
    struct linux_stat st;
    int err = normalize_alloc(path, &p, &must_dir);

    if (err)
        return err;
    if (strcmp(p, "/") == 0)
        err = dir ? -EBUSY : -EISDIR;
    else if (holder(p) != IN_TMP)
        err = parent_error(v, p) ?: -EROFS;
    else if (dir)
        err = tmpfs_rmdir(v->tmp, p + 5);
    else if (must_dir && stat_at(v, p, &st) == 0 && !stat_is_dir(&st))
        err = -ENOTDIR;
    else
        err = tmpfs_unlink(v->tmp, p + 5);
    kfree(p);
    return err;
}

int vfs_unlink(struct vfs *v, const char *path)
{
    return remove_name(v, path, false);
}

int vfs_rmdir(struct vfs *v, const char *path)
{
    return remove_name(v, path, true);
}

int vfs_rename(struct vfs *v, const char *from, const char *to)
{
    char *pf = NULL, *pt = NULL;
    bool dir_f, dir_t;
    struct linux_stat st;
    int err = normalize_alloc(from, &pf, &dir_f);

    if (!err)
        err = normalize_alloc(to, &pt, &dir_t);
    if (err)
        goto out;
    if (strcmp(pf, "/") == 0 || strcmp(pt, "/") == 0) {
        err = -EBUSY;
    } else if (holder(pf) == IN_TMP && holder(pt) == IN_TMP) {
        if ((dir_f || dir_t) && stat_at(v, pf, &st) == 0 && !stat_is_dir(&st))
            err = -ENOTDIR;
        else
            err = tmpfs_rename(v->tmp, pf + 5, pt + 5);
    } else {
        err = parent_error(v, pf) ?: parent_error(v, pt);
        if (!err)
            err = holder(pf) != holder(pt) ? -EXDEV : -EROFS;
    }
out:
    kfree(pf);
    kfree(pt);
    return err;
}

/* ---- the name space */

/* Can the name space hold the caller's device d? cpio_index_new refuses the
 * rest: a path twice (or /dev, /dev/null), one that is an archive directory,
 * one under a file or another device. */
static int device_check(const struct vfs_device *d)
{
    const char *rel;
    char *p;
    int err;

    if (!d->ops || (d->mode & ~(uint32_t)07777) != S_IFCHR)
        return -EINVAL;
    if (strnlen(d->path, CPIO_PATH_MAX) >= CPIO_PATH_MAX)
        return -EINVAL; /* cpio_lookup would not find it */
    err = normalize_alloc(d->path, &p, NULL);
    if (err)
        return err == -ENOMEM ? err : -EINVAL;
    if (strcmp(p, d->path) != 0 || strcmp(p, "/") == 0 || locate(p, &rel) == IN_TMP)
        err = -EINVAL;
    kfree(p);
    return err;
}

/* /dev/null and the caller's table into v, and all into the index extras. */
static int add_devices(struct vfs *v, const struct vfs_device *table, struct cpio_extra *extras)
{
    v->dev[0] = (struct vfs_device){ "/dev/null", S_IFCHR | 0666, &null_ops, NULL };
    for (v->ndev = 1; table && table->path; table++) {
        int err = v->ndev <= VFS_DEVICES_MAX ? device_check(table) : -EINVAL;
        if (err)
            return err;
        v->dev[v->ndev++] = *table;
    }
    for (uint32_t d = 0; d < v->ndev; d++)
        extras[d] = (struct cpio_extra){ v->dev[d].path + 1, v->dev[d].mode };
    return 0;
}

/* Each device's entry in the index; /dev/null's priv is its inode number. */
static void find_devices(struct vfs *v)
{
    for (uint32_t d = 0; d < v->ndev; d++) {
        const char *rel = v->dev[d].path + 1;
        if (cpio_lookup(v->ar, rel, strlen(rel), &v->dev_entry[d]) != 0)
            panic("vfs: device %s not in the index", v->dev[d].path);
    }
    v->dev[0].priv = (void *)(uintptr_t)(v->dev_entry[0] + 1);
}

struct vfs *vfs_new(const void *archive, uint64_t archive_len, const struct vfs_device *devices, int *err)
{
    /* The mount points, the devices, the NULL that ends them. */
    struct cpio_extra extras[2 + 1 + VFS_DEVICES_MAX + 1] = {
        { "dev", S_IFDIR | 0755 },
        { "tmp", S_IFDIR | 01777 },
    };
    struct vfs *v = kzalloc(sizeof(*v));
    int e = v ? add_devices(v, devices, extras + 2) : -ENOMEM;

    if (!e) {
        v->ar = cpio_index_new(archive, archive_len, extras, &e, NULL);
        if (v->ar) {
            v->ar->dev = DEV_ARCHIVE;
            find_devices(v);
            v->tmp = tmpfs_new(TMPFS_CAP, DEV_TMPFS);
            e = v->tmp ? 0 : -ENOMEM;
        }
    }
    if (e && v) {
        if (v->ar)
            cpio_index_put(v->ar);
        kfree(v);
        v = NULL;
    }
    if (err)
        *err = e;
    return v;
}

void vfs_free(struct vfs *v)
{
    if (!v)
        return;
    cpio_index_put(v->ar);
    tmpfs_unmount(v->tmp);
    kfree(v);
}
