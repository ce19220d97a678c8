/* The boot archive as a read-only file system (cpio.h says what is accepted).
 * Two walks over the archive: the first checks every entry and sizes the
 * tables, the second copies the normalized names. Those entries and the
 * caller's are sorted, the directories their paths imply are added, and the
 * parent and sibling links are computed from the order. Then the file ops of
 * its files and directories. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpio.h"
#include "heap.h"
#include "stdlib.h"
#include "string.h"
#include "tmpfs.h"
#include "uapi.h"

#define HDR_LEN 110
#define TRAILER "TRAILER!!!"

/* One header, checked. */
struct raw {
    uint32_t mode, size, namesize;
    const char *name; /* NUL-terminated, inside the archive */
    const uint8_t *data;
    uint64_t next;    /* offset of the following header */
};

static uint64_t align4(uint64_t x)
{
    return (x + 3) & ~(uint64_t)3;
}

/* Exactly eight hex digits: no sign, no blanks, no "0x". */
static bool hex8(const uint8_t *p, uint32_t *out)
{
    uint32_t v = 0;

    for (int i = 0; i < 8; i++) {
        uint8_t c = p[i];
        if (c >= '0' && c <= '9')
            v = v << 4 | (uint32_t)(c - '0');
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            v = v << 4 | (uint32_t)((c | 0x20) - 'a' + 10);
        else
            return false;
    }
    *out = v;
    return true;
}

static bool all_zero(const uint8_t *p, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* Checks the entry whose header starts at off (off <= len). Every byte it
 * accepts, padding included, lies inside [0, len). */
static int read_entry(const uint8_t *a, uint64_t len, uint64_t off, struct raw *r)
{
    uint32_t f[13];

    if (len - off < HDR_LEN)
        return -EINVAL;
    if (memcmp(a + off, "07070", 5) != 0 || (a[off + 5] != '1' && a[off + 5] != '2'))
        return -EINVAL;
    for (int i = 0; i < 13; i++)
        if (!hex8(a + off + 6 + 8 * i, &f[i]))
            return -EINVAL;
    r->mode = f[1];
    r->size = f[6];
    r->namesize = f[11];
    if (r->namesize < 2 || r->namesize > CPIO_PATH_MAX)
        return -EINVAL;

    uint64_t name_off = off + HDR_LEN;
    if (len - name_off < r->namesize)
        return -EINVAL;
    r->name = (const char *)a + name_off;
    if (r->name[r->namesize - 1] != '\0' || memchr(r->name, '\0', r->namesize - 1))
        return -EINVAL;

    uint64_t name_end = name_off + r->namesize, data_off = align4(name_end);
    if (data_off > len || !all_zero(a + name_end, data_off - name_end))
        return -EINVAL;
    if (len - data_off < r->size)
        return -EINVAL;
    r->data = a + data_off;

    uint64_t data_end = data_off + r->size;
    r->next = align4(data_end);
    if (r->next > len || !all_zero(a + data_end, r->next - data_end))
        return -EINVAL;
    return 0;
}

/* Normalizes a raw name into out (NULL: only checks and measures), setting
 * *outlen. Leading '/' and "." components go; "..", empty and overlong
 * components are refused. "." and "/" name the root (""). */
static int norm_name(const char *p, char *out, uint32_t *outlen)
{
    uint32_t o = 0;

    while (*p == '/')
        p++;
    while (*p) {
        const char *s = p;
        while (*p && *p != '/')
            p++;
        size_t n = (size_t)(p - s);
        if (n == 0 || n > CPIO_NAME_MAX || (n == 2 && s[0] == '.' && s[1] == '.'))
            return -EINVAL;
        if (*p == '/' && *++p == '\0')
            return -EINVAL; /* trailing '/': an empty last component */
        if (n == 1 && s[0] == '.')
            continue;
        if (o && out)
            out[o] = '/';
        o += o ? 1 : 0;
        if (out)
            memcpy(out + o, s, n);
        o += (uint32_t)n;
    }
    *outlen = o;
    return 0;
}

/* Path order with '/' below every other byte: a directory, then all its
 * descendants, then its next sibling ("a", "a/b", "a-c"). */
static int path_cmp(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
    uint32_t n = alen < blen ? alen : blen;

    for (uint32_t i = 0; i < n; i++) {
        unsigned ca = a[i] == '/' ? 0 : (uint8_t)a[i];
        unsigned cb = b[i] == '/' ? 0 : (uint8_t)b[i];
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    return alen < blen ? -1 : alen > blen;
}

/* By path, then by precedence. */
static int entry_cmp(const void *x, const void *y)
{
    const struct cpio_entry *a = x, *b = y;
    int c = path_cmp(a->path, a->len, b->path, b->len);

    return c ? c : (int)a->origin - (int)b->origin;
}

static bool is_dir(const struct cpio_entry *e)
{
    return (e->mode & S_IFMT) == S_IFDIR;
}

/* Does p have q as its first n bytes, ending at a component boundary? */
static bool has_prefix(const char *p, uint32_t plen, const char *q, uint32_t n)
{
    return n <= plen && memcmp(p, q, n) == 0 && (n == plen || p[n] == '/');
}

static struct cpio_entry entry(const char *path, uint32_t len, uint32_t mode, uint8_t origin)
{
    return (struct cpio_entry){
        .path = path, .len = len, .mode = mode, .origin = origin,
        .first_child = CPIO_NONE, .next_sibling = CPIO_NONE, .hdr_off = UINT64_MAX,
    };
}

/* Walks the archive. Counting (ents NULL): checks every entry, counts the
 * files and directories and the bytes of their names. Filling: stores them
 * in ents, their names in names. */
static int walk(const uint8_t *a, uint64_t len, struct cpio_entry *ents, char *names,
                uint32_t *count, uint64_t *names_len, uint64_t *bad)
{
    uint64_t off = 0;
    struct raw r;

    *count = 0;
    *names_len = 0;
    for (;; off = r.next) {
        *bad = off;
        if (read_entry(a, len, off, &r) < 0)
            return -EINVAL;
        if (r.namesize == sizeof(TRAILER) && memcmp(r.name, TRAILER, sizeof(TRAILER)) == 0)
            return 0;
        uint32_t n, type = r.mode & S_IFMT;
        bool kept = type == S_IFREG || type == S_IFDIR; /* symlinks, devices: left out */
        char *out = ents && kept ? names + *names_len : NULL;
        if (norm_name(r.name, out, &n) < 0 || (type == S_IFDIR && r.size != 0))
            return -EINVAL;
        if (!kept)
            continue;
        if (*count >= CPIO_NONE / 4)
            return -EINVAL;
        if (ents) {
            struct cpio_entry *e = &ents[*count];
            *e = entry(out, n, r.mode & (S_IFMT | 07777), CPIO_ARCHIVE);
            e->data = type == S_IFREG ? r.data : NULL;
            e->size = r.size;
            e->hdr_off = off;
        }
        (*count)++;
        *names_len += n;
    }
}

/* Adds to ents[*n] (or just counts, ents NULL) the directories that sorted
 * entries [0, nsorted) imply and that are not there yet. Entry i's ancestors
 * that entry i-1 does not share appear in neither: in component order a
 * directory comes directly before its first descendant. */
static void add_implied(const struct cpio_entry *sorted, uint32_t nsorted,
                        struct cpio_entry *ents, uint64_t *n)
{
    for (uint32_t i = 0; i < nsorted; i++) {
        const struct cpio_entry *e = &sorted[i];
        for (uint32_t k = 0; k < e->len; k++) {
            if (e->path[k] != '/')
                continue;
            if (i > 0 && has_prefix(sorted[i - 1].path, sorted[i - 1].len, e->path, k))
                continue;
            if (ents)
                ents[*n] = entry(e->path, k, S_IFDIR | 0755, CPIO_IMPLIED);
            (*n)++;
        }
    }
}

/* Binary search over the sorted, deduplicated index. */
static uint32_t find(const struct cpio_index *ix, const char *path, size_t len)
{
    uint32_t lo = 0, hi = ix->count;

    if (len > CPIO_PATH_MAX)
        return CPIO_NONE;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const struct cpio_entry *e = &ix->entries[mid];
        int c = path_cmp(path, (uint32_t)len, e->path, e->len);
        if (c == 0)
            return mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return CPIO_NONE;
}

/* Keeps one entry a path: the caller's replaces the archive's (but not an
 * archive directory with a non-directory, even an empty one), directories
 * merge, and any other repeat is a conflict. */
static int dedup(struct cpio_index *ix, uint32_t n, uint64_t *bad)
{
    struct cpio_entry *e = ix->entries;
    uint32_t out = 0;

    for (uint32_t i = 0; i < n; i++) {
        struct cpio_entry *k = out ? &e[out - 1] : NULL;
        if (!k || k->len != e[i].len || memcmp(k->path, e[i].path, e[i].len) != 0) {
            e[out++] = e[i];
            continue;
        }
        bool overrides = k->origin == CPIO_EXTRA && e[i].origin != CPIO_EXTRA &&
                         (is_dir(k) || !is_dir(&e[i]) || e[i].origin == CPIO_IMPLIED);
        if (!overrides && (!is_dir(k) || !is_dir(&e[i]))) {
            *bad = e[i].hdr_off != UINT64_MAX ? e[i].hdr_off : k->hdr_off;
            return -EINVAL;
        }
    }
    ix->count = out;
    return 0;
}

/* Parent, first_child and next_sibling from the sorted order. */
static int link_tree(struct cpio_index *ix, uint64_t *bad)
{
    struct cpio_entry *e = ix->entries;

    if (e[0].len != 0 || !is_dir(&e[0])) {
        *bad = e[0].hdr_off; /* "." named a file */
        return -EINVAL;
    }
    for (uint32_t i = 1; i < ix->count; i++) {
        uint32_t k = e[i].len;
        while (k > 0 && e[i].path[k - 1] != '/')
            k--;
        uint32_t p = find(ix, e[i].path, k ? k - 1 : 0);
        if (p == CPIO_NONE || !is_dir(&e[p])) {
            *bad = e[i].hdr_off; /* under a file */
            return -EINVAL;
        }
        e[i].parent = p;
    }
    for (uint32_t i = ix->count - 1; i > 0; i--) {
        struct cpio_entry *p = &e[e[i].parent];
        e[i].next_sibling = p->first_child;
        p->first_child = i;
    }
    return 0;
}

/* The archive's entries, the extras and the root, sorted; then the implied
 * directories, sorted in, and every path once. */
static int build(struct cpio_index *ix, const uint8_t *a, uint64_t len,
                 const struct cpio_extra *extras, uint64_t *bad)
{
    uint32_t nreal, nextra = 0;
    uint64_t names_len, n;
    int err = walk(a, len, NULL, NULL, &nreal, &names_len, bad);

    if (err)
        return err;
    while (extras && extras[nextra].path)
        nextra++;
    uint32_t nbase = nreal + nextra + 1;
    struct cpio_entry *base = kmalloc(sizeof(*base) * nbase);
    ix->names = kmalloc(names_len + 1);
    if (!base || !ix->names) {
        kfree(base);
        return -ENOMEM;
    }
    walk(a, len, base, ix->names, &nreal, &names_len, bad); /* as before: it passed */
    for (uint32_t i = 0; i < nextra; i++)
        base[nreal + i] = entry(extras[i].path, (uint32_t)strlen(extras[i].path), extras[i].mode, CPIO_EXTRA);
    base[nbase - 1] = entry("", 0, S_IFDIR | 0755, CPIO_IMPLIED);
    qsort(base, nbase, sizeof(*base), entry_cmp);

    n = 0;
    add_implied(base, nbase, NULL, &n);
    ix->entries = n < CPIO_NONE / 2 ? kmalloc(sizeof(*base) * (nbase + n)) : NULL;
    if (!ix->entries) {
        kfree(base);
        return -ENOMEM;
    }
    memcpy(ix->entries, base, sizeof(*base) * nbase);
    n = nbase;
    add_implied(base, nbase, ix->entries, &n);
    kfree(base);
    qsort(ix->entries, n, sizeof(*base), entry_cmp);
    err = dedup(ix, (uint32_t)n, bad);
    return err ? err : link_tree(ix, bad);
}

struct cpio_index *cpio_index_new(const void *archive, uint64_t len, const struct cpio_extra *extras,
                                  int *err, uint64_t *bad_offset)
{
    struct cpio_index *ix = kzalloc(sizeof(*ix));
    uint64_t bad = 0;
    int e = -ENOMEM;

    if (ix) {
        ix->refs = 1;
        e = archive || !len ? build(ix, archive, len, extras, &bad) : -EINVAL;
        if (e) {
            cpio_index_put(ix);
            ix = NULL;
        }
    }
    *err = e;
    if (bad_offset)
        *bad_offset = e == -EINVAL ? bad : 0;
    return ix;
}

void cpio_index_put(struct cpio_index *ix)
{
    if (--ix->refs > 0)
        return;
    kfree(ix->entries);
    kfree(ix->names);
    kfree(ix);
}

int cpio_lookup(const struct cpio_index *ix, const char *path, size_t len, uint32_t *idx)
{
    uint32_t i = find(ix, path, len);

    if (i != CPIO_NONE) {
        *idx = i;
        return 0;
    }
    /* Missing: a leading component that is a file makes it ENOTDIR. */
    for (size_t k = 0; k < len; k++) {
        if (path[k] != '/')
            continue;
        uint32_t p = find(ix, path, k);
        if (p == CPIO_NONE)
            return -ENOENT;
        if (!is_dir(&ix->entries[p]))
            return -ENOTDIR;
    }
    return -ENOENT;
}

void cpio_stat(const struct cpio_index *ix, uint32_t idx, struct linux_stat *st)
{
    const struct cpio_entry *e = &ix->entries[idx];

    memset(st, 0, sizeof(*st));
    st->st_dev = ix->dev;
    st->st_ino = idx + 1;
    st->st_mode = (e->mode & S_IFMT) | (e->mode & 0555);
    st->st_nlink = is_dir(e) ? 2 : 1;
    for (uint32_t c = e->first_child; c != CPIO_NONE; c = ix->entries[c].next_sibling)
        st->st_nlink += is_dir(&ix->entries[c]);
    st->st_size = e->size;
    st->st_blksize = 4096;
    st->st_blocks = ((int64_t)e->size + 511) / 512;
}

/* ---- files */

struct afile {
    struct cpio_index *ix;
    uint32_t idx;
};

static int64_t afile_read(struct file *f, void *buf, uint64_t len)
{
    struct afile *a = f->priv;
    const struct cpio_entry *e = &a->ix->entries[a->idx];

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

    return file_seek(f, off, whence, a->ix->entries[a->idx].size);
}

static int anode_stat(struct file *f, struct linux_stat *st)
{
    struct afile *a = f->priv;

    cpio_stat(a->ix, a->idx, st);
    return 0;
}

static void anode_release(struct file *f)
{
    struct afile *a = f->priv;

    cpio_index_put(a->ix);
    kfree(a);
}

/* Cookies from 2 on are 2 + the index of an entry: a directory's entries come
 * in index order, so resuming is finding its first one at or after that. */
static int adir_next(struct file *f, int64_t pos, struct dir_entry *e)
{
    struct afile *a = f->priv;
    const struct cpio_entry *ents = a->ix->entries, *d = &ents[a->idx];
    uint32_t c;

    if (pos <= 0) {
        *e = (struct dir_entry){ a->idx + 1, 1, DT_DIR, ".", 1 };
        return 1;
    }
    if (pos == 1) {
        *e = (struct dir_entry){ d->parent + 1, 2, DT_DIR, "..", 2 };
        return 1;
    }
    if ((uint64_t)pos - 2 >= a->ix->count)
        return 0;
    c = (uint32_t)(pos - 2);
    if (c == 0 || ents[c].parent != a->idx) /* not one of ours: search */
        for (c = d->first_child; c != CPIO_NONE && c < pos - 2; c = ents[c].next_sibling)
            ;
    if (c == CPIO_NONE)
        return 0;
    uint32_t type = ents[c].mode & S_IFMT;
    e->ino = c + 1;
    e->next = (int64_t)c + 3;
    e->type = type == S_IFDIR ? DT_DIR : type == S_IFCHR ? DT_CHR : DT_REG;
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

int cpio_open(struct cpio_index *ix, uint32_t idx, uint32_t flags, struct file **out)
{
    struct afile *a = kmalloc(sizeof(*a));

    if (!a)
        return -ENOMEM;
    a->ix = ix;
    a->idx = idx;
    *out = file_new(is_dir(&ix->entries[idx]) ? &adir_ops : &afile_ops, flags, a);
    if (!*out) {
        kfree(a);
        return -ENOMEM;
    }
    ix->refs++;
    return 0;
}
