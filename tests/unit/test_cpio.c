/* Unit tests for percore/cpio.c: the newc checker, the index, and files over
 * archive entries. Archives come from tests/unit/data/cpio/ (make.py writes
 * them; $CPIO_DATA_DIR overrides the directory) and are loaded into a heap
 * block of exactly their size, so ASan reports any read past the end. The
 * kernel heap is malloc here, with a switch to fail the n-th allocation and a
 * count of live blocks that every test checks at its end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cpio.h"
#include "heap.h"
#include "heap_shim.h"
#include "tmpfs.h"
#include "uapi.h"
#include "vfs.h"

/* ------------------------------------------------------------ kernel shims */


void waitq_wake_all(struct waitq *wq)
{
    (void)wq;
}

void poll_notify(void)
{
}

/* ------------------------------------------------------------ helpers */

struct blob {
    uint8_t *data;
    size_t len;
};

static struct blob load(const char *name)
{
    const char *dir = getenv("CPIO_DATA_DIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.cpio", dir ? dir : "tests/unit/data/cpio", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (run from the repository root or set CPIO_DATA_DIR)", path);
    fseek(f, 0, SEEK_END);
    struct blob b = { .len = (size_t)ftell(f) };
    fseek(f, 0, SEEK_SET);
    b.data = malloc(b.len ? b.len : 1);
    assert_non_null(b.data);
    assert_int_equal(fread(b.data, 1, b.len, f), b.len);
    fclose(f);
    return b;
}

static uint8_t pattern(size_t i, unsigned seed)
{
    return (uint8_t)((i * 7 + seed) % 251);
}

static struct cpio_index *build(struct blob b, const struct cpio_extra *extras, int *err, uint64_t *bad)
{
    return cpio_index_new(b.data, b.len, extras, err, bad);
}

/* The whole index must hold together: sorted strictly, every entry under a
 * directory that lists it, every file's data inside the archive. */
static void check_invariants(const struct cpio_index *ix, struct blob b)
{
    const struct cpio_entry *e = ix->entries;
    uint32_t listed = 0;

    assert_true(ix->count >= 1);
    assert_int_equal(e[0].len, 0);
    assert_int_equal(e[0].mode & S_IFMT, S_IFDIR);
    for (uint32_t i = 0; i < ix->count; i++) {
        if (i > 0) {
            size_t n = e[i - 1].len < e[i].len ? e[i - 1].len : e[i].len;
            int c = memcmp(e[i - 1].path, e[i].path, n);
            assert_true(c != 0 || e[i - 1].len != e[i].len); /* unique */
            assert_true(e[i].parent < i);
            assert_int_equal(e[e[i].parent].mode & S_IFMT, S_IFDIR);
        }
        assert_null(memchr(e[i].path, '\0', e[i].len));
        assert_true(e[i].len == 0 || (e[i].path[0] != '/' && e[i].path[e[i].len - 1] != '/'));
        if ((e[i].mode & S_IFMT) == S_IFREG && e[i].origin == CPIO_ARCHIVE) {
            assert_true(e[i].data >= b.data);
            assert_true(e[i].data + e[i].size <= b.data + b.len);
        }
        uint32_t prev = 0;
        for (uint32_t c = e[i].first_child; c != CPIO_NONE; c = e[c].next_sibling) {
            assert_int_equal(e[c].parent, i);
            assert_true(c > prev);
            prev = c;
            listed++;
        }
        uint32_t found;
        assert_int_equal(cpio_lookup(ix, e[i].path, e[i].len, &found), 0);
        assert_int_equal(found, i);
    }
    assert_int_equal(listed, ix->count - 1);
}

static const struct cpio_entry *get(const struct cpio_index *ix, const char *path)
{
    uint32_t i;
    int err = cpio_lookup(ix, path, strlen(path), &i);
    if (err)
        fail_msg("lookup of \"%s\": %d", path, err);
    return &ix->entries[i];
}

static int lookup_err(const struct cpio_index *ix, const char *path)
{
    uint32_t i;
    return cpio_lookup(ix, path, strlen(path), &i);
}

static int setup(void **state)
{
    (void)state;
    fail_at = -1;
    live_blocks = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fail_at = -1;
    assert_int_equal(live_blocks, 0);
    return 0;
}

/* ------------------------------------------------------------ good archive */

static void test_good_archive(void **state)
{
    (void)state;
    struct blob b = load("good");
    int err = 1;
    struct cpio_index *ix = build(b, NULL, &err, NULL);
    assert_non_null(ix);
    assert_int_equal(err, 0);
    check_invariants(ix, b);

    const struct cpio_entry *e = get(ix, "etc/inetrc");
    assert_int_equal(e->size, 18);
    assert_memory_equal(e->data, "{lookup, [file]}.\n", 18);
    assert_int_equal(e->mode, S_IFREG | 0644);
    assert_int_equal(e->origin, CPIO_ARCHIVE);
    assert_int_equal(get(ix, "bin/erl")->mode, S_IFREG | 0755);
    assert_int_equal(get(ix, "empty")->size, 0);
    assert_int_equal(get(ix, "emptydir")->first_child, CPIO_NONE);
    assert_int_equal(get(ix, "a")->mode & S_IFMT, S_IFDIR);
    assert_int_equal(get(ix, "a")->origin, CPIO_ARCHIVE);

    e = get(ix, "lib/kernel-8.5.3/ebin/big.beam");
    assert_int_equal(e->size, 10007);
    for (size_t i = 0; i < e->size; i++)
        if (e->data[i] != pattern(i, 3))
            fail_msg("big.beam byte %zu", i);
    e = get(ix, "lib/stdlib-4.2/ebin/lists.beam");
    assert_int_equal(e->size, 333);
    assert_int_equal(e->data[332], pattern(332, 1));

    /* The longest component is accepted; one past a leaf is ENOTDIR. */
    char longname[300] = "long/";
    memset(longname + 5, 'L', 255);
    assert_int_equal(get(ix, longname)->size, 13);
    assert_int_equal(lookup_err(ix, "etc/inetrc/x"), -ENOTDIR);
    assert_int_equal(lookup_err(ix, "etc/missing/x"), -ENOENT);
    assert_int_equal(lookup_err(ix, "etc/missing"), -ENOENT);
    assert_int_equal(lookup_err(ix, "deep/d1/d2/d3/d4/leaf/more/x"), -ENOTDIR);
    assert_int_equal(lookup_err(ix, "/etc"), -ENOENT); /* not normalized */
    assert_int_equal(lookup_err(ix, "etc/"), -ENOENT);
    assert_int_equal(lookup_err(ix, "et"), -ENOENT);
    assert_int_equal(lookup_err(ix, "etc/inetrcX"), -ENOENT);
    assert_int_equal(get(ix, ""), &ix->entries[0]);

    /* 13 files + 100 in many/, and the directories. */
    uint32_t files = 0, dirs = 0;
    for (uint32_t i = 0; i < ix->count; i++)
        (ix->entries[i].mode & S_IFMT) == S_IFDIR ? dirs++ : files++;
    assert_int_equal(files, 113);
    /* "", a, a/y, bin, deep, d1..d4, emptydir, etc, lib, kernel-8.5.3, its
     * ebin, stdlib-4.2, its ebin, long, many */
    assert_int_equal(dirs, 18);
    cpio_index_put(ix);
    free(b.data);
}

/* Children in component order: "a" then its subtree, then "a-b", "a.c". */
static void test_children_order(void **state)
{
    (void)state;
    struct blob b = load("good");
    int err;
    struct cpio_index *ix = build(b, NULL, &err, NULL);
    assert_non_null(ix);
    static const char *root[] = { "a", "a-b", "a.c", "bin", "deep", "empty", "emptydir",
                                  "etc", "lib", "long", "many" };
    uint32_t c = ix->entries[0].first_child;
    for (size_t i = 0; i < sizeof(root) / sizeof(root[0]); i++) {
        assert_int_not_equal(c, CPIO_NONE);
        size_t n;
        const char *name = cpio_basename(&ix->entries[c], &n);
        assert_int_equal(n, strlen(root[i]));
        assert_memory_equal(name, root[i], n);
        c = ix->entries[c].next_sibling;
    }
    assert_int_equal(c, CPIO_NONE);

    const struct cpio_entry *many = get(ix, "many");
    int k = 0;
    for (c = many->first_child; c != CPIO_NONE; c = ix->entries[c].next_sibling, k++) {
        char want[16];
        snprintf(want, sizeof(want), "many/f%03d", k);
        assert_int_equal(ix->entries[c].len, strlen(want));
        assert_memory_equal(ix->entries[c].path, want, strlen(want));
    }
    assert_int_equal(k, 100);
    cpio_index_put(ix);
    free(b.data);
}

/* ------------------------------------------------------------ accepted oddities */

static struct cpio_index *must_build(const char *name, struct blob *b)
{
    int err = 1;
    *b = load(name);
    struct cpio_index *ix = build(*b, NULL, &err, NULL);
    if (!ix)
        fail_msg("%s refused: %d", name, err);
    assert_int_equal(err, 0);
    check_invariants(ix, *b);
    return ix;
}

static void done(struct cpio_index *ix, struct blob b)
{
    cpio_index_put(ix);
    free(b.data);
}

static void test_trailer_only(void **state)
{
    (void)state;
    struct blob b;
    struct cpio_index *ix = must_build("trailer_only", &b);
    assert_int_equal(ix->count, 1);
    assert_int_equal(ix->entries[0].origin, CPIO_IMPLIED);
    assert_int_equal(ix->entries[0].mode, S_IFDIR | 0755);
    done(ix, b);
}

static void test_absolute_names_made_relative(void **state)
{
    (void)state;
    struct blob b;
    struct cpio_index *ix = must_build("absolute", &b);
    assert_memory_equal(get(ix, "etc/passwd")->data, "root:x:0:0\n", 11);
    assert_int_equal(get(ix, "abs2")->size, 2);
    assert_int_equal(ix->count, 4);
    done(ix, b);
}

static void test_dot_names(void **state)
{
    (void)state;
    struct blob b;
    struct cpio_index *ix = must_build("dot_names", &b);
    assert_int_equal(ix->entries[0].origin, CPIO_ARCHIVE); /* "." is the root's own */
    assert_int_equal(get(ix, "x")->size, 2);
    assert_int_equal(get(ix, "d/y")->size, 2);
    assert_int_equal(get(ix, "d")->origin, CPIO_IMPLIED);
    assert_int_equal(ix->count, 4);
    done(ix, b);
}

static void test_implied_dirs(void **state)
{
    (void)state;
    struct blob b;
    struct cpio_index *ix = must_build("implied_only", &b);
    assert_int_equal(ix->count, 4);
    assert_int_equal(get(ix, "x")->origin, CPIO_IMPLIED);
    assert_int_equal(get(ix, "x")->mode, S_IFDIR | 0755);
    assert_int_equal(get(ix, "x/y")->origin, CPIO_IMPLIED);
    assert_int_equal(get(ix, "x/y")->hdr_off, UINT64_MAX);
    assert_int_equal(get(ix, "x/y/z")->hdr_off, 0);
    done(ix, b);
}

/* Children before their directories' own entries: the real entries win. */
static void test_unsorted(void **state)
{
    (void)state;
    struct blob b;
    struct cpio_index *ix = must_build("unsorted", &b);
    assert_int_equal(ix->count, 5);
    assert_int_equal(get(ix, "p")->mode, S_IFDIR | 0711);
    assert_int_equal(get(ix, "p")->origin, CPIO_ARCHIVE);
    assert_int_equal(get(ix, "p/q")->mode, S_IFDIR | 0700);
    assert_int_equal(get(ix, "p/q/r")->size, 2);
    done(ix, b);
}

static void test_duplicate_dirs_merge(void **state)
{
    (void)state;
    struct blob b;
    struct cpio_index *ix = must_build("duplicate_dir", &b);
    assert_int_equal(ix->count, 3);
    assert_int_equal(get(ix, "d/x")->size, 2);
    done(ix, b);
}

static void test_other_types_left_out(void **state)
{
    (void)state;
    struct blob b;
    struct cpio_index *ix = must_build("symlink", &b);
    assert_int_equal(lookup_err(ix, "l"), -ENOENT);
    assert_int_equal(lookup_err(ix, "dev/console"), -ENOENT);
    assert_int_equal(lookup_err(ix, "dev"), -ENOENT);
    assert_int_equal(get(ix, "t")->size, 2);
    assert_int_equal(ix->count, 2);
    done(ix, b);
    /* What a left-out entry's path holds still gets its directories. */
    ix = must_build("under_symlink", &b);
    assert_int_equal(get(ix, "l")->origin, CPIO_IMPLIED);
    assert_int_equal(get(ix, "l/x")->size, 2);
    done(ix, b);
}

static void test_accepted_variants(void **state)
{
    (void)state;
    static const char *names[] = { "garbage_after_trailer", "crc_format", "lowercase_hex", "path_max", "tmp_file" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct blob b;
        struct cpio_index *ix = must_build(names[i], &b);
        done(ix, b);
    }
    struct blob b;
    struct cpio_index *ix = must_build("lowercase_hex", &b);
    assert_int_equal(get(ix, "f")->size, 10);
    done(ix, b);
    ix = must_build("path_max", &b);
    assert_int_equal(ix->entries[ix->count - 1].len, 1023);
    done(ix, b);
}

/* ------------------------------------------------------------ refused */

struct bad_case {
    const char *name;
    uint64_t bad_offset; /* UINT64_MAX: not checked */
};

static void test_malformed_refused(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "truncated_header", 124 }, { "truncated_name", 124 }, { "truncated_data", 0 },
        { "truncated_pad", 0 }, { "bad_magic", 0 }, { "nonhex_g", 0 }, { "nonhex_space", 0 },
        { "nonhex_plus", 0 }, { "nonhex_0x", 0 }, { "nonhex_namesize", 0 }, { "namesize0", 0 },
        { "namesize1", 0 }, { "huge_filesize", 0 }, { "huge_namesize", 0 },
        { "namesize_past_end", 0 }, { "name_no_nul", 0 }, { "name_inner_nul", 0 },
        { "dotdot", 124 }, { "dotdot_mid", 0 }, { "dotdot_end", 0 }, { "dotdot_abs", 0 },
        { "empty_component", 0 }, { "trailing_slash", 0 }, { "long_component", 0 },
        { "long_path", 0 }, { "no_trailer", 336 }, { "empty_archive", 0 },
        { "duplicate_file", UINT64_MAX }, { "file_and_dir", UINT64_MAX },
        { "file_as_dir", 120 }, { "file_as_dir_implied", 0 },
        { "dot_file", 0 }, { "dir_with_size", 0 }, { "bad_name_pad", 0 }, { "bad_data_pad", 0 },
        { "unaligned_next", 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct blob b = load(cases[i].name);
        int err = 0;
        uint64_t bad = 12345;
        struct cpio_index *ix = build(b, NULL, &err, &bad);
        if (ix)
            fail_msg("%s was accepted", cases[i].name);
        if (err != -EINVAL)
            fail_msg("%s: err %d", cases[i].name, err);
        if (cases[i].bad_offset != UINT64_MAX && bad != cases[i].bad_offset)
            fail_msg("%s: bad_offset %llu, want %llu", cases[i].name, (unsigned long long)bad,
                     (unsigned long long)cases[i].bad_offset);
        assert_true(bad <= b.len);
        free(b.data);
    }
}

static void test_null_and_empty(void **state)
{
    (void)state;
    int err = 0;
    assert_null(cpio_index_new(NULL, 0, NULL, &err, NULL));
    assert_int_equal(err, -EINVAL);
    assert_null(cpio_index_new(NULL, 100, NULL, &err, NULL));
    assert_int_equal(err, -EINVAL);
}

/* Every proper prefix of an archive lacks its trailer, or part of it. */
static void check_prefixes(const char *name, size_t step)
{
    struct blob b = load(name);
    for (size_t len = 0; len < b.len; len += (len < 256 || len + 256 > b.len) ? 1 : step) {
        uint8_t *p = malloc(len ? len : 1);
        memcpy(p, b.data, len);
        int err = 0;
        struct cpio_index *ix = cpio_index_new(p, len, NULL, &err, NULL);
        if (ix)
            fail_msg("%s cut to %zu bytes was accepted", name, len);
        assert_int_equal(err, -EINVAL);
        free(p);
    }
    free(b.data);
}

static void test_every_truncation_refused(void **state)
{
    (void)state;
    check_prefixes("absolute", 1);
    check_prefixes("unsorted", 1);
    check_prefixes("good", 7);
}

/* Random damage to a good archive: refused or accepted, never out of bounds
 * (ASan), and whatever is accepted holds together. */
static void test_fuzz(void **state)
{
    (void)state;
    struct blob good = load("good");
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int accepted = 0;
    for (int round = 0; round < 3000; round++) {
        struct blob b = { malloc(good.len), good.len };
        memcpy(b.data, good.data, b.len);
        int flips = 1 + round % 8;
        for (int k = 0; k < flips; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t at = (size_t)(x % b.len);
            /* Mostly hit headers and names, where it matters. */
            if (round % 3 == 0)
                at = (size_t)(x % 2048);
            static const uint8_t interesting[] = { '0', '9', 'A', 'F', 'f', 'g', '/', '.', 0, 0xff };
            b.data[at] = (round & 1) ? (uint8_t)(x >> 32) : interesting[(x >> 40) % sizeof(interesting)];
        }
        if (round % 5 == 0)
            b.len = (size_t)(x % b.len) + 1; /* and cut it short (the block stays bigger) */
        uint8_t *exact = malloc(b.len);
        memcpy(exact, b.data, b.len);
        free(b.data);
        b.data = exact;
        int err = 0;
        struct cpio_index *ix = build(b, NULL, &err, NULL);
        if (ix) {
            accepted++;
            check_invariants(ix, b);
            cpio_index_put(ix);
        } else {
            assert_int_equal(err, -EINVAL);
        }
        free(b.data);
    }
    assert_true(accepted > 0); /* flips inside file data are harmless */
    free(good.data);
}

/* ------------------------------------------------------------ extras */

static void test_extras(void **state)
{
    (void)state;
    static const struct cpio_extra extras[] = {
        { "dev", S_IFDIR | 0755 }, { "dev/null", S_IFCHR | 0666 }, { "tmp", S_IFDIR | 01777 },
        { "x/y/mnt", S_IFDIR | 0700 }, { NULL, 0 },
    };
    struct blob b = load("devnull_file");
    int err;
    struct cpio_index *ix = build(b, extras, &err, NULL);
    assert_non_null(ix);
    check_invariants(ix, b);
    /* The caller's dev/null replaces the archive's regular file. */
    assert_int_equal(get(ix, "dev/null")->mode, S_IFCHR | 0666);
    assert_int_equal(get(ix, "dev/null")->origin, CPIO_EXTRA);
    assert_null(get(ix, "dev/null")->data);
    /* Directories merge: the extra's mode, the archive's contents. */
    assert_int_equal(get(ix, "tmp")->mode, S_IFDIR | 01777);
    assert_int_equal(get(ix, "tmp/hidden")->size, 2);
    assert_int_equal(get(ix, "x/y")->origin, CPIO_IMPLIED);
    assert_int_equal(get(ix, "x/y/mnt")->mode, S_IFDIR | 0700);
    cpio_index_put(ix);
    free(b.data);

    /* An archive file where a mount point goes is replaced by it. */
    b = load("tmp_file");
    ix = build(b, extras, &err, NULL);
    assert_non_null(ix);
    assert_int_equal(get(ix, "tmp")->mode, S_IFDIR | 01777);
    cpio_index_put(ix);

    /* A caller's device over an archive directory with contents conflicts. */
    static const struct cpio_extra over_dir[] = { { "d", S_IFCHR | 0600 }, { NULL, 0 } };
    free(b.data);
    b = load("duplicate_dir");
    assert_null(build(b, over_dir, &err, NULL));
    assert_int_equal(err, -EINVAL);
    free(b.data);
}

/* ------------------------------------------------------------ memory */

static void test_out_of_memory(void **state)
{
    (void)state;
    struct blob b = load("good");
    static const struct cpio_extra extras[] = { { "tmp", S_IFDIR | 0777 }, { NULL, 0 } };
    int n;
    for (n = 0; n < 20; n++) {
        int err = 0;
        fail_at = n;
        struct cpio_index *ix = build(b, extras, &err, NULL);
        fail_at = -1;
        if (ix) {
            check_invariants(ix, b);
            cpio_index_put(ix);
            break;
        }
        assert_int_equal(err, -ENOMEM);
        assert_int_equal(live_blocks, 0);
    }
    assert_true(n >= 3 && n < 20); /* index, names, base, entries */
    free(b.data);
}

/* ------------------------------------------------------------ files */

static void test_open_file_and_dir(void **state)
{
    (void)state;
    struct blob b = load("good");
    int err;
    struct cpio_index *ix = build(b, NULL, &err, NULL);
    ix->dev = 7;
    uint32_t i;
    assert_int_equal(cpio_lookup(ix, "a/y/z", 5, &i), 0);
    struct file *f;
    assert_int_equal(cpio_open(ix, i, O_RDONLY | O_NONBLOCK, &f), 0);
    assert_int_equal(f->flags, O_RDONLY | O_NONBLOCK);
    assert_null(f->ops->write);
    char buf[8];
    assert_int_equal(f->ops->read(f, buf, sizeof(buf)), 2);
    assert_memory_equal(buf, "z\n", 2);
    struct linux_stat st;
    assert_int_equal(f->ops->stat(f, &st), 0);
    assert_int_equal(st.st_dev, 7);
    assert_int_equal(st.st_ino, i + 1);
    assert_int_equal(st.st_mode, S_IFREG | 0444);

    /* The file keeps the index alive after its owner lets go. */
    cpio_index_put(ix);
    assert_int_equal(f->ops->lseek(f, 0, SEEK_SET), 0);
    assert_int_equal(f->ops->read(f, buf, 1), 1);
    file_put(f);
    assert_int_equal(live_blocks, 0);

    ix = build(b, NULL, &err, NULL);
    assert_int_equal(cpio_lookup(ix, "a", 1, &i), 0);
    assert_int_equal(cpio_open(ix, i, O_RDONLY, &f), 0);
    assert_int_equal(f->ops->read(f, buf, 8), -EISDIR);
    assert_int_equal(f->ops->stat(f, &st), 0);
    assert_int_equal(st.st_mode, S_IFDIR | 0555);
    assert_int_equal(st.st_nlink, 3); /* ".", its own name, a/y's ".." */
    uint8_t dents[256];
    int64_t n = f->ops->getdents(f, dents, sizeof(dents));
    assert_true(n > 0);
    const char *want[] = { ".", "..", "x", "y" };
    int64_t off = 0;
    for (int k = 0; k < 4; k++) {
        struct linux_dirent64 *d = (struct linux_dirent64 *)(dents + off);
        assert_string_equal(d->d_name, want[k]);
        off += d->d_reclen;
    }
    assert_int_equal(off, n);
    assert_int_equal(f->ops->getdents(f, dents, sizeof(dents)), 0);

    fail_at = 0;
    assert_int_equal(cpio_open(ix, i, O_RDONLY, &f), -ENOMEM);
    fail_at = 1;
    struct file *g;
    assert_int_equal(cpio_open(ix, i, O_RDONLY, &g), -ENOMEM);
    fail_at = -1;
    file_put(f);
    cpio_index_put(ix);
    free(b.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_archive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_children_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trailer_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_absolute_names_made_relative, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dot_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_implied_dirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsorted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_dirs_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_types_left_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accepted_variants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_and_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_truncation_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fuzz, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extras, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_file_and_dir, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
