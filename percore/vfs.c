/* A node's name space (vfs.h): path normalization, the dispatch between the
 * read-only boot archive at "/", the tmpfs at "/tmp" and the devices under
 * "/dev", and the file ops of archive files, archive directories, the /dev
 * directory and /dev/null.
 *
 * Paths are resolved lexically: "a/.." is dropped before anything is looked
 * up. Without symlinks that names the same file Linux finds; it differs only
 * in that "/file/.." or "/missing/.." is "/" here, not -ENOTDIR or -ENOENT.
 * A trailing '/' (or a last "." or "..") asks for a directory, as on Linux.
 * "/dev" hides any /dev of the archive and holds exactly "console" and
 * "null". Calls that remove or rename a name go by the file system of the
 * directory holding it, so unlink("/tmp") is -EROFS (the root holds it) and
 * rename("/tmp/a", "/x") is -EXDEV, as with a read-only root on Linux. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpio.h"
#include "heap.h"
#include "string.h"
#include "tmpfs.h"
#include "uapi.h"
#include "vfs.h"

#define VFS_PATH_MAX 4096 /* Linux's PATH_MAX, NUL included */
#define VFS_NAME_MAX 255
#define TMPFS_CAP (64ull << 20)
#define DEV_ARCHIVE 1
#define DEV_TMPFS 2
#define DEV_DEVFS 3
#define RDEV_NULL ((1u << 8) | 3)
#define RDEV_CONSOLE ((5u << 8) | 1)

/* The archive's index, shared by the vfs and every archive file open. */
struct archive {
    int refs;
    struct cpio_index ix;
};

struct vfs {
    struct archive *ar;
    struct tmpfs *tmp;
    const struct file_ops *console_ops;
};

/* An open archive file or directory. */
struct afile {
    struct archive *ar;
    uint32_t idx;
};

enum where { IN_ARCHIVE, IN_TMP, IN_DEVDIR, IN_NULL, IN_CONSOLE, IN_DEV_OTHER };

static void archive_put(struct archive *ar)
{
    if (--ar->refs == 0) {
        cpio_index_free(&ar->ix);
        kfree(ar);
    }
}

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
    *rel = p + 1;
    if (strcmp(p, "/tmp") == 0 || under(p, "/tmp", 4)) {
        *rel = p[4] ? p + 5 : "";
        return IN_TMP;
    }
    if (strcmp(p, "/dev") == 0)
        return IN_DEVDIR;
    if (!under(p, "/dev", 4))
        return IN_ARCHIVE;
    *rel = p + 5;
    if (strcmp(*rel, "null") == 0)
        return IN_NULL;
    if (strcmp(*rel, "console") == 0)
        return IN_CONSOLE;
    return IN_DEV_OTHER;
}

/* The file system of the directory holding p's last component. */
static enum where holder(const char *p)
{
    if (under(p, "/tmp", 4))
        return IN_TMP;
    if (under(p, "/dev", 4))
        return IN_DEVDIR;
    return IN_ARCHIVE;
}

static bool stat_is_dir(const struct linux_stat *st)
{
    return (st->st_mode & S_IFMT) == S_IFDIR;
}

/* ---- stat */

static void archive_stat(const struct cpio_index *ix, uint32_t i, struct linux_stat *st)
{
    const struct cpio_entry *e = &ix->entries[i];

    memset(st, 0, sizeof(*st));
    st->st_dev = DEV_ARCHIVE;
    st->st_ino = i + 1;
    st->st_mode = (e->mode & S_IFMT) | (e->mode & 0555);
    st->st_nlink = 1;
    if ((e->mode & S_IFMT) == S_IFDIR) {
        st->st_nlink = 2;
        for (uint32_t c = e->first_child; c != CPIO_NONE; c = ix->entries[c].next_sibling)
            if ((ix->entries[c].mode & S_IFMT) == S_IFDIR)
                st->st_nlink++;
    }
    st->st_size = e->size;
    st->st_blksize = 4096;
    st->st_blocks = ((int64_t)e->size + 511) / 512;
}

static void dev_stat(enum where w, struct linux_stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_dev = DEV_DEVFS;
    st->st_blksize = 4096;
    st->st_nlink = 1;
    if (w == IN_DEVDIR) {
        st->st_ino = 1;
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
    } else if (w == IN_NULL) {
        st->st_ino = 2;
        st->st_mode = S_IFCHR | 0666;
        st->st_rdev = RDEV_NULL;
    } else {
        st->st_ino = 3;
        st->st_mode = S_IFCHR | 0620;
        st->st_rdev = RDEV_CONSOLE;
    }
}

/* "/dev/null/x" goes through a file; "/dev/x" does not exist. */
static int dev_other_error(const char *rel)
{
    return under(rel, "null", 4) || under(rel, "console", 7) ? -ENOTDIR : -ENOENT;
}

static int stat_at(struct vfs *v, const char *p, struct linux_stat *st)
{
    const char *rel;
    enum where w = locate(p, &rel);
    uint32_t i;
    int err;

    switch (w) {
    case IN_TMP:
        return tmpfs_stat(v->tmp, rel, st);
    case IN_ARCHIVE:
        err = cpio_lookup(&v->ar->ix, rel, strlen(rel), &i);
        if (!err)
            archive_stat(&v->ar->ix, i, st);
        return err;
    case IN_DEV_OTHER:
        return dev_other_error(rel);
    default:
        dev_stat(w, st);
        return 0;
    }
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

/* open(p, O_CREAT) with a trailing '/': never creates, as on Linux. */
static int create_dir_error(struct vfs *v, char *p)
{
    struct linux_stat st;
    int err = stat_at(v, p, &st);

    if (err == 0)
        return stat_is_dir(&st) ? -EISDIR : -ENOTDIR;
    if (err != -ENOENT)
        return err;
    err = parent_error(v, p);
    return err ? err : -EISDIR;
}

/* ---- archive files and directories */

static int64_t afile_read(struct file *f, void *buf, uint64_t len)
{
    struct afile *a = f->priv;
    const struct cpio_entry *e = &a->ar->ix.entries[a->idx];

    if (!file_can_read(f))
        return -EBADF;
    if ((uint64_t)f->pos >= e->size)
        return 0;
    if (len > e->size - (uint64_t)f->pos)
        len = e->size - (uint64_t)f->pos;
    memcpy(buf, e->data + f->pos, len);
    f->pos += (int64_t)len;
    return (int64_t)len;
}

static int64_t afile_lseek(struct file *f, int64_t off, int whence)
{
    struct afile *a = f->priv;

    return file_seek(f, off, whence, a->ar->ix.entries[a->idx].size);
}

static int anode_stat(struct file *f, struct linux_stat *st)
{
    struct afile *a = f->priv;

    archive_stat(&a->ar->ix, a->idx, st);
    return 0;
}

static void anode_release(struct file *f)
{
    struct afile *a = f->priv;

    archive_put(a->ar);
    kfree(a);
}

static int64_t dir_read(struct file *f, void *buf, uint64_t len)
{
    (void)f, (void)buf, (void)len;
    return -EISDIR;
}

/* Cookies from 2 on are 2 + the index of an entry: children come in index
 * order, so resuming is finding the first child at or after that index. */
static int adir_next(struct file *f, int64_t pos, struct dir_entry *e)
{
    struct afile *a = f->priv;
    const struct cpio_entry *ents = a->ar->ix.entries, *d = &ents[a->idx];
    uint32_t c;

    if (pos <= 0) {
        *e = (struct dir_entry){ a->idx + 1, 1, DT_DIR, ".", 1 };
        return 1;
    }
    if (pos == 1) {
        *e = (struct dir_entry){ d->parent + 1, 2, DT_DIR, "..", 2 };
        return 1;
    }
    if ((uint64_t)pos - 2 >= a->ar->ix.count)
        return 0;
    c = (uint32_t)(pos - 2);
    if (c == 0 || ents[c].parent != a->idx)
        for (c = d->first_child; c != CPIO_NONE && c < pos - 2; c = ents[c].next_sibling)
            ;
    if (c == CPIO_NONE)
        return 0;
    e->ino = c + 1;
    e->next = (int64_t)c + 3;
    e->type = (ents[c].mode & S_IFMT) == S_IFDIR ? DT_DIR : DT_REG;
    e->name = cpio_basename(&ents[c], &e->len);
    return 1;
}

static int64_t adir_getdents(struct file *f, void *buf, uint64_t len)
{
    return dir_getdents(f, buf, len, adir_next);
}

static const struct file_ops afile_ops = {
    .read = afile_read,
    .lseek = afile_lseek,
    .stat = anode_stat,
    .release = anode_release,
};

static const struct file_ops adir_ops = {
    .read = dir_read,
    .lseek = dir_seek,
    .stat = anode_stat,
    .getdents = adir_getdents,
    .release = anode_release,
};

/* ---- /dev and /dev/null */

static int devdir_next(struct file *f, int64_t pos, struct dir_entry *e)
{
    static const struct dir_entry ents[] = {
        { 1, 1, DT_DIR, ".", 1 },
        { 1, 2, DT_DIR, "..", 2 },
        { 3, 3, DT_CHR, "console", 7 },
        { 2, 4, DT_CHR, "null", 4 },
    };

    (void)f;
    if (pos < 0)
        pos = 0;
    if (pos >= (int64_t)(sizeof(ents) / sizeof(ents[0])))
        return 0;
    *e = ents[pos];
    return 1;
}

static int64_t devdir_getdents(struct file *f, void *buf, uint64_t len)
{
    return dir_getdents(f, buf, len, devdir_next);
}

static int devdir_stat(struct file *f, struct linux_stat *st)
{
    (void)f;
    dev_stat(IN_DEVDIR, st);
    return 0;
}

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
    (void)f;
    dev_stat(IN_NULL, st);
    return 0;
}

static const struct file_ops devdir_ops = {
    .read = dir_read,
    .lseek = dir_seek,
    .stat = devdir_stat,
    .getdents = devdir_getdents,
};

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

static int open_file(const struct file_ops *ops, int flags, void *priv, struct file **out)
{
    *out = file_new(ops, (uint32_t)flags & ~OPEN_ONLY_FLAGS, priv);
    return *out ? 0 : -ENOMEM;
}

static int archive_open(struct vfs *v, char *p, const char *rel, int flags, struct file **out)
{
    uint32_t i;
    int err = cpio_lookup(&v->ar->ix, rel, strlen(rel), &i);

    if (err == -ENOENT && (flags & O_CREAT))
        return ro_create_error(v, p);
    if (err)
        return err;
    bool dir = (v->ar->ix.entries[i].mode & S_IFMT) == S_IFDIR;
    err = ro_open_check(dir, flags);
    if (err)
        return err;
    if (!dir && ((flags & O_TRUNC) || (flags & O_ACCMODE) != O_RDONLY))
        return -EROFS;

    struct afile *a = kmalloc(sizeof(*a));
    if (!a)
        return -ENOMEM;
    a->ar = v->ar;
    a->idx = i;
    err = open_file(dir ? &adir_ops : &afile_ops, flags, a, out);
    if (err)
        kfree(a);
    else
        v->ar->refs++;
    return err;
}

static int open_at(struct vfs *v, char *p, int flags, uint32_t mode, struct file **out)
{
    const char *rel;
    enum where w = locate(p, &rel);
    int err;

    switch (w) {
    case IN_TMP:
        return tmpfs_open(v->tmp, rel, flags, mode, out);
    case IN_ARCHIVE:
        return archive_open(v, p, rel, flags, out);
    case IN_DEV_OTHER:
        err = dev_other_error(rel);
        return err == -ENOENT && (flags & O_CREAT) ? -EROFS : err;
    case IN_DEVDIR:
        err = ro_open_check(true, flags);
        return err ? err : open_file(&devdir_ops, flags, NULL, out);
    case IN_NULL:
        err = ro_open_check(false, flags);
        return err ? err : open_file(&null_ops, flags, NULL, out);
    case IN_CONSOLE:
        err = ro_open_check(false, flags);
        if (!err && !v->console_ops)
            err = -ENXIO;
        return err ? err : open_file(v->console_ops, flags, NULL, out);
    }
    return -ENOENT;
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

struct vfs *vfs_new(const void *archive, uint64_t archive_len, const struct file_ops *console_ops, int *err)
{
    static const char *const mount_points[] = { "dev", "tmp", NULL };
    struct vfs *v = kzalloc(sizeof(*v));
    int e = -ENOMEM;

    if (!v)
        goto fail;
    v->console_ops = console_ops;
    v->ar = kzalloc(sizeof(*v->ar));
    if (!v->ar)
        goto fail;
    e = cpio_index_build(&v->ar->ix, archive, archive_len, mount_points);
    if (e)
        goto fail;
    v->ar->refs = 1;
    e = -ENOMEM;
    v->tmp = tmpfs_new(TMPFS_CAP, DEV_TMPFS);
    if (!v->tmp)
        goto fail;
    if (err)
        *err = 0;
    return v;
fail:
    if (v && v->ar) {
        cpio_index_free(&v->ar->ix);
        kfree(v->ar);
    }
    kfree(v);
    if (err)
        *err = e;
    return NULL;
}

void vfs_free(struct vfs *v)
{
    if (!v)
        return;
    archive_put(v->ar);
    tmpfs_unmount(v->tmp);
    kfree(v);
}
