/* libc-mini string.h against glibc: every alignment of source and
 * destination, both directions of overlap, n = 0, bytes >= 0x80, and
 * guard bytes around each destination to catch stray writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "libc_mini.h"

#define BUF 160

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

static void fill_pattern(unsigned char *p, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)test_rand(&seed);
}

static void test_memcpy_alignments(void **state)
{
    unsigned char src[BUF], dst[BUF], want[BUF];
    (void)state;

    fill_pattern(src, BUF, 1);
    for (size_t so = 0; so < 16; so++)
        for (size_t d_off = 0; d_off < 16; d_off++)
            for (size_t n = 0; n <= 80; n++) {
                memset(dst, 0xee, BUF);
                memcpy(want, dst, BUF);
                memcpy(want + d_off, src + so, n);
                assert_ptr_equal(mini_memcpy(dst + d_off, src + so, n), dst + d_off);
                assert_memory_equal(dst, want, BUF);
            }
}

/* Both directions, every distance including 0 and the word-aligned ones. */
static void test_memmove_overlap(void **state)
{
    unsigned char buf[BUF], want[BUF];
    (void)state;

    for (size_t so = 0; so < 40; so++)
        for (size_t d_off = 0; d_off < 40; d_off++)
            for (size_t n = 0; n <= 72; n += (n < 20 ? 1 : 7)) {
                fill_pattern(buf, BUF, so * 1000 + n);
                memcpy(want, buf, BUF);
                memmove(want + d_off, want + so, n);
                assert_ptr_equal(mini_memmove(buf + d_off, buf + so, n), buf + d_off);
                assert_memory_equal(buf, want, BUF);
            }
}

static void test_memset(void **state)
{
    static const int values[] = {0, 0x5a, 0xff, -1, 0x1ff, 0x100, -128};
    unsigned char buf[BUF], want[BUF];
    (void)state;

    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++)
        for (size_t off = 0; off < 16; off++)
            for (size_t n = 0; n <= 100; n++) {
                fill_pattern(buf, BUF, n);
                memcpy(want, buf, BUF);
                memset(want + off, values[v], n);
                assert_ptr_equal(mini_memset(buf + off, values[v], n), buf + off);
                assert_memory_equal(buf, want, BUF);
            }
}

/* A difference at each position, in each direction, as unsigned bytes. */
static void test_memcmp(void **state)
{
    unsigned char a[64], b[64];
    (void)state;

    fill_pattern(a, sizeof a, 7);
    assert_int_equal(mini_memcmp(a, a + 1, 0), 0);
    for (size_t pos = 0; pos < sizeof a; pos++)
        for (int delta = -200; delta <= 200; delta += 50) {
            memcpy(b, a, sizeof b);
            b[pos] = (unsigned char)(a[pos] + delta);
            for (size_t n = 0; n <= sizeof a; n++)
                assert_int_equal(sign(mini_memcmp(a, b, n)), sign(memcmp(a, b, n)));
        }
}

static void test_memchr(void **state)
{
    unsigned char buf[40];
    (void)state;

    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 7 + 0x80);
    for (size_t n = 0; n <= sizeof buf; n++)
        for (int c = -1; c < 0x200; c++)
            assert_ptr_equal(mini_memchr(buf, c, n), memchr(buf, c, n));
}

/* Every length at every start offset, and strnlen on unterminated memory:
 * each buffer is exactly its length on the heap, so ASan sees any overread. */
static void test_strlen_strnlen(void **state)
{
    char buf[80];
    (void)state;

    for (size_t off = 0; off < 16; off++)
        for (size_t len = 0; len + off + 1 < sizeof buf; len++) {
            memset(buf, 'x', sizeof buf);
            buf[off + len] = '\0';
            assert_int_equal(mini_strlen(buf + off), len);
            for (size_t max = 0; max <= len + 2; max++)
                assert_int_equal(mini_strnlen(buf + off, max), len < max ? len : max);
        }
    for (size_t len = 0; len < 20; len++) {
        char *raw = malloc(len + 1);
        memset(raw, 'y', len + 1);
        assert_int_equal(mini_strnlen(raw, len), len);
        free(raw);
    }
}

static const char *const cmp_strings[] = {
    "", "a", "b", "ab", "abc", "abd", "abcd", "A", "\x80", "\xff", "a\x80",
    "a\x7f", "hello", "hello world", "hellp",
};
#define N_CMP (sizeof cmp_strings / sizeof cmp_strings[0])

static void test_strcmp_strncmp(void **state)
{
    (void)state;

    for (size_t i = 0; i < N_CMP; i++)
        for (size_t j = 0; j < N_CMP; j++) {
            const char *a = cmp_strings[i], *b = cmp_strings[j];
            assert_int_equal(sign(mini_strcmp(a, b)), sign(strcmp(a, b)));
            for (size_t n = 0; n < 14; n++)
                assert_int_equal(sign(mini_strncmp(a, b, n)), sign(strncmp(a, b, n)));
        }
}

/* Also the terminator itself, absent characters, and c beyond a char. */
static void test_strchr_strrchr(void **state)
{
    const char *s = "abracadabra \xe9\xe9!";
    (void)state;

    for (int c = -1; c < 0x200; c++) {
        assert_ptr_equal(mini_strchr(s, c), strchr(s, c));
        assert_ptr_equal(mini_strrchr(s, c), strrchr(s, c));
    }
    assert_ptr_equal(mini_strchr("", 0), strchr("", 0));
    assert_null(mini_strrchr("", 'a'));
}

static void test_strcpy(void **state)
{
    char dst[40];
    (void)state;

    for (size_t i = 0; i < N_CMP; i++) {
        memset(dst, '#', sizeof dst);
        assert_ptr_equal(mini_strcpy(dst + 1, cmp_strings[i]), dst + 1);
        assert_string_equal(dst + 1, cmp_strings[i]);
        assert_int_equal(dst[0], '#');
        assert_int_equal(dst[strlen(cmp_strings[i]) + 2], '#');
    }
}

/* strncpy must pad with NULs up to n and write nothing beyond it. */
static void test_strncpy(void **state)
{
    char dst[40], want[40];
    (void)state;

    for (size_t i = 0; i < N_CMP; i++)
        for (size_t n = 0; n < 16; n++) {
            memset(dst, '#', sizeof dst);
            memset(want, '#', sizeof want);
            strncpy(want, cmp_strings[i], n);
            assert_ptr_equal(mini_strncpy(dst, cmp_strings[i], n), dst);
            assert_memory_equal(dst, want, sizeof dst);
        }
}

static void test_strlcpy(void **state)
{
    const char *src = "kernel";
    char dst[16];
    (void)state;

    for (size_t size = 0; size < sizeof dst; size++) {
        size_t copied = size == 0 ? 0 : (size - 1 < 6 ? size - 1 : 6);
        memset(dst, '#', sizeof dst);
        assert_int_equal(mini_strlcpy(dst, src, size), 6);
        assert_memory_equal(dst, src, copied);
        if (size)
            assert_int_equal(dst[copied], '\0');
        for (size_t i = size; i < sizeof dst; i++)
            assert_int_equal(dst[i], '#');
    }
}

static void test_strstr(void **state)
{
    static const char *const cases[][2] = {
        {"", ""}, {"abc", ""}, {"", "a"}, {"abc", "a"}, {"abc", "c"},
        {"abc", "abc"}, {"abc", "abcd"}, {"aaab", "aab"}, {"abcabc", "cab"},
        {"hello world", "o w"}, {"abc", "d"}, {"mississippi", "issip"},
        {"aaaa", "aa"}, {"ab\xe9z", "\xe9z"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_ptr_equal(mini_strstr(cases[i][0], cases[i][1]),
                         strstr(cases[i][0], cases[i][1]));
}

int libc_test_string(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memcpy_alignments),
        cmocka_unit_test(test_memmove_overlap),
        cmocka_unit_test(test_memset),
        cmocka_unit_test(test_memcmp),
        cmocka_unit_test(test_memchr),
        cmocka_unit_test(test_strlen_strnlen),
        cmocka_unit_test(test_strcmp_strncmp),
        cmocka_unit_test(test_strchr_strrchr),
        cmocka_unit_test(test_strcpy),
        cmocka_unit_test(test_strncpy),
        cmocka_unit_test(test_strlcpy),
        cmocka_unit_test(test_strstr),
    };
    return cmocka_run_group_tests_name("libc-mini string.h", tests, NULL, NULL);
}
