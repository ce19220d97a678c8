/* Unit tests for the file-system layer: percore/vfs.c (normalization, mount
 * dispatch, open checks, names), tmpfs.c, the archive's files (cpio.c) and
 * file.c, against tests/unit/data/cpio/good.cpio (see make.py there for its
 * tree; $CPIO_DATA_DIR overrides the directory). Expected errors are the
 * ones Linux gives for the same call on a read-only root with a tmpfs on
 * /tmp. The kernel heap is malloc, with a switch to fail the n-th allocation
 * and a count of live blocks checked at the end of every test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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
#include "waitq.h"

/* ------------------------------------------------------------ kernel shims */

static int wakes, notifies, event_seq, wake_seq, notify_seq;
static struct waitq *woken;

void waitq_wake_all(struct waitq *wq)
{
    woken = wq;
    wakes++;
    wake_seq = ++event_seq;
}

void poll_notify(void)
{
    notifies++;
    notify_seq = ++event_seq;
}

/* ------------------------------------------------------------ fixture */

static uint8_t *archive;
static size_t archive_len;
static struct vfs *V;
static long base_blocks; /* live right after vfs_new */
static int console_releases;

static int64_t con_read(struct file *f, void *buf, uint64_t len)
{
    (void)f, (void)buf, (void)len;
    return -EAGAIN;
}

static int64_t con_write(struct file *f, const void *buf, uint64_t len)
{
    (void)f, (void)buf;
    return (int64_t)len;
}

static void con_release(struct file *f)
{
    assert_null(f->priv);
    console_releases++;
}

static const struct file_ops console_ops = { .read = con_read, .write = con_write, .release = con_release };
static const struct vfs_device console_table[] = {
    { "/dev/console", S_IFCHR | 0620, &console_ops, NULL },
    { NULL, 0, NULL, NULL },
};

static void load(const char *name)
{
    const char *dir = getenv("CPIO_DATA_DIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.cpio", dir ? dir : "tests/unit/data/cpio", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (run from the repository root or set CPIO_DATA_DIR)", path);
    fseek(f, 0, SEEK_END);
    archive_len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    archive = malloc(archive_len ? archive_len : 1);
    assert_int_equal(fread(archive, 1, archive_len, f), archive_len);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    fail_at = -1;
    live_blocks = 0;
    console_releases = 0;
    load("good");
    int err = 1;
    V = vfs_new(archive, archive_len, console_table, &err);
    assert_non_null(V);
    assert_int_equal(err, 0);
    base_blocks = live_blocks;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fail_at = -1;
    vfs_free(V);
    V = NULL;
    free(archive);
    assert_int_equal(live_blocks, 0);
    return 0;
}

/* ------------------------------------------------------------ helpers */

static struct file *open_ok(const char *path, int flags)
{
    struct file *f = NULL;
    int err = vfs_open(V, path, flags, 0644, &f);
    if (err)
        fail_msg("open(\"%s\", %#o): %d", path, flags, err);
    assert_non_null(f);
    return f;
}

static int open_err(const char *path, int flags)
{
    struct file *f = NULL;
    int err = vfs_open(V, path, flags, 0644, &f);
    if (err == 0)
        file_put(f);
    return err;
}

static struct linux_stat stat_ok(const char *path)
{
    struct linux_stat st;
    int err = vfs_stat(V, path, &st);
    if (err)
        fail_msg("stat(\"%s\"): %d", path, err);
    return st;
}

static int stat_err(const char *path)
{
    struct linux_stat st;
    return vfs_stat(V, path, &st);
}

static void write_all(struct file *f, const void *buf, size_t len)
{
    assert_int_equal(f->ops->write(f, buf, len), (int64_t)len);
}

static void make_file(const char *path, const char *text)
{
    struct file *f = open_ok(path, O_CREAT | O_WRONLY | O_TRUNC);
    write_all(f, text, strlen(text));
    file_put(f);
}

static void check_content(const char *path, const char *text)
{
    char buf[256];
    struct file *f = open_ok(path, O_RDONLY);
    int64_t n = f->ops->read(f, buf, sizeof(buf));
    assert_int_equal(n, (int64_t)strlen(text));
    assert_memory_equal(buf, text, (size_t)n);
    file_put(f);
}

struct dent {
    char name[256];
    uint64_t ino;
    int64_t off;
    uint8_t type;
};

/* Parses one getdents result, checking every record's layout. */
static int parse_dents(const uint8_t *buf, int64_t n, struct dent *out, int max)
{
    int k = 0;
    int64_t at = 0;
    while (at < n) {
        struct linux_dirent64 d;
        memcpy(&d, buf + at, offsetof(struct linux_dirent64, d_name));
        const char *name = (const char *)buf + at + offsetof(struct linux_dirent64, d_name);
        size_t len = strnlen(name, (size_t)(n - at) - offsetof(struct linux_dirent64, d_name));
        assert_int_equal(d.d_reclen % 8, 0);
        assert_true(d.d_reclen >= offsetof(struct linux_dirent64, d_name) + len + 1);
        assert_true(d.d_reclen < offsetof(struct linux_dirent64, d_name) + len + 1 + 8);
        assert_true(at + d.d_reclen <= n);
        for (size_t i = offsetof(struct linux_dirent64, d_name) + len; i < d.d_reclen; i++)
            assert_int_equal(buf[at + (int64_t)i], 0);
        assert_true(d.d_ino != 0);
        assert_true(k < max);
        memcpy(out[k].name, name, len + 1);
        out[k].ino = d.d_ino;
        out[k].off = d.d_off;
        out[k].type = d.d_type;
        k++;
        at += d.d_reclen;
    }
    assert_int_equal(at, n);
    return k;
}

/* The whole listing of f with a buffer of bufsize bytes, from f->pos on. */
static int list_all(struct file *f, size_t bufsize, struct dent *out, int max)
{
    uint8_t *buf = malloc(bufsize);
    int k = 0;
    for (;;) {
        int64_t n = f->ops->getdents(f, buf, bufsize);
        assert_true(n >= 0);
        if (n == 0)
            break;
        k += parse_dents(buf, n, out + k, max - k);
    }
    free(buf);
    return k;
}

static int list_path(const char *path, struct dent *out, int max)
{
    struct file *f = open_ok(path, O_RDONLY | O_DIRECTORY);
    int k = list_all(f, 4096, out, max);
    file_put(f);
    return k;
}

static size_t reclen(size_t namelen)
{
    return (offsetof(struct linux_dirent64, d_name) + namelen + 1 + 7) & ~(size_t)7;
}

/* ------------------------------------------------------------ normalization */

static void test_normalize(void **state)
{
    (void)state;
    static const char *cases[][2] = {
        { "/", "/" }, { "//", "/" }, { "///", "/" }, { "/.", "/" }, { "/..", "/" },
        { "/../..//.", "/" }, { "//a/./b/../c", "/a/c" }, { "/a/", "/a" }, { "/a//b///", "/a/b" },
        { "/a/b/..", "/a" }, { "/a/b/../../..", "/" }, { "/./a", "/a" }, { "/...", "/..." },
        { "/a..b/.c/..d", "/a..b/.c/..d" }, { "/.hidden", "/.hidden" }, { "/a/./", "/a" },
        { "/tmp/../dev/null", "/dev/null" }, { "/a/b/c/../../d", "/a/d" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[64];
        memset(out, 'X', sizeof(out));
        int err = vfs_normalize(cases[i][0], out, sizeof(out));
        if (err || strcmp(out, cases[i][1]) != 0)
            fail_msg("normalize(\"%s\") = %d \"%s\", want \"%s\"", cases[i][0], err, err ? "" : out, cases[i][1]);
    }
}

static void test_normalize_errors(void **state)
{
    (void)state;
    char out[8];
    assert_int_equal(vfs_normalize("a/b", out, sizeof(out)), -EINVAL);
    assert_int_equal(vfs_normalize("./a", out, sizeof(out)), -EINVAL);
    assert_int_equal(vfs_normalize("", out, sizeof(out)), -ENOENT);
    /* Exactly fitting, and one byte short. */
    assert_int_equal(vfs_normalize("/abc", out, 5), 0);
    assert_string_equal(out, "/abc");
    assert_int_equal(vfs_normalize("/abc", out, 4), -ENAMETOOLONG);
    assert_int_equal(vfs_normalize("/", out, 2), 0);
    assert_int_equal(vfs_normalize("/", out, 1), -ENAMETOOLONG);
    assert_int_equal(vfs_normalize("/", out, 0), -ENAMETOOLONG);
    assert_int_equal(vfs_normalize("/abcdefgh/..", out, 8), -ENAMETOOLONG); /* the way there must fit */

    /* NAME_MAX 255 and PATH_MAX 4096 (NUL included), as Linux. */
    static char big[8192], res[8192];
    big[0] = '/';
    memset(big + 1, 'n', 255);
    big[256] = '\0';
    assert_int_equal(vfs_normalize(big, res, sizeof(res)), 0);
    big[256] = 'n';
    big[257] = '\0';
    assert_int_equal(vfs_normalize(big, res, sizeof(res)), -ENAMETOOLONG);
    assert_int_equal(vfs_normalize("/..//nnn/../x", res, sizeof(res)), 0);
    for (int i = 0; i < 4095; i++)
        big[i] = i % 2 ? 'd' : '/';
    big[4095] = '\0';
    assert_int_equal(vfs_normalize(big, res, sizeof(res)), 0);
    assert_int_equal(strlen(res), 4094); /* the last lone '/' goes */
    big[4095] = 'd';
    big[4096] = '\0';
    assert_int_equal(vfs_normalize(big, res, sizeof(res)), -ENAMETOOLONG);
    /* Too long to start with even if it would shrink. */
    for (int i = 0; i < 4096; i += 3)
        memcpy(big + i, "/..", 3);
    big[4097] = '\0';
    big[4096] = '/';
    assert_int_equal(vfs_normalize(big, res, sizeof(res)), -ENAMETOOLONG);

    /* Never reads past PATH_MAX bytes of an unterminated name. */
    char *raw = malloc(4096);
    raw[0] = '/';
    memset(raw + 1, 'x', 4095);
    assert_int_equal(vfs_normalize(raw, res, sizeof(res)), -ENAMETOOLONG);
    struct linux_stat st;
    assert_int_equal(vfs_stat(V, raw, &st), -ENAMETOOLONG);
    free(raw);
}

/* ------------------------------------------------------------ vfs_new */

static void test_vfs_new_errors(void **state)
{
    (void)state;
    int err = 0;
    static const uint8_t junk[] = "070701 not an archive";
    assert_null(vfs_new(junk, sizeof(junk), NULL, &err));
    assert_int_equal(err, -EINVAL);
    assert_null(vfs_new(archive, archive_len - 1, NULL, &err));
    assert_int_equal(err, -EINVAL);
    assert_null(vfs_new(NULL, 0, NULL, &err));
    assert_int_equal(err, -EINVAL);
    assert_null(vfs_new(junk, sizeof(junk), console_table, &err));
    assert_int_equal(err, -EINVAL);
    vfs_free(NULL);

    long before = live_blocks;
    int n;
    for (n = 0; n < 50; n++) {
        fail_at = n;
        struct vfs *v = vfs_new(archive, archive_len, NULL, &err);
        fail_at = -1;
        if (v) {
            vfs_free(v);
            break;
        }
        assert_int_equal(err, -ENOMEM);
        assert_int_equal(live_blocks, before);
    }
    assert_true(n > 3 && n < 50);
    assert_int_equal(live_blocks, before);
}

/* An archive that has its own dev/null (a placeholder file) and tmp/. */
static void test_mount_points_hide_archive(void **state)
{
    (void)state;
    free(archive);
    vfs_free(V);
    load("devnull_file");
    int err;
    V = vfs_new(archive, archive_len, NULL, &err);
    assert_non_null(V);
    struct linux_stat st = stat_ok("/dev/null");
    assert_int_equal(st.st_mode & S_IFMT, S_IFCHR);
    assert_int_equal(stat_err("/tmp/hidden"), -ENOENT);
    assert_int_equal(open_err("/dev/console", O_RDWR), -ENOENT); /* no devices given */
    struct dent d[8];
    assert_int_equal(list_path("/tmp", d, 8), 2);
    vfs_free(V);
    free(archive);

    load("tmp_file");
    V = vfs_new(archive, archive_len, NULL, &err);
    assert_non_null(V);
    assert_int_equal(stat_ok("/tmp").st_mode & S_IFMT, S_IFDIR);
    make_file("/tmp/x", "x");
    check_content("/tmp/x", "x");
}

/* ------------------------------------------------------------ archive */

static void test_stat_archive(void **state)
{
    (void)state;
    struct linux_stat st = stat_ok("/etc/inetrc");
    assert_int_equal(st.st_mode, S_IFREG | 0444);
    assert_int_equal(st.st_size, 18);
    assert_int_equal(st.st_nlink, 1);
    assert_int_equal(st.st_blocks, 1);
    uint64_t dev = st.st_dev, ino = st.st_ino;
    assert_int_equal(stat_ok("/bin/erl").st_mode, S_IFREG | 0555);
    assert_int_equal(stat_ok("/lib/kernel-8.5.3/ebin/big.beam").st_size, 10007);
    assert_int_equal(stat_ok("/empty").st_size, 0);
    st = stat_ok("/");
    assert_int_equal(st.st_mode, S_IFDIR | 0555);
    assert_int_equal(st.st_dev, dev);
    assert_int_equal(st.st_nlink, 2 + 10); /* a bin deep dev emptydir etc lib long many tmp */
    assert_int_not_equal(st.st_ino, ino);
    assert_int_equal(stat_ok("/a/y").st_mode & S_IFMT, S_IFDIR);
    assert_int_equal(stat_ok("/etc/../etc/./inetrc").st_ino, ino);
    assert_int_equal(stat_ok("//etc//inetrc").st_ino, ino);
    assert_int_equal(stat_ok("/../../etc/inetrc").st_ino, ino);
    assert_int_equal(stat_ok("/etc/").st_mode & S_IFMT, S_IFDIR);
    assert_int_equal(stat_ok("/etc/.").st_mode & S_IFMT, S_IFDIR);

    assert_int_equal(stat_err("/nope"), -ENOENT);
    assert_int_equal(stat_err("/etc/nope"), -ENOENT);
    assert_int_equal(stat_err("/nope/x"), -ENOENT);
    assert_int_equal(stat_err("/etc/inetrc/x"), -ENOTDIR);
    assert_int_equal(stat_err("/etc/inetrc/"), -ENOTDIR);
    assert_int_equal(stat_err("/etc/inetrc/."), -ENOTDIR);
    assert_int_equal(stat_err("etc/inetrc"), -EINVAL);
    assert_int_equal(stat_err(""), -ENOENT);
}

static void test_stat_devices_and_mounts(void **state)
{
    (void)state;
    struct linux_stat st = stat_ok("/dev/null");
    assert_int_equal(st.st_mode, S_IFCHR | 0666);
    assert_int_equal(st.st_rdev, (1 << 8) | 3);
    st = stat_ok("/dev/console");
    assert_int_equal(st.st_mode, S_IFCHR | 0620);
    assert_int_equal(st.st_rdev, (5 << 8) | 1);
    assert_int_equal(stat_ok("/dev").st_mode & S_IFMT, S_IFDIR);
    assert_int_equal(stat_err("/dev/null/"), -ENOTDIR);
    assert_int_equal(stat_err("/dev/null/x"), -ENOTDIR);
    assert_int_equal(stat_err("/dev/zero"), -ENOENT);
    st = stat_ok("/tmp");
    assert_int_equal(st.st_mode, S_IFDIR | 01777);
    assert_int_not_equal(st.st_dev, stat_ok("/").st_dev);
    assert_int_equal(stat_ok("/tmp/").st_ino, st.st_ino);
    assert_int_equal(stat_ok("/tmp/..").st_ino, stat_ok("/").st_ino);
    assert_int_equal(stat_err("/tmpx"), -ENOENT);
    assert_int_equal(stat_err("/tmp/x"), -ENOENT);
}

static void test_archive_read_seek(void **state)
{
    (void)state;
    struct file *f = open_ok("/lib/kernel-8.5.3/ebin/big.beam", O_RDONLY);
    uint8_t buf[4096];
    size_t total = 0;
    int64_t n;
    while ((n = f->ops->read(f, buf, 1000)) > 0) {
        for (int64_t i = 0; i < n; i++)
            assert_int_equal(buf[i], (uint8_t)(((total + (size_t)i) * 7 + 3) % 251));
        total += (size_t)n;
    }
    assert_int_equal(n, 0);
    assert_int_equal(total, 10007);
    assert_int_equal(f->ops->read(f, buf, 10), 0);
    assert_int_equal(f->pos, 10007);

    assert_int_equal(f->ops->lseek(f, 5, SEEK_SET), 5);
    assert_int_equal(f->ops->read(f, buf, 1), 1);
    assert_int_equal(buf[0], (5 * 7 + 3) % 251);
    assert_int_equal(f->ops->lseek(f, 10, SEEK_CUR), 16);
    assert_int_equal(f->ops->lseek(f, -1, SEEK_END), 10006);
    assert_int_equal(f->ops->read(f, buf, 100), 1);
    assert_int_equal(f->ops->lseek(f, 100, SEEK_END), 10107);
    assert_int_equal(f->ops->read(f, buf, 100), 0);
    assert_int_equal(f->ops->lseek(f, -1, SEEK_SET), -EINVAL);
    assert_int_equal(f->ops->lseek(f, -20000, SEEK_END), -EINVAL);
    assert_int_equal(f->ops->lseek(f, 0, 3), -EINVAL);
    assert_int_equal(f->ops->lseek(f, 0, -1), -EINVAL);
    assert_int_equal(f->pos, 10107); /* failed seeks move nothing */
    assert_int_equal(f->ops->lseek(f, INT64_MAX, SEEK_SET), INT64_MAX);
    assert_int_equal(f->ops->lseek(f, 1, SEEK_CUR), -EINVAL);
    assert_int_equal(f->ops->read(f, buf, 100), 0);

    struct linux_stat st;
    assert_int_equal(f->ops->stat(f, &st), 0);
    assert_int_equal(st.st_size, 10007);
    assert_int_equal(st.st_ino, stat_ok("/lib/kernel-8.5.3/ebin/big.beam").st_ino);
    assert_null(f->ops->write);
    assert_null(f->ops->getdents);
    file_put(f);

    f = open_ok("/empty", O_RDONLY);
    assert_int_equal(f->ops->read(f, buf, 10), 0);
    file_put(f);
    /* An archive file opened with no read access (O_ACCMODE 3 is refused
     * anyway, O_WRONLY too), so O_RDONLY reads; nothing else to check. */
}

struct open_case {
    const char *path;
    int flags;
    int err;
};

static void run_open_cases(const struct open_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int err = open_err(c[i].path, c[i].flags);
        if (err != c[i].err)
            fail_msg("open(\"%s\", %#o) = %d, want %d", c[i].path, c[i].flags, err, c[i].err);
    }
}

static void test_archive_open_flags(void **state)
{
    (void)state;
    static const struct open_case cases[] = {
        { "/etc/inetrc", O_RDONLY, 0 },
        { "/etc/inetrc", O_WRONLY, -EROFS },
        { "/etc/inetrc", O_RDWR, -EROFS },
        { "/etc/inetrc", O_ACCMODE, -EROFS },
        { "/etc/inetrc", O_RDONLY | O_TRUNC, -EROFS },
        { "/etc/inetrc", O_WRONLY | O_APPEND, -EROFS },
        { "/etc/inetrc", O_RDONLY | O_CREAT, 0 },
        { "/etc/inetrc", O_WRONLY | O_CREAT, -EROFS },
        { "/etc/inetrc", O_RDONLY | O_CREAT | O_EXCL, -EEXIST },
        { "/etc/inetrc", O_WRONLY | O_CREAT | O_EXCL, -EEXIST },
        { "/etc/inetrc", O_RDONLY | O_DIRECTORY, -ENOTDIR },
        { "/etc/inetrc/", O_RDONLY, -ENOTDIR },
        { "/etc/inetrc/", O_RDONLY | O_CREAT, -EISDIR },
        { "/etc/inetrc/new", O_RDONLY, -ENOTDIR },
        { "/etc/inetrc/new", O_RDONLY | O_CREAT, -ENOTDIR },
        { "/etc/inetrc/new/", O_RDONLY | O_CREAT, -ENOTDIR },
        { "/etc/new", O_RDONLY, -ENOENT },
        { "/etc/new", O_WRONLY | O_CREAT, -EROFS },
        { "/etc/new", O_WRONLY | O_CREAT | O_EXCL, -EROFS },
        { "/nodir/new", O_WRONLY | O_CREAT, -ENOENT },
        { "/nodir/new/", O_WRONLY | O_CREAT, -ENOENT },
        { "/new/", O_RDONLY | O_CREAT, -EISDIR },
        { "/etc", O_RDONLY, 0 },
        { "/etc", O_RDONLY | O_DIRECTORY, 0 },
        { "/etc/", O_RDONLY, 0 },
        { "/etc/.", O_RDONLY, 0 },
        { "/", O_RDONLY, 0 },
        { "/etc", O_WRONLY, -EISDIR },
        { "/etc", O_RDWR, -EISDIR },
        { "/etc", O_ACCMODE, -EISDIR },
        { "/etc", O_RDONLY | O_TRUNC, -EISDIR },
        { "/etc", O_RDONLY | O_CREAT, -EISDIR },
        { "/etc", O_RDONLY | O_CREAT | O_EXCL, -EEXIST },
        { "/etc/", O_RDONLY | O_CREAT, -EISDIR },
        { "/", O_RDONLY | O_CREAT, -EISDIR },
        { "/etc", O_RDONLY | O_CREAT | O_DIRECTORY, -EINVAL },
        { "/tmp/x", O_RDONLY | O_CREAT | O_DIRECTORY, -EINVAL },
        { "/etc/../bin/erl", O_RDONLY, 0 },
        { "/../etc/inetrc", O_RDONLY, 0 },
        { "etc/inetrc", O_RDONLY, -EINVAL },
        { "", O_RDONLY, -ENOENT },
        { "/dev", O_RDONLY | O_DIRECTORY, 0 },
        { "/dev", O_WRONLY, -EISDIR },
        { "/dev/null", O_RDWR | O_TRUNC | O_CREAT, 0 },
        { "/dev/null", O_WRONLY | O_CREAT | O_EXCL, -EEXIST },
        { "/dev/null", O_RDONLY | O_DIRECTORY, -ENOTDIR },
        { "/dev/null/", O_RDONLY, -ENOTDIR },
        { "/dev/null/x", O_RDONLY | O_CREAT, -ENOTDIR },
        { "/dev/zero", O_RDONLY, -ENOENT },
        { "/dev/zero", O_WRONLY | O_CREAT, -EROFS },
        { "/dev/console", O_RDWR | O_NOCTTY, 0 },
        { "/dev/console", O_RDONLY | O_DIRECTORY, -ENOTDIR },
        { "/tmp", O_RDONLY, 0 },
        { "/tmp", O_WRONLY, -EISDIR },
        { "/tmp", O_RDONLY | O_CREAT, -EISDIR },
        { "/tmp", O_RDONLY | O_CREAT | O_EXCL, -EEXIST },
    };
    run_open_cases(cases, sizeof(cases) / sizeof(cases[0]));
    assert_int_equal(console_releases, 1);
}

/* f->flags is what F_GETFL shows: no open-only flags, nothing added. */
static void test_open_keeps_flags(void **state)
{
    (void)state;
    struct file *f = open_ok("/etc/inetrc", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_CREAT | O_NOCTTY);
    assert_int_equal(f->flags, O_RDONLY | O_NONBLOCK);
    file_put(f);
    f = open_ok("/etc/", O_RDONLY);
    assert_int_equal(f->flags, O_RDONLY);
    file_put(f);
    f = open_ok("/etc", O_RDONLY | O_DIRECTORY);
    assert_int_equal(f->flags, O_RDONLY | O_DIRECTORY);
    file_put(f);
    f = open_ok("/tmp/new", O_RDWR | O_CREAT | O_EXCL | O_TRUNC | O_APPEND);
    assert_int_equal(f->flags, O_RDWR | O_APPEND);
    assert_int_equal(f->refs, 1);
    assert_int_equal(f->pos, 0);
    file_put(f);
    f = open_ok("/tmp/", O_RDONLY);
    assert_int_equal(f->flags, O_RDONLY);
    file_put(f);
    f = open_ok("/dev/null", O_WRONLY | O_TRUNC | O_CLOEXEC);
    assert_int_equal(f->flags, O_WRONLY);
    file_put(f);
}

/* ------------------------------------------------------------ directories */

static void test_getdents_root(void **state)
{
    (void)state;
    static const char *want[] = { ".", "..", "a", "a-b", "a.c", "bin", "deep", "dev", "empty",
                                  "emptydir", "etc", "lib", "long", "many", "tmp" };
    struct dent d[32];
    int n = list_path("/", d, 32);
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    for (int i = 0; i < n; i++) {
        assert_string_equal(d[i].name, want[i]);
        char path[300];
        snprintf(path, sizeof(path), "/%s", d[i].name);
        bool dir = (stat_ok(path).st_mode & S_IFMT) == S_IFDIR || i < 2;
        assert_int_equal(d[i].type, dir ? DT_DIR : DT_REG);
        if (i >= 2 && strcmp(d[i].name, "tmp") != 0)
            assert_int_equal(d[i].ino, stat_ok(path).st_ino); /* a mount point shows its own root */
    }
    assert_int_equal(d[0].ino, stat_ok("/").st_ino);
    assert_int_equal(d[1].ino, stat_ok("/").st_ino);

    n = list_path("/a/y", d, 32);
    assert_int_equal(n, 3);
    assert_int_equal(d[1].ino, stat_ok("/a").st_ino);
    assert_string_equal(d[2].name, "z");
    n = list_path("/emptydir", d, 32);
    assert_int_equal(n, 2);
    n = list_path("/dev", d, 32);
    assert_int_equal(n, 4);
    assert_string_equal(d[2].name, "console");
    assert_int_equal(d[2].type, DT_CHR);
    assert_string_equal(d[3].name, "null");
    assert_int_equal(d[3].type, DT_CHR);

    struct file *f = open_ok("/", O_RDONLY);
    uint8_t buf[64];
    assert_int_equal(f->ops->read(f, buf, sizeof(buf)), -EISDIR);
    assert_null(f->ops->write);
    assert_int_equal(f->ops->lseek(f, 0, SEEK_END), -EINVAL);
    struct linux_stat st;
    assert_int_equal(f->ops->stat(f, &st), 0);
    assert_int_equal(st.st_ino, stat_ok("/").st_ino);
    file_put(f);
    f = open_ok("/etc/inetrc", O_RDONLY);
    assert_null(f->ops->getdents); /* the syscall layer answers -ENOTDIR */
    file_put(f);
}

/* Any buffer size gives the same listing, a record at a time if need be;
 * one too small for the next record is -EINVAL and moves nothing. */
static void test_getdents_tiny_buffers(void **state)
{
    (void)state;
    struct dent ref[128], got[128];
    int n = list_path("/many", ref, 128);
    assert_int_equal(n, 102);
    for (int i = 2; i < n; i++) {
        char want[8];
        snprintf(want, sizeof(want), "f%03d", i - 2);
        assert_string_equal(ref[i].name, want);
    }
    for (size_t size = reclen(4); size < 200; size++) {
        struct file *f = open_ok("/many", O_RDONLY);
        /* "." fits in 24 bytes, "f000" needs 24 as well: every size works */
        int k = list_all(f, size, got, 128);
        assert_int_equal(k, n);
        for (int i = 0; i < n; i++) {
            assert_string_equal(got[i].name, ref[i].name);
            assert_int_equal(got[i].off, ref[i].off);
            assert_int_equal(got[i].ino, ref[i].ino);
        }
        assert_int_equal(f->ops->getdents(f, got, sizeof(got)), 0);
        assert_int_equal(f->ops->getdents(f, got, sizeof(got)), 0);
        file_put(f);
    }

    struct file *f = open_ok("/", O_RDONLY);
    uint8_t buf[512];
    assert_int_equal(f->ops->getdents(f, buf, 0), -EINVAL);
    assert_int_equal(f->ops->getdents(f, buf, reclen(1) - 1), -EINVAL);
    assert_int_equal(f->pos, 0);
    assert_int_equal(f->ops->getdents(f, buf, reclen(1)), (int64_t)reclen(1)); /* "." */
    file_put(f);

    /* The 255-byte name needs a 280-byte record. */
    f = open_ok("/long", O_RDONLY);
    assert_int_equal(f->ops->getdents(f, buf, 2 * reclen(2)), (int64_t)(reclen(1) + reclen(2)));
    int64_t pos = f->pos;
    assert_int_equal(reclen(255), 280);
    assert_int_equal(f->ops->getdents(f, buf, 279), -EINVAL);
    assert_int_equal(f->pos, pos);
    assert_int_equal(f->ops->getdents(f, buf, 280), 280);
    struct dent d[2];
    assert_int_equal(parse_dents(buf, 280, d, 2), 1);
    assert_int_equal(strlen(d[0].name), 255);
    assert_int_equal(f->ops->getdents(f, buf, 280), 0);
    file_put(f);
}

/* d_off is a cookie: lseek to it, and the listing goes on from there. */
static void test_getdents_seek_resume(void **state)
{
    (void)state;
    struct dent ref[128], got[128];
    int n = list_path("/", ref, 128);
    struct file *f = open_ok("/", O_RDONLY);
    for (int i = 0; i < n; i++) {
        int64_t at = i ? ref[i - 1].off : 0;
        assert_int_equal(f->ops->lseek(f, at, SEEK_SET), at);
        int k = list_all(f, 4096, got, 128);
        assert_int_equal(k, n - i);
        assert_string_equal(got[0].name, ref[i].name);
    }
    /* Cookies that name no entry of this directory (here those of a/x, a/y,
     * a/y/z, between "a" and "a-b") resume at the next one that does. */
    assert_string_equal(ref[2].name, "a");
    assert_string_equal(ref[3].name, "a-b");
    assert_true(ref[3].off - ref[2].off >= 4);
    for (int64_t c = ref[2].off; c < ref[3].off; c++) {
        f->ops->lseek(f, c, SEEK_SET);
        assert_int_equal(list_all(f, 4096, got, 128), n - 3);
        assert_string_equal(got[0].name, "a-b");
    }
    struct file *g = open_ok("/a", O_RDONLY);
    assert_int_equal(g->ops->lseek(g, 1, SEEK_SET), 1);
    assert_int_equal(g->ops->lseek(g, 1, SEEK_CUR), 2);
    assert_int_equal(list_all(g, 4096, got, 8), 2);
    assert_int_equal(g->ops->lseek(g, 1 << 30, SEEK_SET), 1 << 30);
    assert_int_equal(list_all(g, 4096, got, 8), 0);
    assert_int_equal(g->ops->lseek(g, -1, SEEK_SET), -EINVAL);
    file_put(g);
    file_put(f);
}

/* ------------------------------------------------------------ devices */

static void test_dev_null(void **state)
{
    (void)state;
    struct file *f = open_ok("/dev/null", O_RDWR);
    char buf[16] = "unchanged";
    assert_int_equal(f->ops->read(f, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "unchanged");
    assert_int_equal(f->ops->write(f, buf, 1000000), 1000000);
    assert_int_equal(f->ops->lseek(f, 100, SEEK_SET), 0);
    assert_int_equal(f->pos, 0);
    struct linux_stat st;
    assert_int_equal(f->ops->stat(f, &st), 0);
    assert_int_equal(st.st_mode, S_IFCHR | 0666);
    assert_int_equal(st.st_rdev, (1 << 8) | 3);
    assert_int_equal(st.st_ino, stat_ok("/dev/null").st_ino);
    assert_null(f->ops->poll); /* always ready */
    file_put(f);
    f = open_ok("/dev/null", O_WRONLY);
    assert_int_equal(f->ops->read(f, buf, 1), -EBADF);
    file_put(f);
    f = open_ok("/dev/null", O_RDONLY);
    assert_int_equal(f->ops->write(f, buf, 1), -EBADF);
    file_put(f);
}

static void test_console(void **state)
{
    (void)state;
    struct file *f = open_ok("/dev/console", O_RDWR | O_NONBLOCK);
    assert_ptr_equal(f->ops, &console_ops);
    assert_int_equal(f->flags, O_RDWR | O_NONBLOCK);
    assert_int_equal(f->ops->write(f, "hi", 2), 2);
    assert_int_equal(f->ops->read(f, NULL, 1), -EAGAIN);
    file_get(f);
    file_put(f);
    assert_int_equal(console_releases, 0);
    file_put(f);
    assert_int_equal(console_releases, 1);
}

/* A device that keeps what is written to it and counts its files. */
struct recorder {
    char buf[64];
    size_t len;
    int releases;
};

static int64_t rec_read(struct file *f, void *buf, uint64_t len)
{
    struct recorder *r = f->priv;
    size_t n = len < r->len ? (size_t)len : r->len;
    memcpy(buf, r->buf, n);
    return (int64_t)n;
}

static int64_t rec_write(struct file *f, const void *buf, uint64_t len)
{
    struct recorder *r = f->priv;
    if (len > sizeof(r->buf) - r->len)
        return -ENOSPC;
    memcpy(r->buf + r->len, buf, (size_t)len);
    r->len += (size_t)len;
    return (int64_t)len;
}

static void rec_release(struct file *f)
{
    ((struct recorder *)f->priv)->releases++;
}

static const struct file_ops rec_ops = { .read = rec_read, .write = rec_write, .release = rec_release };
static struct recorder rec_x, rec_nodes;

/* V over the archive name with the devices of table (or none). */
static void remount(const char *name, const struct vfs_device *table)
{
    int err = 1;
    vfs_free(V);
    free(archive);
    load(name);
    V = vfs_new(archive, archive_len, table, &err);
    assert_non_null(V);
    assert_int_equal(err, 0);
}

/* Several devices, two of them in a directory only their paths imply. */
static void test_device_table(void **state)
{
    (void)state;
    static const struct vfs_device table[] = {
        { "/dev/console", S_IFCHR | 0620, &console_ops, NULL },
        { "/dev/hydros/x", S_IFCHR | 0600, &rec_ops, &rec_x },
        { "/dev/hydros/nodes", S_IFCHR | 0444, &rec_ops, &rec_nodes },
        { "/srv/port", S_IFCHR | 0666, &rec_ops, &rec_x },
        { NULL, 0, NULL, NULL },
    };
    memset(&rec_x, 0, sizeof(rec_x));
    memset(&rec_nodes, 0, sizeof(rec_nodes));
    remount("good", table);

    /* Listed where they are, with their inode numbers. */
    struct dent d[8];
    assert_int_equal(list_path("/dev", d, 8), 5);
    static const char *in_dev[] = { "console", "hydros", "null" };
    static const uint8_t types[] = { DT_CHR, DT_DIR, DT_CHR };
    for (int i = 0; i < 3; i++) {
        char path[32];
        assert_string_equal(d[2 + i].name, in_dev[i]);
        assert_int_equal(d[2 + i].type, types[i]);
        snprintf(path, sizeof(path), "/dev/%s", in_dev[i]);
        assert_int_equal(d[2 + i].ino, stat_ok(path).st_ino);
    }
    assert_int_equal(list_path("/dev/hydros", d, 8), 4);
    assert_int_equal(d[1].ino, stat_ok("/dev").st_ino);
    assert_string_equal(d[2].name, "nodes");
    assert_int_equal(d[2].type, DT_CHR);
    assert_int_equal(d[2].ino, stat_ok("/dev/hydros/nodes").st_ino);
    assert_string_equal(d[3].name, "x");
    assert_int_equal(d[3].ino, stat_ok("/dev/hydros/x").st_ino);
    assert_int_equal(list_path("/srv", d, 8), 3);
    assert_string_equal(d[2].name, "port");

    /* stat: the table's mode, one st_rdev each, the archive's st_dev. */
    struct linux_stat st = stat_ok("/dev/hydros");
    assert_int_equal(st.st_mode, S_IFDIR | 0555);
    assert_int_equal(st.st_nlink, 2);
    assert_int_equal(stat_ok("/dev").st_nlink, 3);
    assert_int_equal(stat_ok("/dev/hydros/").st_ino, st.st_ino);
    static const struct { const char *path; uint32_t mode; uint64_t rdev; } want[] = {
        { "/dev/null", S_IFCHR | 0666, (1 << 8) | 3 },      { "/dev/console", S_IFCHR | 0620, (5 << 8) | 1 },
        { "/dev/hydros/x", S_IFCHR | 0600, (5 << 8) | 2 }, { "/dev/hydros/nodes", S_IFCHR | 0444, (5 << 8) | 3 },
        { "/srv/port", S_IFCHR | 0666, (5 << 8) | 4 },
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        st = stat_ok(want[i].path);
        assert_int_equal(st.st_mode, want[i].mode);
        assert_int_equal(st.st_rdev, want[i].rdev);
        assert_int_equal(st.st_dev, stat_ok("/").st_dev);
        for (size_t k = 0; k < i; k++)
            assert_int_not_equal(st.st_ino, stat_ok(want[k].path).st_ino);
    }
    assert_int_equal(stat_ok("/dev/hydros/../hydros/./x").st_rdev, (5 << 8) | 2);
    assert_int_equal(stat_err("/dev/hydros/x/"), -ENOTDIR);
    assert_int_equal(stat_err("/dev/hydros/y"), -ENOENT);

    /* open: a new file each time, with the table's ops and priv. */
    struct file *f = open_ok("/dev/hydros/x", O_RDWR | O_NONBLOCK | O_CREAT | O_TRUNC);
    struct file *g = open_ok("/srv/port", O_WRONLY);
    struct file *h = open_ok("/dev/hydros/nodes", O_RDONLY);
    assert_ptr_equal(f->ops, &rec_ops);
    assert_ptr_equal(f->priv, &rec_x);
    assert_int_equal(f->flags, O_RDWR | O_NONBLOCK);
    assert_ptr_equal(g->priv, &rec_x);
    assert_ptr_not_equal(f, g);
    assert_ptr_equal(h->priv, &rec_nodes);
    write_all(f, "abc", 3);
    write_all(g, "de", 2);
    assert_memory_equal(rec_x.buf, "abcde", 5);
    assert_int_equal(rec_nodes.len, 0);
    char buf[8];
    assert_int_equal(f->ops->read(f, buf, sizeof(buf)), 5);
    file_put(f);
    file_put(g);
    assert_int_equal(rec_x.releases, 2);
    assert_int_equal(rec_nodes.releases, 0);
    f = open_ok("/dev/console", O_RDWR);
    assert_ptr_equal(f->ops, &console_ops);
    file_put(f);
    assert_int_equal(console_releases, 1);

    static const struct open_case cases[] = {
        { "/dev/hydros/x", O_RDONLY | O_DIRECTORY, -ENOTDIR },
        { "/dev/hydros/x", O_WRONLY | O_CREAT | O_EXCL, -EEXIST },
        { "/dev/hydros/x/", O_RDONLY, -ENOTDIR },
        { "/dev/hydros/x/y", O_RDONLY | O_CREAT, -ENOTDIR },
        { "/dev/hydros", O_RDONLY | O_DIRECTORY, 0 },
        { "/dev/hydros", O_WRONLY, -EISDIR },
        { "/dev/hydros", O_RDONLY | O_CREAT, -EISDIR },
        { "/dev/hydros/y", O_RDONLY, -ENOENT },
        { "/dev/hydros/y", O_WRONLY | O_CREAT, -EROFS },
        { "/srv/new", O_WRONLY | O_CREAT, -EROFS },
    };
    run_open_cases(cases, sizeof(cases) / sizeof(cases[0]));
    assert_int_equal(rec_x.releases, 2);

    /* Names: all read-only, as for /dev/null. */
    make_file("/tmp/f", "f");
    assert_int_equal(vfs_unlink(V, "/dev/hydros/x"), -EROFS);
    assert_int_equal(vfs_unlink(V, "/dev/hydros/x/y"), -ENOTDIR);
    assert_int_equal(vfs_unlink(V, "/dev/console"), -EROFS);
    assert_int_equal(vfs_rmdir(V, "/dev/hydros"), -EROFS);
    assert_int_equal(vfs_mkdir(V, "/dev/hydros", 0755), -EEXIST);
    assert_int_equal(vfs_mkdir(V, "/dev/hydros/x", 0755), -EEXIST);
    assert_int_equal(vfs_mkdir(V, "/dev/hydros/y", 0755), -EROFS);
    assert_int_equal(vfs_mkdir(V, "/dev/hydros/x/y", 0755), -ENOTDIR);
    assert_int_equal(vfs_rename(V, "/dev/hydros/x", "/dev/hydros/y"), -EROFS);
    assert_int_equal(vfs_rename(V, "/dev/hydros", "/dev/h2"), -EROFS);
    assert_int_equal(vfs_rename(V, "/tmp/f", "/dev/hydros/x"), -EXDEV);
    assert_int_equal(vfs_rename(V, "/dev/hydros/x", "/tmp/x"), -EXDEV);
    assert_int_equal(stat_ok("/dev/hydros/x").st_mode, S_IFCHR | 0600);

    /* The listing of a device directory outlives the name space. */
    f = open_ok("/dev/hydros", O_RDONLY);
    vfs_free(V);
    V = NULL;
    assert_int_equal(list_all(f, 4096, d, 8), 4);
    assert_string_equal(d[3].name, "x");
    file_put(h);
    file_put(f);
    assert_int_equal(rec_nodes.releases, 1);
}

/* A device hides an archive file of its path, as /dev/null does its
 * placeholder in devnull_file (test_mount_points_hide_archive). */
static void test_device_shadows_archive(void **state)
{
    (void)state;
    static const struct vfs_device table[] = {
        { "/etc/inetrc", S_IFCHR | 0640, &rec_ops, &rec_x },
        { "/a/y/z", S_IFCHR | 0600, &rec_ops, &rec_nodes },
        { NULL, 0, NULL, NULL },
    };
    memset(&rec_x, 0, sizeof(rec_x));
    remount("good", table);
    struct linux_stat st = stat_ok("/etc/inetrc");
    assert_int_equal(st.st_mode, S_IFCHR | 0640);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(st.st_rdev, (5 << 8) | 1);
    assert_int_equal(stat_ok("/a/y/z").st_rdev, (5 << 8) | 2);
    struct file *f = open_ok("/etc/inetrc", O_WRONLY);
    assert_ptr_equal(f->ops, &rec_ops);
    write_all(f, "to the device", 13);
    file_put(f);
    assert_int_equal(rec_x.len, 13);
    assert_int_equal(rec_x.releases, 1);
    struct dent d[8];
    assert_int_equal(list_path("/etc", d, 8), 3);
    assert_string_equal(d[2].name, "inetrc");
    assert_int_equal(d[2].type, DT_CHR);
    assert_int_equal(d[2].ino, st.st_ino);
    assert_int_equal(vfs_unlink(V, "/etc/inetrc"), -EROFS);
    check_content("/bin/erl", "#!/bin/sh\n"); /* the rest is the archive's */

    /* devnull_file's dev/null placeholder, with the console beside it. */
    remount("devnull_file", console_table);
    assert_int_equal(stat_ok("/dev/null").st_mode, S_IFCHR | 0666);
    assert_int_equal(stat_ok("/dev/console").st_mode, S_IFCHR | 0620);
    assert_int_equal(list_path("/dev", d, 8), 4);
}

static void expect_bad_table(const struct vfs_device *table)
{
    int err = 0;
    long before = live_blocks;
    struct vfs *v = vfs_new(archive, archive_len, table, &err);
    if (v) {
        vfs_free(v);
        fail_msg("vfs_new accepted a table with \"%s\"", table[0].path ? table[0].path : "(VFS_DEVICES_MAX + 1 devices)");
    }
    assert_int_equal(err, -EINVAL);
    assert_int_equal(live_blocks, before);
}

static void test_device_table_errors(void **state)
{
    (void)state;
    static char too_long[1100];
    memset(too_long, 'n', sizeof(too_long) - 1);
    for (size_t i = 0; i < sizeof(too_long) - 1; i += 200)
        too_long[i] = '/';
    static const char *bad_paths[] = {
        "dev/x", "", "/", "/dev//x", "/dev/./x", "/dev/x/", "/dev/../x", "/dev/x/.", "/tmp", "/tmp/x",
        "/tmp/x/y", "/dev", "/dev/null", "/etc", "/emptydir", "/a/y", "/etc/inetrc/x", "/empty/x", too_long,
    };
    for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
        struct vfs_device table[] = { { bad_paths[i], S_IFCHR | 0600, &rec_ops, NULL }, { NULL, 0, NULL, NULL } };
        expect_bad_table(table);
    }
    static const uint32_t bad_modes[] = { S_IFDIR | 0755, S_IFREG | 0644, S_IFIFO | 0600, 0600, S_IFCHR | 010000 };
    for (size_t i = 0; i < sizeof(bad_modes) / sizeof(bad_modes[0]); i++) {
        struct vfs_device table[] = { { "/dev/x", bad_modes[i], &rec_ops, NULL }, { NULL, 0, NULL, NULL } };
        expect_bad_table(table);
    }
    /* No ops; a path twice; one device under another, either way round. */
    static const struct vfs_device no_ops[] = { { "/dev/x", S_IFCHR | 0600, NULL, NULL }, { NULL, 0, NULL, NULL } };
    static const struct vfs_device twice[] = {
        { "/dev/x", S_IFCHR | 0600, &rec_ops, NULL }, { "/dev/y", S_IFCHR | 0600, &rec_ops, NULL },
        { "/dev/x", S_IFCHR | 0600, &rec_ops, NULL }, { NULL, 0, NULL, NULL },
    };
    static const struct vfs_device nested[] = {
        { "/dev/x", S_IFCHR | 0600, &rec_ops, NULL }, { "/dev/x/y", S_IFCHR | 0600, &rec_ops, NULL },
        { NULL, 0, NULL, NULL },
    };
    static const struct vfs_device nested2[] = {
        { "/dev/x/y", S_IFCHR | 0600, &rec_ops, NULL }, { "/dev/x", S_IFCHR | 0600, &rec_ops, NULL },
        { NULL, 0, NULL, NULL },
    };
    expect_bad_table(no_ops);
    expect_bad_table(twice);
    expect_bad_table(nested);
    expect_bad_table(nested2);

    /* VFS_DEVICES_MAX devices, and one more. */
    static char names[VFS_DEVICES_MAX + 1][24];
    struct vfs_device many[VFS_DEVICES_MAX + 2];
    for (int i = 0; i <= VFS_DEVICES_MAX; i++) {
        snprintf(names[i], sizeof(names[i]), "/dev/d%d", i);
        many[i] = (struct vfs_device){ names[i], S_IFCHR | 0600, &rec_ops, NULL };
    }
    many[VFS_DEVICES_MAX + 1] = (struct vfs_device){ NULL, 0, NULL, NULL };
    expect_bad_table(many);
    many[VFS_DEVICES_MAX].path = NULL;
    int err = 1;
    struct vfs *v = vfs_new(archive, archive_len, many, &err);
    assert_non_null(v);
    assert_int_equal(err, 0);
    struct vfs *keep = V;
    V = v;
    static struct dent d[VFS_DEVICES_MAX + 8];
    assert_int_equal(list_path("/dev", d, VFS_DEVICES_MAX + 8), 2 + VFS_DEVICES_MAX + 1);
    assert_int_equal(stat_ok("/dev/d15").st_rdev, (5 << 8) | 16);
    V = keep;
    vfs_free(v);

    /* Next to a name that merely starts like /tmp, and out of memory. */
    static const struct vfs_device fine[] = {
        { "/tmpx", S_IFCHR | 0600, &rec_ops, NULL }, { "/dev/hydros/x", S_IFCHR | 0600, &rec_ops, NULL },
        { NULL, 0, NULL, NULL },
    };
    long before = live_blocks;
    int n;
    for (n = 0; n < 50; n++) {
        fail_at = n;
        v = vfs_new(archive, archive_len, fine, &err);
        fail_at = -1;
        if (v)
            break;
        assert_int_equal(err, -ENOMEM);
        assert_int_equal(live_blocks, before);
    }
    assert_true(n > 3 && n < 50);
    vfs_free(v);
    assert_int_equal(live_blocks, before);
}

/* No table, or an empty one: /dev/null alone. */
static void test_no_devices(void **state)
{
    (void)state;
    static const struct vfs_device empty[] = { { NULL, 0, NULL, NULL } };
    for (int i = 0; i < 2; i++) {
        remount("good", i ? empty : NULL);
        struct dent d[8];
        assert_int_equal(list_path("/dev", d, 8), 3);
        assert_string_equal(d[2].name, "null");
        assert_int_equal(stat_err("/dev/console"), -ENOENT);
        assert_int_equal(open_err("/dev/console", O_RDWR), -ENOENT);
        assert_int_equal(open_err("/dev/console", O_RDWR | O_CREAT), -EROFS);
        struct linux_stat st = stat_ok("/dev/null");
        assert_int_equal(st.st_mode, S_IFCHR | 0666);
        assert_int_equal(st.st_rdev, (1 << 8) | 3);
        struct file *f = open_ok("/dev/null", O_RDWR);
        assert_int_equal(f->ops->write(f, "x", 1), 1);
        struct linux_stat fst;
        assert_int_equal(f->ops->stat(f, &fst), 0);
        assert_int_equal(fst.st_ino, st.st_ino);
        file_put(f);
    }
}

/* Open files outlive the name space they came from. */
static void test_files_outlive_vfs(void **state)
{
    (void)state;
    struct file *a = open_ok("/etc/inetrc", O_RDONLY);
    struct file *d = open_ok("/many", O_RDONLY);
    struct file *t = open_ok("/tmp/keep", O_RDWR | O_CREAT);
    struct file *td = open_ok("/tmp", O_RDONLY);
    struct file *n = open_ok("/dev/null", O_RDWR);
    write_all(t, "kept", 4);
    vfs_free(V);
    V = NULL;
    char buf[32];
    assert_int_equal(a->ops->read(a, buf, sizeof(buf)), 18);
    struct dent got[128];
    assert_int_equal(list_all(d, 100, got, 128), 102);
    assert_int_equal(t->ops->lseek(t, 0, SEEK_SET), 0);
    assert_int_equal(t->ops->read(t, buf, sizeof(buf)), 4);
    write_all(t, "more", 4);
    struct linux_stat st;
    assert_int_equal(t->ops->stat(t, &st), 0);
    assert_int_equal(st.st_size, 8);
    assert_int_equal(st.st_nlink, 0);
    assert_int_equal(td->ops->getdents(td, got, sizeof(got)), -ENOENT);
    assert_int_equal(n->ops->write(n, buf, 3), 3);
    file_put(a);
    file_put(d);
    file_put(t);
    file_put(td);
    file_put(n);
    assert_int_equal(live_blocks, 0);
}

/* ------------------------------------------------------------ tmpfs via vfs */

static void test_tmpfs_write_read_seek(void **state)
{
    (void)state;
    struct file *f = open_ok("/tmp/f", O_RDWR | O_CREAT | O_EXCL);
    struct linux_stat st = stat_ok("/tmp/f");
    assert_int_equal(st.st_mode, S_IFREG | 0644);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(st.st_nlink, 1);
    write_all(f, "hello, world", 12);
    assert_int_equal(f->pos, 12);
    assert_int_equal(f->ops->lseek(f, 7, SEEK_SET), 7);
    write_all(f, "WORLD!", 6);
    assert_int_equal(stat_ok("/tmp/f").st_size, 13);
    assert_int_equal(f->ops->lseek(f, 0, SEEK_SET), 0);
    char buf[64];
    assert_int_equal(f->ops->read(f, buf, 5), 5);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(f->ops->read(f, buf, 64), 8);
    assert_memory_equal(buf, ", WORLD!", 8);
    assert_int_equal(f->ops->read(f, buf, 64), 0);
    assert_int_equal(f->ops->lseek(f, -3, SEEK_END), 10);
    assert_int_equal(f->ops->lseek(f, 1, SEEK_CUR), 11);
    assert_int_equal(f->ops->lseek(f, -100, SEEK_CUR), -EINVAL);
    assert_int_equal(f->ops->lseek(f, 0, 7), -EINVAL);
    assert_int_equal(f->ops->write(f, buf, 0), 0);
    assert_int_equal(f->pos, 11);
    assert_int_equal(f->ops->stat(f, &st), 0);
    assert_int_equal(st.st_ino, stat_ok("/tmp/f").st_ino);
    assert_int_equal(st.st_size, 13);
    assert_null(f->ops->getdents);
    file_put(f);

    f = open_ok("/tmp/f", O_RDONLY);
    assert_int_equal(f->ops->write(f, "x", 1), -EBADF);
    file_put(f);
    f = open_ok("/tmp/f", O_WRONLY);
    assert_int_equal(f->ops->read(f, buf, 1), -EBADF);
    file_put(f);
    f = open_ok("/tmp/f", O_ACCMODE);
    assert_int_equal(f->ops->read(f, buf, 1), -EBADF);
    assert_int_equal(f->ops->write(f, "x", 1), -EBADF);
    file_put(f);
    check_content("/tmp/f", "hello, WORLD!");
}

/* Writing past the end fills the gap with zeros, across chunk boundaries. */
static void test_tmpfs_gap_and_large(void **state)
{
    (void)state;
    struct file *f = open_ok("/tmp/gap", O_RDWR | O_CREAT);
    write_all(f, "ab", 2);
    int64_t far = 3 * TMPFS_CHUNK + 17;
    assert_int_equal(f->ops->lseek(f, far, SEEK_SET), far);
    assert_int_equal(stat_ok("/tmp/gap").st_size, 2); /* seeking alone does not grow */
    write_all(f, "z", 1);
    assert_int_equal(stat_ok("/tmp/gap").st_size, far + 1);
    static uint8_t buf[5 * TMPFS_CHUNK];
    f->ops->lseek(f, 0, SEEK_SET);
    assert_int_equal(f->ops->read(f, buf, sizeof(buf)), far + 1);
    assert_memory_equal(buf, "ab", 2);
    for (int64_t i = 2; i < far; i++)
        if (buf[i])
            fail_msg("byte %lld is %d", (long long)i, buf[i]);
    assert_int_equal(buf[far], 'z');
    file_put(f);

    /* 1 MiB in odd pieces, read back in other odd pieces. */
    f = open_ok("/tmp/big", O_RDWR | O_CREAT);
    size_t total = 1 << 20, done = 0, piece = 1;
    uint8_t *data = malloc(total);
    for (size_t i = 0; i < total; i++)
        data[i] = (uint8_t)(i * 13 + i / 4032);
    while (done < total) {
        size_t k = piece < total - done ? piece : total - done;
        write_all(f, data + done, k);
        done += k;
        piece = piece * 3 % 9001 + 1;
    }
    assert_int_equal(stat_ok("/tmp/big").st_size, (int64_t)total);
    assert_true(stat_ok("/tmp/big").st_blocks * 512 >= (int64_t)total);
    f->ops->lseek(f, 0, SEEK_SET);
    uint8_t *back = malloc(total);
    done = 0;
    piece = 4031;
    int64_t n;
    while ((n = f->ops->read(f, back + done, piece)) > 0) {
        done += (size_t)n;
        piece = piece * 7 % 10007 + 1;
    }
    assert_int_equal(done, total);
    assert_memory_equal(back, data, total);
    free(back);
    free(data);
    file_put(f);
}

static void test_tmpfs_append_and_trunc(void **state)
{
    (void)state;
    make_file("/tmp/log", "one\n");
    struct file *f = open_ok("/tmp/log", O_WRONLY | O_APPEND);
    assert_int_equal(f->pos, 0);
    write_all(f, "two\n", 4);
    assert_int_equal(f->pos, 8);
    f->ops->lseek(f, 0, SEEK_SET);
    write_all(f, "three\n", 6);
    assert_int_equal(f->pos, 14);
    file_put(f);
    check_content("/tmp/log", "one\ntwo\nthree\n");

    /* Two descriptions: an appender always lands at the current end. */
    struct file *g = open_ok("/tmp/log", O_RDWR);
    f = open_ok("/tmp/log", O_WRONLY | O_APPEND);
    g->ops->lseek(g, 0, SEEK_END);
    write_all(g, "4\n", 2);
    write_all(f, "5\n", 2);
    file_put(f);
    file_put(g);
    check_content("/tmp/log", "one\ntwo\nthree\n4\n5\n");

    /* O_TRUNC, even with O_RDONLY as on Linux; what comes back is zeros. */
    f = open_ok("/tmp/log", O_RDONLY | O_TRUNC);
    assert_int_equal(stat_ok("/tmp/log").st_size, 0);
    assert_int_equal(stat_ok("/tmp/log").st_blocks, 0);
    file_put(f);
    f = open_ok("/tmp/log", O_RDWR);
    f->ops->lseek(f, 10, SEEK_SET);
    write_all(f, "!", 1);
    f->ops->lseek(f, 0, SEEK_SET);
    char buf[16];
    assert_int_equal(f->ops->read(f, buf, 16), 11);
    assert_memory_equal(buf, "\0\0\0\0\0\0\0\0\0\0!", 11);

    /* ftruncate: shrink inside a chunk, grow again: the cut bytes are 0. */
    assert_int_equal(tmpfs_truncate(f, 3), 0);
    assert_int_equal(stat_ok("/tmp/log").st_size, 3);
    assert_int_equal(tmpfs_truncate(f, 11), 0);
    f->ops->lseek(f, 0, SEEK_SET);
    assert_int_equal(f->ops->read(f, buf, 16), 11);
    assert_memory_equal(buf, "\0\0\0\0\0\0\0\0\0\0\0", 11);
    assert_int_equal(tmpfs_truncate(f, 2 * TMPFS_CHUNK + 5), 0);
    assert_int_equal(stat_ok("/tmp/log").st_size, 2 * TMPFS_CHUNK + 5);
    assert_int_equal(tmpfs_truncate(f, TMPFS_CHUNK), 0);
    assert_int_equal(stat_ok("/tmp/log").st_blocks, TMPFS_CHUNK / 512);
    assert_int_equal(tmpfs_truncate(f, 0), 0);
    file_put(f);

    f = open_ok("/tmp/log", O_RDONLY);
    assert_int_equal(tmpfs_truncate(f, 0), -EINVAL); /* not open for writing */
    file_put(f);
    f = open_ok("/tmp", O_RDONLY);
    assert_int_equal(tmpfs_truncate(f, 0), -EINVAL);
    file_put(f);
    f = open_ok("/etc/inetrc", O_RDONLY);
    assert_int_equal(tmpfs_truncate(f, 0), -EINVAL);
    file_put(f);
}

static void test_tmpfs_open_flags(void **state)
{
    (void)state;
    make_file("/tmp/f", "data");
    assert_int_equal(vfs_mkdir(V, "/tmp/d", 0755), 0);
    static const struct open_case cases[] = {
        { "/tmp/f", O_RDONLY, 0 },
        { "/tmp/f", O_RDWR | O_CREAT, 0 },
        { "/tmp/f", O_WRONLY | O_CREAT | O_EXCL, -EEXIST },
        { "/tmp/f", O_RDONLY | O_DIRECTORY, -ENOTDIR },
        { "/tmp/f/", O_RDONLY, -ENOTDIR },
        { "/tmp/f/", O_RDONLY | O_CREAT, -EISDIR },
        { "/tmp/f/x", O_RDONLY, -ENOTDIR },
        { "/tmp/f/x", O_WRONLY | O_CREAT, -ENOTDIR },
        { "/tmp/missing", O_RDONLY, -ENOENT },
        { "/tmp/missing", O_RDONLY | O_DIRECTORY, -ENOENT },
        { "/tmp/missing/", O_RDONLY, -ENOENT },
        { "/tmp/missing/", O_WRONLY | O_CREAT, -EISDIR },
        { "/tmp/nodir/x", O_WRONLY | O_CREAT, -ENOENT },
        { "/tmp/d", O_RDONLY, 0 },
        { "/tmp/d/", O_RDONLY | O_DIRECTORY, 0 },
        { "/tmp/d", O_WRONLY, -EISDIR },
        { "/tmp/d", O_RDWR, -EISDIR },
        { "/tmp/d", O_RDONLY | O_TRUNC, -EISDIR },
        { "/tmp/d", O_RDONLY | O_CREAT, -EISDIR },
        { "/tmp/d", O_RDONLY | O_CREAT | O_EXCL, -EEXIST },
        { "/tmp/d/../f", O_RDONLY, 0 },
        { "/tmp/./d/./", O_RDONLY, 0 },
    };
    run_open_cases(cases, sizeof(cases) / sizeof(cases[0]));
    check_content("/tmp/f", "data");
    assert_int_equal(stat_err("/tmp/missing"), -ENOENT);

    struct file *f;
    assert_int_equal(vfs_open(V, "/tmp/mode", O_CREAT | O_WRONLY, 0600 | S_IFDIR, &f), 0);
    assert_int_equal(stat_ok("/tmp/mode").st_mode, S_IFREG | 0600);
    file_put(f);
    char name[300] = "/tmp/";
    memset(name + 5, 'n', 255);
    make_file(name, "long");
    check_content(name, "long");
    name[260] = 'n';
    assert_int_equal(open_err(name, O_CREAT | O_WRONLY), -ENAMETOOLONG);
}

static void test_tmpfs_mkdir(void **state)
{
    (void)state;
    assert_int_equal(vfs_mkdir(V, "/tmp/d", 0750), 0);
    assert_int_equal(stat_ok("/tmp/d").st_mode, S_IFDIR | 0750);
    assert_int_equal(stat_ok("/tmp/d").st_nlink, 2);
    assert_int_equal(vfs_mkdir(V, "/tmp/d/e/", 0755), 0);
    assert_int_equal(vfs_mkdir(V, "/tmp/d/e/../f", 0755), 0);
    assert_int_equal(stat_ok("/tmp/d").st_nlink, 4);
    assert_int_equal(stat_ok("/tmp").st_nlink, 3);
    make_file("/tmp/d/file", "x");
    assert_int_equal(stat_ok("/tmp/d").st_nlink, 4);
    assert_int_equal(vfs_mkdir(V, "/tmp/d", 0755), -EEXIST);
    assert_int_equal(vfs_mkdir(V, "/tmp/d/file", 0755), -EEXIST);
    assert_int_equal(vfs_mkdir(V, "/tmp/nodir/x", 0755), -ENOENT);
    assert_int_equal(vfs_mkdir(V, "/tmp/d/file/x", 0755), -ENOTDIR);
    assert_int_equal(vfs_mkdir(V, "/tmp", 0755), -EEXIST);
    assert_int_equal(vfs_mkdir(V, "/tmp/", 0755), -EEXIST);
    assert_int_equal(vfs_mkdir(V, "/", 0755), -EEXIST);
    assert_int_equal(vfs_mkdir(V, "/etc", 0755), -EEXIST);
    assert_int_equal(vfs_mkdir(V, "/etc/inetrc", 0755), -EEXIST);
    assert_int_equal(vfs_mkdir(V, "/newdir", 0755), -EROFS);
    assert_int_equal(vfs_mkdir(V, "/etc/new/", 0755), -EROFS);
    assert_int_equal(vfs_mkdir(V, "/nodir/x", 0755), -ENOENT);
    assert_int_equal(vfs_mkdir(V, "/etc/inetrc/x", 0755), -ENOTDIR);
    assert_int_equal(vfs_mkdir(V, "/dev/null", 0755), -EEXIST);
    assert_int_equal(vfs_mkdir(V, "/dev/x", 0755), -EROFS);
    assert_int_equal(vfs_mkdir(V, "/dev/null/x", 0755), -ENOTDIR);
    assert_int_equal(vfs_mkdir(V, "rel", 0755), -EINVAL);
}

static void test_tmpfs_unlink_rmdir(void **state)
{
    (void)state;
    make_file("/tmp/f", "x");
    assert_int_equal(vfs_mkdir(V, "/tmp/d", 0755), 0);
    make_file("/tmp/d/g", "y");
    assert_int_equal(vfs_unlink(V, "/tmp/f/"), -ENOTDIR);
    assert_int_equal(vfs_unlink(V, "/tmp/d"), -EISDIR);
    assert_int_equal(vfs_unlink(V, "/tmp/d/"), -EISDIR);
    assert_int_equal(vfs_unlink(V, "/tmp/nope"), -ENOENT);
    assert_int_equal(vfs_unlink(V, "/tmp/nodir/x"), -ENOENT);
    assert_int_equal(vfs_unlink(V, "/tmp/f/x"), -ENOTDIR);
    assert_int_equal(vfs_rmdir(V, "/tmp/d"), -ENOTEMPTY);
    assert_int_equal(vfs_rmdir(V, "/tmp/f"), -ENOTDIR);
    assert_int_equal(vfs_rmdir(V, "/tmp/nope"), -ENOENT);
    assert_int_equal(vfs_unlink(V, "/tmp/f"), 0);
    assert_int_equal(vfs_unlink(V, "/tmp/f"), -ENOENT);
    assert_int_equal(stat_err("/tmp/f"), -ENOENT);
    assert_int_equal(vfs_unlink(V, "/tmp/d/g"), 0);
    assert_int_equal(vfs_rmdir(V, "/tmp/d/"), 0);
    assert_int_equal(stat_err("/tmp/d"), -ENOENT);
    assert_int_equal(stat_ok("/tmp").st_nlink, 2);

    /* Outside /tmp nothing can be removed; the directory holding the name
     * decides, so /tmp itself is the read-only root's. */
    assert_int_equal(vfs_unlink(V, "/etc/inetrc"), -EROFS);
    assert_int_equal(vfs_unlink(V, "/nope"), -EROFS);
    assert_int_equal(vfs_unlink(V, "/nodir/x"), -ENOENT);
    assert_int_equal(vfs_unlink(V, "/etc/inetrc/x"), -ENOTDIR);
    assert_int_equal(vfs_unlink(V, "/tmp"), -EROFS);
    assert_int_equal(vfs_unlink(V, "/dev/null"), -EROFS);
    assert_int_equal(vfs_unlink(V, "/"), -EISDIR);
    assert_int_equal(vfs_rmdir(V, "/"), -EBUSY);
    assert_int_equal(vfs_rmdir(V, "/tmp"), -EROFS);
    assert_int_equal(vfs_rmdir(V, "/emptydir"), -EROFS);
    assert_int_equal(vfs_rmdir(V, "/tmp/.."), -EBUSY);
    assert_int_equal(vfs_unlink(V, "x"), -EINVAL);
    assert_int_equal(stat_ok("/tmp").st_mode & S_IFMT, S_IFDIR);
}

/* A removed file stays usable through what still has it open. */
static void test_tmpfs_unlink_while_open(void **state)
{
    (void)state;
    struct file *f = open_ok("/tmp/u", O_RDWR | O_CREAT);
    write_all(f, "hello", 5);
    struct file *g = file_get(f);
    uint64_t ino = stat_ok("/tmp/u").st_ino;
    assert_int_equal(vfs_unlink(V, "/tmp/u"), 0);
    assert_int_equal(stat_err("/tmp/u"), -ENOENT);
    char buf[16];
    f->ops->lseek(f, 0, SEEK_SET);
    assert_int_equal(f->ops->read(f, buf, 16), 5);
    write_all(f, " more", 5);
    struct linux_stat st;
    assert_int_equal(f->ops->stat(f, &st), 0);
    assert_int_equal(st.st_nlink, 0);
    assert_int_equal(st.st_size, 10);

    /* A new file of the same name is another file. */
    make_file("/tmp/u", "new");
    assert_int_not_equal(stat_ok("/tmp/u").st_ino, ino);
    f->ops->lseek(f, 0, SEEK_SET);
    assert_int_equal(f->ops->read(f, buf, 16), 10);
    assert_memory_equal(buf, "hello more", 10);
    assert_int_equal(vfs_unlink(V, "/tmp/u"), 0);
    file_put(f);
    assert_int_equal(g->ops->read(g, buf, 16), 0);
    file_put(g);
    assert_int_equal(live_blocks, base_blocks);

    /* A removed directory lists as -ENOENT; it cannot get entries. */
    assert_int_equal(vfs_mkdir(V, "/tmp/dd", 0755), 0);
    struct file *d = open_ok("/tmp/dd", O_RDONLY);
    assert_int_equal(vfs_rmdir(V, "/tmp/dd"), 0);
    assert_int_equal(d->ops->getdents(d, buf, sizeof(buf)), -ENOENT);
    assert_int_equal(d->ops->stat(d, &st), 0);
    assert_int_equal(st.st_nlink, 0);
    file_put(d);
    assert_int_equal(live_blocks, base_blocks);
}

static void test_tmpfs_rename(void **state)
{
    (void)state;
    make_file("/tmp/a", "A");
    make_file("/tmp/b", "B");
    assert_int_equal(vfs_mkdir(V, "/tmp/d", 0755), 0);
    assert_int_equal(vfs_mkdir(V, "/tmp/e", 0755), 0);
    assert_int_equal(vfs_mkdir(V, "/tmp/d/sub", 0755), 0);
    make_file("/tmp/d/in", "in");
    uint64_t ino = stat_ok("/tmp/a").st_ino;

    assert_int_equal(vfs_rename(V, "/tmp/a", "/tmp/a2"), 0);
    assert_int_equal(stat_err("/tmp/a"), -ENOENT);
    assert_int_equal(stat_ok("/tmp/a2").st_ino, ino);
    assert_int_equal(vfs_rename(V, "/tmp/a2", "/tmp/a2"), 0);
    /* Over an existing file, which someone still reads. */
    struct file *old = open_ok("/tmp/b", O_RDONLY);
    assert_int_equal(vfs_rename(V, "/tmp/a2", "/tmp/b"), 0);
    check_content("/tmp/b", "A");
    char buf[4];
    assert_int_equal(old->ops->read(old, buf, 4), 1);
    assert_int_equal(buf[0], 'B');
    file_put(old);
    /* Into another directory, and a directory with its contents. */
    assert_int_equal(vfs_rename(V, "/tmp/b", "/tmp/d/b"), 0);
    check_content("/tmp/d/b", "A");
    assert_int_equal(vfs_rename(V, "/tmp/d", "/tmp/e/d2/"), 0);
    check_content("/tmp/e/d2/in", "in");
    assert_int_equal(stat_ok("/tmp").st_nlink, 3);
    assert_int_equal(stat_ok("/tmp/e").st_nlink, 3);
    assert_int_equal(stat_ok("/tmp/e/d2/..").st_ino, stat_ok("/tmp/e").st_ino);

    make_file("/tmp/f", "F");
    assert_int_equal(vfs_mkdir(V, "/tmp/empty", 0755), 0);
    assert_int_equal(vfs_rename(V, "/tmp/f", "/tmp/empty"), -EISDIR);
    assert_int_equal(vfs_rename(V, "/tmp/empty", "/tmp/f"), -ENOTDIR);
    assert_int_equal(vfs_rename(V, "/tmp/e", "/tmp/e/d2/sub/x"), -EINVAL);
    assert_int_equal(vfs_rename(V, "/tmp/e", "/tmp/e/x"), -EINVAL);
    assert_int_equal(vfs_rename(V, "/tmp/empty", "/tmp/e"), -ENOTEMPTY);
    uint64_t sub = stat_ok("/tmp/e/d2/sub").st_ino;
    assert_int_equal(vfs_rename(V, "/tmp/e/d2/sub", "/tmp/empty"), 0);
    assert_int_equal(stat_ok("/tmp/empty").st_ino, sub);
    assert_int_equal(stat_err("/tmp/e/d2/sub"), -ENOENT);
    assert_int_equal(vfs_rename(V, "/tmp/nope", "/tmp/x"), -ENOENT);
    assert_int_equal(vfs_rename(V, "/tmp/f", "/tmp/nodir/x"), -ENOENT);
    assert_int_equal(vfs_rename(V, "/tmp/f", "/tmp/f/x"), -ENOTDIR);
    assert_int_equal(vfs_rename(V, "/tmp/f/", "/tmp/g"), -ENOTDIR);
    assert_int_equal(vfs_rename(V, "/tmp/f", "/tmp/g/"), -ENOTDIR);
    assert_int_equal(vfs_rename(V, "/tmp/empty/", "/tmp/g/"), 0);

    /* Across file systems, and on the read-only one. */
    assert_int_equal(vfs_rename(V, "/tmp/f", "/f"), -EXDEV);
    assert_int_equal(vfs_rename(V, "/etc/inetrc", "/tmp/inetrc"), -EXDEV);
    assert_int_equal(vfs_rename(V, "/tmp/nope", "/f"), -EXDEV);
    assert_int_equal(vfs_rename(V, "/tmp/f", "/tmp"), -EXDEV);
    assert_int_equal(vfs_rename(V, "/tmp", "/tmp2"), -EROFS);
    assert_int_equal(vfs_rename(V, "/etc/inetrc", "/etc/x"), -EROFS);
    assert_int_equal(vfs_rename(V, "/dev/null", "/x"), -EROFS);
    assert_int_equal(vfs_rename(V, "/etc/inetrc", "/nodir/x"), -ENOENT);
    assert_int_equal(vfs_rename(V, "/tmp/f", "/etc/inetrc/x"), -ENOTDIR);
    assert_int_equal(vfs_rename(V, "/", "/tmp/x"), -EBUSY);
    assert_int_equal(vfs_rename(V, "/tmp/f", "/"), -EBUSY);
    assert_int_equal(vfs_rename(V, "rel", "/tmp/x"), -EINVAL);
    assert_int_equal(vfs_rename(V, "/tmp/f", ""), -ENOENT);
    check_content("/tmp/f", "F");
}

/* A listing goes on sensibly while the directory changes under it: no entry
 * twice, none that stayed is skipped, new ones come at the end. */
static void test_tmpfs_getdents(void **state)
{
    (void)state;
    char path[32];
    for (int i = 0; i < 10; i++) {
        snprintf(path, sizeof(path), "/tmp/e%d", i);
        make_file(path, "");
    }
    assert_int_equal(vfs_mkdir(V, "/tmp/sub", 0755), 0);
    struct dent d[32];
    int n = list_path("/tmp", d, 32);
    assert_int_equal(n, 13);
    assert_string_equal(d[0].name, ".");
    assert_string_equal(d[1].name, "..");
    for (int i = 0; i < 10; i++) {
        snprintf(path, sizeof(path), "e%d", i);
        assert_string_equal(d[2 + i].name, path);
        assert_int_equal(d[2 + i].type, DT_REG);
        snprintf(path, sizeof(path), "/tmp/e%d", i);
        assert_int_equal(d[2 + i].ino, stat_ok(path).st_ino);
    }
    assert_string_equal(d[12].name, "sub");
    assert_int_equal(d[12].type, DT_DIR);
    n = list_path("/tmp/sub", d, 32);
    assert_int_equal(n, 2);
    assert_int_equal(d[1].ino, stat_ok("/tmp").st_ino);

    struct file *f = open_ok("/tmp", O_RDONLY);
    uint8_t buf[3 * 24];
    int64_t r = f->ops->getdents(f, buf, sizeof(buf)); /* . .. e0 */
    assert_int_equal(parse_dents(buf, r, d, 32), 3);
    assert_int_equal(vfs_unlink(V, "/tmp/e0"), 0);
    assert_int_equal(vfs_unlink(V, "/tmp/e1"), 0);
    assert_int_equal(vfs_rename(V, "/tmp/e5", "/tmp/e5b"), 0); /* moves to the end */
    make_file("/tmp/new", "");
    n = list_all(f, 50, d, 32);
    static const char *rest[] = { "e2", "e3", "e4", "e6", "e7", "e8", "e9", "sub", "e5b", "new" };
    assert_int_equal(n, 10);
    for (int i = 0; i < n; i++)
        assert_string_equal(d[i].name, rest[i]);
    /* And from the start again. */
    assert_int_equal(f->ops->lseek(f, 0, SEEK_SET), 0);
    assert_int_equal(list_all(f, 4096, d, 32), 12);
    assert_int_equal(f->ops->lseek(f, 0, SEEK_END), -EINVAL);
    assert_int_equal(f->ops->read(f, buf, 1), -EISDIR);
    assert_null(f->ops->write);
    file_put(f);
}

static int may_fail(int err, bool *failed)
{
    assert_true(err == 0 || err == -ENOMEM);
    *failed |= err != 0;
    return err;
}

/* Every vfs call with each allocation failing in turn: it works or says
 * -ENOMEM, changes nothing when it fails, and leaks nothing. */
static void test_vfs_out_of_memory(void **state)
{
    (void)state;
    int clean = 0;
    for (int n = 0; n < 40 && clean < 3; n++) {
        bool failed = false;
        int err;
        struct file *f = NULL, *g = NULL, *h = NULL;
        (void)err;
        fail_at = n;
#define CALL(x) may_fail((x), &failed)
        CALL(vfs_open(V, "/lib/stdlib-4.2/ebin/lists.beam", O_RDONLY, 0, &f));
        CALL(vfs_open(V, "/many", O_RDONLY, 0, &g));
        if (CALL(vfs_open(V, "/tmp/new", O_RDWR | O_CREAT, 0644, &h)) == 0)
            failed |= h->ops->write(h, "x", 1) != 1;
        bool made = CALL(vfs_mkdir(V, "/tmp/d", 0755)) == 0, renamed = false;
        if (h && made)
            renamed = CALL(vfs_rename(V, "/tmp/new", "/tmp/d/moved")) == 0;
        struct linux_stat st;
        CALL(vfs_stat(V, "/etc/inetrc", &st));
        err = vfs_unlink(V, "/tmp/d/moved");
        assert_true(err == 0 || err == -ENOMEM || err == -ENOENT);
        err = vfs_rmdir(V, "/tmp/d");
        assert_true(err == 0 || err == -ENOMEM || err == -ENOENT || err == -ENOTEMPTY);
#undef CALL
        fail_at = -1;
        if (h && made)
            assert_int_equal(stat_err("/tmp/new"), renamed ? -ENOENT : 0);
        if (f)
            file_put(f);
        if (g)
            file_put(g);
        if (h)
            file_put(h);
        vfs_unlink(V, "/tmp/new");
        vfs_unlink(V, "/tmp/d/moved");
        vfs_rmdir(V, "/tmp/d");
        struct dent d[4];
        assert_int_equal(list_path("/tmp", d, 4), 2);
        assert_int_equal(live_blocks, base_blocks);
        clean += !failed;
    }
    assert_int_equal(clean, 3);
}

/* ------------------------------------------------------------ tmpfs alone */

static void test_tmpfs_enospc(void **state)
{
    (void)state;
    uint64_t cap = 3 * TMPFS_NODE_COST + 4 * TMPFS_CHUNK;
    struct tmpfs *fs = tmpfs_new(cap, 9);
    assert_non_null(fs);
    assert_int_equal(tmpfs_used(fs), TMPFS_NODE_COST);
    struct file *f;
    assert_int_equal(tmpfs_open(fs, "f", O_RDWR | O_CREAT, 0644, &f), 0);
    static uint8_t data[6 * TMPFS_CHUNK];
    memset(data, 'd', sizeof(data));
    /* Cut short at the cap, then nothing at all. */
    assert_int_equal(f->ops->write(f, data, 5 * TMPFS_CHUNK), 4 * TMPFS_CHUNK);
    assert_int_equal(tmpfs_used(fs), cap - TMPFS_NODE_COST);
    assert_int_equal(f->ops->write(f, data, 1), -ENOSPC);
    f->ops->lseek(f, 100, SEEK_SET);
    assert_int_equal(f->ops->write(f, data, 100), 100); /* inside what it has */
    assert_int_equal(tmpfs_mkdir(fs, "d", 0755), 0);
    assert_int_equal(tmpfs_used(fs), cap);
    struct file *g;
    assert_int_equal(tmpfs_open(fs, "g", O_RDWR | O_CREAT, 0644, &g), -ENOSPC);
    assert_int_equal(tmpfs_mkdir(fs, "e", 0755), -ENOSPC);
    assert_int_equal(tmpfs_rmdir(fs, "d"), 0);

    /* Space comes back with truncation; a write far out fails whole. */
    assert_int_equal(tmpfs_truncate(f, 0), 0);
    assert_int_equal(tmpfs_used(fs), 2 * TMPFS_NODE_COST);
    f->ops->lseek(f, 10 * TMPFS_CHUNK, SEEK_SET);
    assert_int_equal(f->ops->write(f, data, 10), -ENOSPC);
    assert_int_equal(tmpfs_used(fs), 2 * TMPFS_NODE_COST);
    struct linux_stat st;
    assert_int_equal(tmpfs_stat(fs, "f", &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(st.st_dev, 9);
    assert_int_equal(tmpfs_truncate(f, 5 * TMPFS_CHUNK), -ENOSPC);
    assert_int_equal(tmpfs_used(fs), 2 * TMPFS_NODE_COST);
    assert_int_equal(tmpfs_truncate(f, 5 * TMPFS_CHUNK - 1), -ENOSPC);
    assert_int_equal(tmpfs_truncate(f, 4 * TMPFS_CHUNK + 1), -ENOSPC);
    assert_int_equal(tmpfs_truncate(f, 4 * TMPFS_CHUNK), 0);
    assert_int_equal(tmpfs_truncate(f, 0), 0);
    f->ops->lseek(f, 3 * TMPFS_CHUNK + 10, SEEK_SET);
    assert_int_equal(f->ops->write(f, data, 100), 100);
    assert_int_equal(tmpfs_stat(fs, "f", &st), 0);
    assert_int_equal(st.st_size, 3 * TMPFS_CHUNK + 110);

    /* Unlinked and open, it still holds its space; closing gives it back. */
    assert_int_equal(tmpfs_unlink(fs, "f"), 0);
    assert_int_equal(tmpfs_used(fs), cap - TMPFS_NODE_COST);
    file_put(f);
    assert_int_equal(tmpfs_used(fs), TMPFS_NODE_COST);
    tmpfs_unmount(fs);

    /* A cap smaller than the root is no tmpfs at all. */
    assert_null(tmpfs_new(TMPFS_NODE_COST - 1, 9));
}

/* Every allocation failing in turn: each call succeeds or says -ENOMEM,
 * what it reports written reads back, and nothing leaks. */
static void test_tmpfs_out_of_memory(void **state)
{
    (void)state;
    static uint8_t data[3 * TMPFS_CHUNK], back[3 * TMPFS_CHUNK];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 5);
    int clean = 0;
    for (int n = 0; n < 40 && clean < 3; n++) {
        struct tmpfs *fs = tmpfs_new(1 << 20, 1);
        assert_non_null(fs);
        fail_at = n;
        bool failed = false;
        struct file *f = NULL;
        int err = tmpfs_open(fs, "f", O_RDWR | O_CREAT, 0644, &f);
        failed |= err != 0;
        struct linux_stat st;
        if (err) {
            assert_int_equal(err, -ENOMEM);
            assert_int_equal(tmpfs_stat(fs, "f", &st), -ENOENT); /* no half-made file */
        } else {
            int64_t w = f->ops->write(f, data, sizeof(data));
            failed |= w != (int64_t)sizeof(data);
            assert_true(w == -ENOMEM || (w > 0 && w <= (int64_t)sizeof(data)));
            if (w > 0) {
                f->ops->lseek(f, 0, SEEK_SET);
                assert_int_equal(f->ops->read(f, back, sizeof(back)), w);
                assert_memory_equal(back, data, (size_t)w);
            }
        }
        err = tmpfs_mkdir(fs, "d", 0755);
        failed |= err != 0;
        assert_true(err == 0 || err == -ENOMEM);
        assert_int_equal(tmpfs_stat(fs, "d", &st), err ? -ENOENT : 0);
        err = tmpfs_rename(fs, "f", "g");
        assert_true(err == 0 || err == -ENOENT);
        struct file *d = NULL;
        err = tmpfs_open(fs, "", O_RDONLY, 0, &d);
        failed |= err != 0;
        assert_true(err == 0 || err == -ENOMEM);
        fail_at = -1;
        if (f)
            file_put(f);
        if (d)
            file_put(d);
        tmpfs_unmount(fs);
        assert_int_equal(live_blocks, base_blocks);
        clean += !failed;
    }
    assert_int_equal(clean, 3);
}

/* Unmounting a deep tree takes no recursion; open files survive it. */
static void test_tmpfs_deep_unmount(void **state)
{
    (void)state;
    struct tmpfs *fs = tmpfs_new(64 << 20, 1);
    enum { DEPTH = 3000 };
    char *path = malloc(2 * DEPTH + 16);
    size_t len = 0;
    for (int i = 0; i < DEPTH; i++) {
        if (i)
            path[len++] = '/';
        path[len++] = 'd';
        path[len] = '\0';
        assert_int_equal(tmpfs_mkdir(fs, path, 0755), 0);
    }
    strcpy(path + len, "/leaf");
    struct file *f;
    assert_int_equal(tmpfs_open(fs, path, O_RDWR | O_CREAT, 0644, &f), 0);
    write_all(f, "deep", 4);
    struct file *root;
    assert_int_equal(tmpfs_open(fs, "", O_RDONLY, 0, &root), 0);
    tmpfs_unmount(fs);
    char buf[8];
    f->ops->lseek(f, 0, SEEK_SET);
    assert_int_equal(f->ops->read(f, buf, 8), 4);
    assert_int_equal(root->ops->getdents(root, buf, 8), -ENOENT);
    file_put(root);
    file_put(f);
    free(path);
    assert_int_equal(live_blocks, base_blocks);
}

/* ------------------------------------------------------------ file.c */

static int releases;
static void count_release(struct file *f)
{
    (void)f;
    releases++;
}

static void test_file_refs(void **state)
{
    (void)state;
    static const struct file_ops ops = { .release = count_release };
    int priv;
    releases = 0;
    struct file *f = file_new(&ops, O_RDWR, &priv);
    assert_non_null(f);
    assert_int_equal(f->refs, 1);
    assert_int_equal(f->flags, O_RDWR);
    assert_ptr_equal(f->priv, &priv);
    assert_int_equal(f->pos, 0);
    assert_null(f->wq.head);
    assert_ptr_equal(file_get(f), f);
    assert_int_equal(f->refs, 2);
    file_put(f);
    assert_int_equal(releases, 0);
    file_put(f);
    assert_int_equal(releases, 1);

    static const struct file_ops bare = { 0 };
    f = file_new(&bare, 0, NULL); /* no release op */
    file_put(f);
    fail_at = 0;
    assert_null(file_new(&ops, 0, NULL));
    fail_at = -1;

    /* A reference too many is a kernel bug. */
    f = file_new(&ops, 0, NULL);
    f->refs = 0;
    expect_assert_failure(file_put(f));
    expect_assert_failure(file_get(f));
    f->refs = 1;
    file_put(f);
    assert_int_equal(releases, 2);
}

static void test_file_changed(void **state)
{
    (void)state;
    struct file *f = file_new(&(const struct file_ops){ 0 }, 0, NULL);
    wakes = notifies = 0;
    file_changed(f);
    assert_int_equal(wakes, 1);
    assert_int_equal(notifies, 1);
    assert_ptr_equal(woken, &f->wq);
    assert_true(wake_seq < notify_seq); /* waiters on f first, then pollers */
    file_put(f);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_normalize),
        T(test_normalize_errors),
        T(test_vfs_new_errors),
        T(test_mount_points_hide_archive),
        T(test_stat_archive),
        T(test_stat_devices_and_mounts),
        T(test_archive_read_seek),
        T(test_archive_open_flags),
        T(test_open_keeps_flags),
        T(test_getdents_root),
        T(test_getdents_tiny_buffers),
        T(test_getdents_seek_resume),
        T(test_dev_null),
        T(test_console),
        T(test_device_table),
        T(test_device_shadows_archive),
        T(test_device_table_errors),
        T(test_no_devices),
        T(test_files_outlive_vfs),
        T(test_tmpfs_write_read_seek),
        T(test_tmpfs_gap_and_large),
        T(test_tmpfs_append_and_trunc),
        T(test_tmpfs_open_flags),
        T(test_tmpfs_mkdir),
        T(test_tmpfs_unlink_rmdir),
        T(test_tmpfs_unlink_while_open),
        T(test_tmpfs_rename),
        T(test_tmpfs_getdents),
        T(test_vfs_out_of_memory),
        T(test_tmpfs_enospc),
        T(test_tmpfs_out_of_memory),
        T(test_tmpfs_deep_unmount),
        T(test_file_refs),
        T(test_file_changed),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
