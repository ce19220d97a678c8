/* tmpfs: files and directories in kernel memory (tmpfs.h has the contract).
 * A node is named by exactly one directory entry (no hard links), so the
 * node is the entry: it carries its name, its parent and its place in the
 * parent's list. A node is freed once it has no name and no open file. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap.h"
#include "string.h"
#include "tmpfs.h"
#include "uapi.h"
#include "vfs.h"

struct tnode {
    struct tmpfs *fs;
    struct tnode *parent;       /* NULL for the root and once unlinked */
    struct tnode *prev, *next;  /* siblings, in cookie order */
    struct tnode *first, *last; /* a directory's entries */
    char name[TMPFS_NAME_MAX];  /* not NUL-terminated; "" for the root */
    size_t namelen;
    uint32_t mode;
    uint32_t nsubdirs;          /* a directory's directories */
    uint32_t opens;             /* open files on it */
    bool linked;                /* has a name (the root: is mounted) */
    uint64_t ino;
    int64_t cookie;             /* its position in the parent's listing */
    int64_t next_cookie;        /* a directory's next entry's cookie */
    uint64_t size;              /* a file's bytes; those past it in chunks are 0 */
    uint8_t **chunks;
    uint64_t nchunks, chunk_cap;
};

struct tmpfs {
    uint64_t cap, used, dev, next_ino;
    uint32_t refs; /* 1 while mounted, plus 1 per open file */
    struct tnode *root;
};

static const struct file_ops tfile_ops, tdir_ops;

static bool is_dir(const struct tnode *n)
{
    return (n->mode & S_IFMT) == S_IFDIR;
}

static void fs_put(struct tmpfs *fs)
{
    if (--fs->refs == 0)
        kfree(fs);
}

/* Frees n's chunks from index keep on. */
static void chunks_trim(struct tnode *n, uint64_t keep)
{
    while (n->nchunks > keep) {
        kfree(n->chunks[--n->nchunks]);
        n->fs->used -= TMPFS_CHUNK;
    }
}

static void node_free(struct tnode *n)
{
    chunks_trim(n, 0);
    kfree(n->chunks);
    n->fs->used -= TMPFS_NODE_COST;
    kfree(n);
}

static int node_new(struct tmpfs *fs, uint32_t mode, const char *name, size_t len, struct tnode **out)
{
    struct tnode *n;

    if (len > TMPFS_NAME_MAX)
        return -ENAMETOOLONG;
    if (TMPFS_NODE_COST > fs->cap - fs->used)
        return -ENOSPC;
    n = kzalloc(sizeof(*n));
    if (!n)
        return -ENOMEM;
    fs->used += TMPFS_NODE_COST;
    memcpy(n->name, name, len);
    n->namelen = len;
    n->fs = fs;
    n->mode = mode;
    n->ino = fs->next_ino++;
    n->next_cookie = 2;
    *out = n;
    return 0;
}

static void attach(struct tnode *dir, struct tnode *n)
{
    n->parent = dir;
    n->cookie = dir->next_cookie++;
    n->prev = dir->last;
    n->next = NULL;
    if (dir->last)
        dir->last->next = n;
    else
        dir->first = n;
    dir->last = n;
    n->linked = true;
    if (is_dir(n))
        dir->nsubdirs++;
}

/* Takes n's name away; frees n unless a file has it open. n may be gone after. */
static void detach(struct tnode *n)
{
    struct tnode *dir = n->parent;

    if (dir) {
        if (n->prev)
            n->prev->next = n->next;
        else
            dir->first = n->next;
        if (n->next)
            n->next->prev = n->prev;
        else
            dir->last = n->prev;
        if (is_dir(n))
            dir->nsubdirs--;
    }
    n->parent = n->prev = n->next = NULL;
    n->linked = false;
    if (n->opens == 0)
        node_free(n);
}

static struct tnode *find_child(const struct tnode *dir, const char *name, size_t len)
{
    for (struct tnode *c = dir->first; c; c = c->next)
        if (c->namelen == len && memcmp(c->name, name, len) == 0)
            return c;
    return NULL;
}

/* The directory holding path's last component, and that component. For ""
 * (the root) *dir is NULL. */
static int walk_parent(struct tmpfs *fs, const char *path, struct tnode **dir,
                       const char **name, size_t *len)
{
    struct tnode *d = fs->root;
    const char *p = path;

    if (!d)
        return -ENOENT; /* unmounted */
    *dir = NULL;
    *name = p;
    *len = 0;
    if (!*p)
        return 0;
    for (;;) {
        const char *s = p;
        while (*p && *p != '/')
            p++;
        size_t n = (size_t)(p - s);
        if (n == 0)
            return -ENOENT;
        if (n > TMPFS_NAME_MAX)
            return -ENAMETOOLONG;
        if (!*p) {
            *dir = d;
            *name = s;
            *len = n;
            return 0;
        }
        d = find_child(d, s, n);
        if (!d)
            return -ENOENT;
        if (!is_dir(d))
            return -ENOTDIR;
        p++;
    }
}

static int resolve(struct tmpfs *fs, const char *path, struct tnode **out)
{
    struct tnode *dir;
    const char *name;
    size_t len;
    int err = walk_parent(fs, path, &dir, &name, &len);

    if (err)
        return err;
    *out = dir ? find_child(dir, name, len) : fs->root;
    return *out ? 0 : -ENOENT;
}

/* Makes sure chunks cover [pos, pos + len), or as much of it from pos as the
 * cap and memory allow: returns how many bytes are covered, or -ENOSPC or
 * -ENOMEM when not even the byte at pos can be. */
static int64_t reserve(struct tnode *n, uint64_t pos, uint64_t len)
{
    struct tmpfs *fs = n->fs;
    uint64_t limit = (n->nchunks + (fs->cap - fs->used) / TMPFS_CHUNK) * TMPFS_CHUNK;

    if (pos >= limit)
        return -ENOSPC;
    if (len > limit - pos)
        len = limit - pos;
    uint64_t need = (pos + len + TMPFS_CHUNK - 1) / TMPFS_CHUNK;
    if (need > n->chunk_cap) {
        uint64_t cap = n->chunk_cap ? n->chunk_cap * 2 : 8;
        if (cap < need)
            cap = need;
        uint8_t **t = kmalloc(cap * sizeof(*t));
        if (!t)
            return -ENOMEM;
        if (n->nchunks)
            memcpy(t, n->chunks, n->nchunks * sizeof(*t));
        kfree(n->chunks);
        n->chunks = t;
        n->chunk_cap = cap;
    }
    while (n->nchunks < need) {
        uint8_t *c = kzalloc(TMPFS_CHUNK);
        if (!c)
            break;
        fs->used += TMPFS_CHUNK; /* fits: limit allowed it */
        n->chunks[n->nchunks++] = c;
    }
    uint64_t have = n->nchunks * TMPFS_CHUNK;
    if (have <= pos)
        return -ENOMEM;
    return (int64_t)(len < have - pos ? len : have - pos);
}

/* Sets a file's size; the bytes a shrink cuts off read as 0 if it grows back. */
static int node_truncate(struct tnode *n, uint64_t size)
{
    uint64_t keep = (size + TMPFS_CHUNK - 1) / TMPFS_CHUNK;

    if (size > n->size) {
        int64_t r = reserve(n, 0, size);
        if (r < 0 || (uint64_t)r < size) {
            chunks_trim(n, (n->size + TMPFS_CHUNK - 1) / TMPFS_CHUNK);
            return r < 0 ? (int)r : -ENOSPC;
        }
    } else {
        chunks_trim(n, keep);
        if (size % TMPFS_CHUNK)
            memset(n->chunks[keep - 1] + size % TMPFS_CHUNK, 0, TMPFS_CHUNK - size % TMPFS_CHUNK);
    }
    n->size = size;
    return 0;
}

/* Copies between buf and the file's bytes [pos, pos + len), which have chunks. */
static void copy_data(struct tnode *n, uint64_t pos, uint8_t *buf, uint64_t len, bool to_file)
{
    while (len) {
        uint8_t *c = n->chunks[pos / TMPFS_CHUNK] + pos % TMPFS_CHUNK;
        uint64_t k = TMPFS_CHUNK - pos % TMPFS_CHUNK;
        if (k > len)
            k = len;
        memcpy(to_file ? c : buf, to_file ? buf : c, k);
        buf += k;
        pos += k;
        len -= k;
    }
}

static void fill_stat(const struct tnode *n, struct linux_stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_dev = n->fs->dev;
    st->st_ino = n->ino;
    st->st_mode = n->mode;
    if (is_dir(n))
        st->st_nlink = n->linked ? 2 + n->nsubdirs : 0;
    else
        st->st_nlink = n->linked ? 1 : 0;
    st->st_size = (int64_t)n->size;
    st->st_blksize = 4096;
    st->st_blocks = (int64_t)(n->nchunks * TMPFS_CHUNK / 512);
}

/* ---- file ops */

static int64_t tfile_read(struct file *f, void *buf, uint64_t len)
{
    struct tnode *n = f->priv;

    if (!file_can_read(f))
        return -EBADF;
    if ((uint64_t)f->pos >= n->size)
        return 0;
    if (len > n->size - (uint64_t)f->pos)
        len = n->size - (uint64_t)f->pos;
    copy_data(n, (uint64_t)f->pos, buf, len, false);
    f->pos += (int64_t)len;
    return (int64_t)len;
}

static int64_t tfile_write(struct file *f, const void *buf, uint64_t len)
{
    struct tnode *n = f->priv;

    if (!file_can_write(f))
        return -EBADF;
    uint64_t pos = (f->flags & O_APPEND) ? n->size : (uint64_t)f->pos;
    if (len == 0)
        return 0;
    int64_t r = reserve(n, pos, len);
    if (r < 0)
        return r;
    copy_data(n, pos, (uint8_t *)buf, (uint64_t)r, true);
    if (pos + (uint64_t)r > n->size)
        n->size = pos + (uint64_t)r;
    f->pos = (int64_t)(pos + (uint64_t)r);
    return r;
}

static int64_t tfile_lseek(struct file *f, int64_t off, int whence)
{
    struct tnode *n = f->priv;

    return file_seek(f, off, whence, (int64_t)n->size);
}

static int tnode_stat(struct file *f, struct linux_stat *st)
{
    fill_stat(f->priv, st);
    return 0;
}

static void tnode_release(struct file *f)
{
    struct tnode *n = f->priv;
    struct tmpfs *fs = n->fs;

    n->opens--;
    if (!n->linked && n->opens == 0)
        node_free(n);
    fs_put(fs);
}

static int tdir_next(struct file *f, int64_t pos, struct dir_entry *e)
{
    struct tnode *d = f->priv, *c;

    if (!d->linked)
        return -ENOENT;
    if (pos <= 0) {
        *e = (struct dir_entry){ d->ino, 1, DT_DIR, ".", 1 };
        return 1;
    }
    if (pos == 1) {
        *e = (struct dir_entry){ d->parent ? d->parent->ino : d->ino, 2, DT_DIR, "..", 2 };
        return 1;
    }
    for (c = d->first; c && c->cookie < pos; c = c->next)
        ;
    if (!c)
        return 0;
    *e = (struct dir_entry){ c->ino, c->cookie + 1, is_dir(c) ? DT_DIR : DT_REG, c->name, c->namelen };
    return 1;
}

static int64_t tdir_getdents(struct file *f, void *buf, uint64_t len)
{
    return dir_getdents(f, buf, len, tdir_next);
}

static const struct file_ops tfile_ops = {
    .read = tfile_read,
    .write = tfile_write,
    .lseek = tfile_lseek,
    .stat = tnode_stat,
    .release = tnode_release,
};

static const struct file_ops tdir_ops = {
    .read = dir_read,
    .lseek = dir_seek,
    .stat = tnode_stat,
    .getdents = tdir_getdents,
    .release = tnode_release,
};

/* ---- the name space */

struct tmpfs *tmpfs_new(uint64_t cap, uint64_t dev)
{
    struct tmpfs *fs = kzalloc(sizeof(*fs));

    if (!fs)
        return NULL;
    fs->cap = cap;
    fs->dev = dev;
    fs->next_ino = 1;
    fs->refs = 1;
    if (node_new(fs, S_IFDIR | 0777 | 01000, "", 0, &fs->root) < 0) {
        kfree(fs);
        return NULL;
    }
    fs->root->linked = true;
    return fs;
}

/* Depth-first without recursion: a deep tree must not eat the kernel stack. */
void tmpfs_unmount(struct tmpfs *fs)
{
    struct tnode *n = fs->root;

    fs->root = NULL;
    while (n) {
        if (n->first) {
            n = n->first;
            continue;
        }
        struct tnode *up = n->parent;
        detach(n);
        n = up;
    }
    fs_put(fs);
}

uint64_t tmpfs_used(const struct tmpfs *fs)
{
    return fs->used;
}

int tmpfs_open(struct tmpfs *fs, const char *path, int flags, uint32_t mode, struct file **out)
{
    struct tnode *dir, *n;
    const char *name;
    size_t len;
    bool created = false;
    uint32_t acc = (uint32_t)flags & O_ACCMODE;
    int err = walk_parent(fs, path, &dir, &name, &len);

    if (err)
        return err;
    n = dir ? find_child(dir, name, len) : fs->root;
    if (!n) {
        if (!(flags & O_CREAT))
            return -ENOENT;
        err = node_new(fs, S_IFREG | (mode & 07777), name, len, &n);
        if (err)
            return err;
        attach(dir, n);
        created = true;
    } else if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
        return -EEXIST;
    } else if (is_dir(n)) {
        if ((flags & (O_CREAT | O_TRUNC)) || acc != O_RDONLY)
            return -EISDIR;
    } else if (flags & O_DIRECTORY) {
        return -ENOTDIR;
    }

    struct file *f = file_new(is_dir(n) ? &tdir_ops : &tfile_ops, (uint32_t)flags & ~OPEN_ONLY_FLAGS, n);
    if (!f) {
        if (created)
            detach(n);
        return -ENOMEM;
    }
    if (!created && (flags & O_TRUNC))
        node_truncate(n, 0); /* shrinking cannot fail */
    n->opens++;
    fs->refs++;
    *out = f;
    return 0;
}

int tmpfs_stat(struct tmpfs *fs, const char *path, struct linux_stat *st)
{
    struct tnode *n;
    int err = resolve(fs, path, &n);

    if (!err)
        fill_stat(n, st);
    return err;
}

int tmpfs_mkdir(struct tmpfs *fs, const char *path, uint32_t mode)
{
    struct tnode *dir, *n;
    const char *name;
    size_t len;
    int err = walk_parent(fs, path, &dir, &name, &len);

    if (err)
        return err;
    if (!dir || find_child(dir, name, len))
        return -EEXIST;
    err = node_new(fs, S_IFDIR | (mode & 07777), name, len, &n);
    if (!err)
        attach(dir, n);
    return err;
}

/* unlink (dir false) or rmdir (dir true). */
static int remove_name(struct tmpfs *fs, const char *path, bool dir)
{
    struct tnode *n;
    int err = resolve(fs, path, &n);

    if (err)
        return err;
    if (is_dir(n) != dir)
        return dir ? -ENOTDIR : -EISDIR;
    if (n == fs->root)
        return -EBUSY;
    if (n->first)
        return -ENOTEMPTY;
    detach(n);
    return 0;
}

int tmpfs_unlink(struct tmpfs *fs, const char *path)
{
    return remove_name(fs, path, false);
}

int tmpfs_rmdir(struct tmpfs *fs, const char *path)
{
    return remove_name(fs, path, true);
}

int tmpfs_rename(struct tmpfs *fs, const char *from, const char *to)
{
    struct tnode *fdir, *tdir, *src, *dst;
    const char *fname, *tname;
    size_t flen, tlen;
    int err;

    if ((err = walk_parent(fs, from, &fdir, &fname, &flen)) < 0)
        return err;
    if ((err = walk_parent(fs, to, &tdir, &tname, &tlen)) < 0)
        return err;
    if (!fdir || !tdir)
        return -EBUSY; /* the root */
    src = find_child(fdir, fname, flen);
    if (!src)
        return -ENOENT;
    dst = find_child(tdir, tname, tlen);
    if (src == dst)
        return 0;
    if (is_dir(src)) {
        for (struct tnode *d = tdir; d; d = d->parent)
            if (d == src)
                return -EINVAL; /* into itself */
        if (dst && !is_dir(dst))
            return -ENOTDIR;
        if (dst && dst->first)
            return -ENOTEMPTY;
    } else if (dst && is_dir(dst)) {
        return -EISDIR;
    }

    if (dst)
        detach(dst);
    src->opens++; /* keep src through its own detach */
    detach(src);
    src->opens--;
    memcpy(src->name, tname, tlen);
    src->namelen = tlen;
    attach(tdir, src);
    return 0;
}

int tmpfs_truncate(struct file *f, uint64_t size)
{
    if (f->ops != &tfile_ops || !file_can_write(f))
        return -EINVAL;
    return node_truncate(f->priv, size);
}
