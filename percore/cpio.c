/* The boot archive's checker and index (cpio.h says what is accepted).
 * Two walks over the archive: the first checks every entry and sizes the
 * tables, the second copies the normalized names. The real entries are then
 * sorted, the directories their paths imply but that have no entry are
 * added, and the parent and sibling links are computed from the order. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpio.h"
#include "heap.h"
#include "stdlib.h"
#include "string.h"
#include "uapi.h"

#define HDR_LEN 110
#define TRAILER "TRAILER!!!"
#define IMPLIED_MODE (S_IFDIR | 0755)

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
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return false;
        v = v << 4 | d;
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
        if (o) {
            if (out)
                out[o] = '/';
            o++;
        }
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

/* Real entries sort before an implied directory of the same path. */
static int entry_cmp(const void *x, const void *y)
{
    const struct cpio_entry *a = x, *b = y;
    int c = path_cmp(a->path, a->len, b->path, b->len);

    return c ? c : (int)a->implied - (int)b->implied;
}

static bool is_dir(const struct cpio_entry *e)
{
    return (e->mode & S_IFMT) == S_IFDIR;
}

static bool kept_type(uint32_t mode)
{
    return (mode & S_IFMT) == S_IFREG || (mode & S_IFMT) == S_IFDIR;
}

/* Does p have q as its first n bytes, ending at a component boundary? */
static bool has_prefix(const char *p, uint32_t plen, const char *q, uint32_t n)
{
    return n <= plen && memcmp(p, q, n) == 0 && (n == plen || p[n] == '/');
}

static void set_implied(struct cpio_entry *e, const char *path, uint32_t len)
{
    *e = (struct cpio_entry){
        .path = path, .len = len, .mode = IMPLIED_MODE, .implied = true,
        .parent = 0, .first_child = CPIO_NONE, .next_sibling = CPIO_NONE,
        .hdr_off = UINT64_MAX,
    };
}

/* Walks the archive. Counting (ents NULL): checks every entry, counts the
 * kept ones and the bytes of their names. Filling: stores them in ents. */
static int walk(struct cpio_index *ix, const uint8_t *a, uint64_t len,
                struct cpio_entry *ents, uint32_t *count, uint64_t *names_len)
{
    uint64_t off = 0;
    struct raw r;

    *count = 0;
    *names_len = 0;
    for (;;) {
        ix->bad_offset = off;
        if (read_entry(a, len, off, &r) < 0)
            return -EINVAL;
        if (r.namesize == sizeof(TRAILER) && memcmp(r.name, TRAILER, sizeof(TRAILER)) == 0)
            return 0;
        char *out = ents ? ix->names + *names_len : NULL;
        uint32_t n;
        if (norm_name(r.name, out, &n) < 0)
            return -EINVAL;
        if ((r.mode & S_IFMT) == S_IFDIR && r.size != 0)
            return -EINVAL;
        if (kept_type(r.mode)) {
            if (*count >= CPIO_NONE / 4)
                return -EINVAL;
            if (ents) {
                ents[*count] = (struct cpio_entry){
                    .path = out, .len = n, .mode = r.mode & (S_IFMT | 07777),
                    .data = (r.mode & S_IFMT) == S_IFREG ? r.data : NULL,
                    .size = r.size, .first_child = CPIO_NONE,
                    .next_sibling = CPIO_NONE, .hdr_off = off,
                };
            }
            (*count)++;
            *names_len += n;
        }
        off = r.next;
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
                set_implied(&ents[*n], e->path, k);
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

/* Drops repeated paths: directories merge (a real one wins), anything else
 * repeated is a conflict. */
static int dedup(struct cpio_index *ix, uint32_t n)
{
    struct cpio_entry *e = ix->entries;
    uint32_t out = 0;

    for (uint32_t i = 0; i < n; i++) {
        if (out > 0 && e[out - 1].len == e[i].len && memcmp(e[out - 1].path, e[i].path, e[i].len) == 0) {
            if (!is_dir(&e[out - 1]) || !is_dir(&e[i])) {
                ix->bad_offset = e[i].hdr_off != UINT64_MAX ? e[i].hdr_off : e[out - 1].hdr_off;
                return -EINVAL;
            }
            continue;
        }
        e[out++] = e[i];
    }
    ix->count = out;
    return 0;
}

/* Parent, first_child and next_sibling from the sorted order. */
static int link_tree(struct cpio_index *ix)
{
    struct cpio_entry *e = ix->entries;

    if (ix->count == 0 || e[0].len != 0 || !is_dir(&e[0])) {
        ix->bad_offset = ix->count ? e[0].hdr_off : 0;
        return -EINVAL; /* "." named a file */
    }
    for (uint32_t i = 1; i < ix->count; i++) {
        uint32_t k = e[i].len;
        while (k > 0 && e[i].path[k - 1] != '/')
            k--;
        uint32_t p = find(ix, e[i].path, k ? k - 1 : 0);
        if (p == CPIO_NONE || !is_dir(&e[p])) {
            ix->bad_offset = e[i].hdr_off; /* a file, symlink or device as a directory */
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

void cpio_index_free(struct cpio_index *ix)
{
    kfree(ix->entries);
    kfree(ix->names);
    ix->entries = NULL;
    ix->names = NULL;
    ix->count = 0;
}

int cpio_index_build(struct cpio_index *ix, const void *archive, uint64_t len,
                     const char *const *extra_dirs)
{
    const uint8_t *a = archive;
    struct cpio_entry *reals = NULL;
    uint32_t nreal, nextra = 0;
    uint64_t nimplied = 0;
    uint64_t names_len;
    int err;

    *ix = (struct cpio_index){ 0 };
    if (!a && len)
        return -EINVAL;
    err = walk(ix, a, len, NULL, &nreal, &names_len);
    if (err)
        return err;
    while (extra_dirs && extra_dirs[nextra])
        nextra++;

    /* The real entries, the extra directories and the root, sorted. */
    uint32_t nbase = nreal + nextra + 1;
    ix->names = kmalloc(names_len + 1);
    reals = kmalloc(sizeof(*reals) * nbase);
    if (!ix->names || !reals) {
        err = -ENOMEM;
        goto fail;
    }
    err = walk(ix, a, len, reals, &nreal, &names_len);
    if (err)
        goto fail;
    for (uint32_t i = 0; i < nextra; i++)
        set_implied(&reals[nreal + i], extra_dirs[i], (uint32_t)strlen(extra_dirs[i]));
    set_implied(&reals[nbase - 1], "", 0);
    qsort(reals, nbase, sizeof(*reals), entry_cmp);

    /* Plus the directories implied, sorted again and deduplicated. */
    add_implied(reals, nbase, NULL, &nimplied);
    if (nimplied >= CPIO_NONE / 2) {
        err = -ENOMEM;
        goto fail;
    }
    ix->entries = kmalloc(sizeof(*ix->entries) * (nbase + nimplied));
    if (!ix->entries) {
        err = -ENOMEM;
        goto fail;
    }
    memcpy(ix->entries, reals, sizeof(*reals) * nbase);
    uint64_t n = nbase;
    add_implied(reals, nbase, ix->entries, &n);
    kfree(reals);
    reals = NULL;
    qsort(ix->entries, n, sizeof(*ix->entries), entry_cmp);
    err = dedup(ix, (uint32_t)n);
    if (!err)
        err = link_tree(ix);
    if (!err)
        return 0;
fail:
    kfree(reals);
    uint64_t bad = ix->bad_offset;
    cpio_index_free(ix);
    ix->bad_offset = bad;
    return err;
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
