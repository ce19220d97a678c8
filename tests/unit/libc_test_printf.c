/* libc-mini printf family against glibc: a generated table of integer
 * formats (all flags, widths, precisions, lengths), strings and characters.
 * Each case goes through vcbprintf and through vsnprintf at every size. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <cmocka.h>

#include "libc_mini.h"

/* vcbprintf's callback in the tests: gathers the characters it is given. */
struct collector {
    char buf[1024];
    size_t len;
};

static void collect(char c, void *ctx)
{
    struct collector *col = ctx;

    if (col->len < sizeof col->buf)
        col->buf[col->len] = c;
    col->len++;
}

static void mismatch(const char *fmt, const char *how, size_t n,
                     const char *want, size_t wlen, const char *got, size_t glen)
{
    print_error("format \"%s\", %s (n=%zu): want [%.*s] (%zu), got [%.*s] (%zu)\n",
                fmt, how, n, (int)wlen, want, wlen, (int)glen, got, glen);
    fail();
}

/* Checks that fmt with ap formats to want (wlen bytes, NULs allowed).
 * vsnprintf runs with every n from 0 to wlen + 1 into a heap buffer of
 * exactly n bytes, so ASan reports any write past the end. */
static void check_mini(const char *want, size_t wlen, const char *fmt, va_list ap)
{
    struct collector col = {.len = 0};
    va_list aq;
    int got;

    va_copy(aq, ap);
    got = mini_vcbprintf(collect, &col, fmt, aq);
    va_end(aq);
    if ((size_t)got != wlen || col.len != wlen || memcmp(col.buf, want, wlen))
        mismatch(fmt, "vcbprintf", 0, want, wlen, col.buf, col.len);

    for (size_t n = 0; n <= wlen + 1; n++) {
        char *buf = n ? malloc(n) : NULL;
        size_t kept = n ? (n - 1 < wlen ? n - 1 : wlen) : 0;

        if (buf)
            memset(buf, 0x5a, n);
        va_copy(aq, ap);
        got = mini_vsnprintf(buf, n, fmt, aq);
        va_end(aq);
        if ((size_t)got != wlen || (n && (memcmp(buf, want, kept) || buf[kept])))
            mismatch(fmt, "vsnprintf", n, want, wlen, buf ? buf : "", kept);
        free(buf);
    }
}

/* The reference is glibc's vsnprintf of the same format and arguments. */
__attribute__((format(printf, 1, 2)))
static void check_glibc(const char *fmt, ...)
{
    char want[1024];
    va_list ap, aq;
    int wlen;

    va_start(ap, fmt);
    va_copy(aq, ap);
    wlen = vsnprintf(want, sizeof want, fmt, aq);
    va_end(aq);
    assert_in_range(wlen, 0, sizeof want - 1);
    check_mini(want, wlen, fmt, ap);
    va_end(ap);
}

/* For what glibc does differently (%p, NULL strings) or does not do. */
__attribute__((format(printf, 2, 3)))
static void check_expect(const char *want, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    check_mini(want, strlen(want), fmt, ap);
    va_end(ap);
}

static const char *const flag_sets[] = {
    "", "-", "0", "+", " ", "-0", "+0", " 0", "-+", "- ", "+ ", "-+0",
};
static const char *const widths[] = {"", "1", "2", "6", "25"};
static const char *const precisions[] = {"", ".", ".0", ".1", ".5", ".23"};
static const char *const lengths[] = {"", "l", "ll", "z"};
static const unsigned long long values[] = {
    0, 1, 2, 7, 8, 9, 10, 15, 16, 42, 255, 256, 65535, 123456789,
    INT_MAX, (unsigned)INT_MIN, UINT_MAX, LONG_MAX, (unsigned long long)LONG_MIN,
    ULLONG_MAX, -42ull, 0xdeadbeefcafebabeull, 0x8000000000000001ull,
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Passes v as the type that the length and conversion of fmt expect. */
static void check_int(const char *fmt, size_t len, char conv, unsigned long long v)
{
    bool is_signed = conv == 'd' || conv == 'i';

    switch (len) {
    case 0:
        is_signed ? check_glibc(fmt, (int)v) : check_glibc(fmt, (unsigned)v);
        break;
    case 1:
        is_signed ? check_glibc(fmt, (long)v) : check_glibc(fmt, (unsigned long)v);
        break;
    case 2:
        is_signed ? check_glibc(fmt, (long long)v) : check_glibc(fmt, v);
        break;
    default:
        is_signed ? check_glibc(fmt, (ssize_t)v) : check_glibc(fmt, (size_t)v);
    }
}

/* Every combination of flags, width, precision, length and conversion, with
 * values at the edges of each type (INT_MIN, LLONG_MIN, ULLONG_MAX, 0). */
static void test_integer_table(void **state)
{
    static const char convs[] = "diuxXo";
    char fmt[32];
    (void)state;

    for (size_t f = 0; f < COUNT(flag_sets); f++)
        for (size_t w = 0; w < COUNT(widths); w++)
            for (size_t p = 0; p < COUNT(precisions); p++)
                for (size_t l = 0; l < COUNT(lengths); l++)
                    for (const char *c = convs; *c; c++) {
                        snprintf(fmt, sizeof fmt, "<%%%s%s%s%s%c>", flag_sets[f],
                                 widths[w], precisions[p], lengths[l], *c);
                        for (size_t v = 0; v < COUNT(values); v++)
                            check_int(fmt, l, *c, values[v]);
                    }
}

static void test_integer_edges(void **state)
{
    (void)state;
    check_glibc("%d %i", INT_MIN, INT_MAX);
    check_glibc("%ld %ld", LONG_MIN, LONG_MAX);
    check_glibc("%lld|%-25lld|%025lld", LLONG_MIN, LLONG_MIN, LLONG_MIN);
    check_glibc("%llu %llx %llX %llo", ULLONG_MAX, ULLONG_MAX, ULLONG_MAX, ULLONG_MAX);
    check_glibc("%zu %zx %zd %zd", SIZE_MAX, SIZE_MAX, (ssize_t)-5, (ssize_t)SSIZE_MAX);
    check_glibc("[%.0d][%5.0d][%-5.0d][%+.0d][% .0d]", 0, 0, 0, 0, 0);
    check_glibc("[%.0u][%.0x][%.0o][%.0lld]", 0u, 0u, 0u, 0ll);
    check_glibc("[%.d][%3.d]", 0, 0);
}

/* '*' width and precision, including negative ones. */
static void test_star(void **state)
{
    (void)state;
    check_glibc("[%*d]", 5, 42);
    check_glibc("[%*d]", -5, 42);
    check_glibc("[%-*d]", -5, 42);
    check_glibc("[%0*d]", 6, -3);
    check_glibc("[%.*d]", 3, 7);
    check_glibc("[%.*d]", -1, 7);
    check_glibc("[%.*d]", 0, 0);
    check_glibc("[%*.*d]", 8, 4, -12);
    check_glibc("[%*.*x]", -8, 4, 255u);
    check_glibc("[%*s]", 6, "ab");
    check_glibc("[%.*s]", 2, "abcdef");
    check_glibc("[%.*s]", -2, "abcdef");
    check_glibc("[%-*.*s]", -8, 3, "abcdef");
    check_glibc("[%*c]", 3, 'z');
    /* Past INT_MAX a precision saturates (a width would, too, but then
     * print two billion spaces). */
    check_expect("[abc]", "[%.99999999999s]", "abc");
    check_expect("[abc]", "[%.*s]", INT_MAX, "abc");
}

static void test_strings_and_chars(void **state)
{
    static const char *const strs[] = {"", "a", "hello", "hello, world"};
    static const char *const fmts[] = {
        "[%s]", "[%10s]", "[%-10s]", "[%.3s]", "[%10.3s]", "[%-10.3s]",
        "[%.0s]", "[%.20s]", "[%1s]", "[%-1s]", "[%0s]",
    };
    /* A precision lets %s read from memory with no NUL in it. */
    static const char raw[3] = {'a', 'b', 'c'};
    char long_str[300];
    (void)state;

    for (size_t f = 0; f < COUNT(fmts); f++)
        for (size_t s = 0; s < COUNT(strs); s++)
            check_glibc(fmts[f], strs[s]);
    check_glibc("[%.3s]", raw);
    memset(long_str, 'L', sizeof long_str - 1);
    long_str[sizeof long_str - 1] = '\0';
    check_glibc("%s|%310s", long_str, long_str);
    check_glibc("[%c][%5c][%-5c][%c%c%c]", 'A', 'b', 'c', 'x', 'y', 'z');
    check_glibc("[%c]", 0xe9);
    check_glibc("a%cb", 0); /* a NUL in the middle of the output */
}

static void test_literal_text(void **state)
{
    const char *empty = ""; /* a variable: gcc rejects a literal "" format */
    (void)state;
    check_glibc("plain text");
    check_glibc(empty, 0);
    check_glibc("100%% %d%% %%d", 5);
    check_glibc("%s=%d (0x%08x) %-6s|%+5i", "irq", 14, 0xfee00000u, "apic", 3);
}

/* Behaviour that glibc does not share: fixed-width %p and "(null)". */
static void test_pointers_and_null(void **state)
{
    /* volatile: a visible NULL for %s is a compile error under -Werror. */
    const char *volatile null_str = NULL;
    (void)state;
    check_expect("0x0000000000000000", "%p", NULL);
    check_expect("0xffffffff80001000", "%p", (void *)0xffffffff80001000ull);
    check_expect("[0x0000000000001234]", "[%p]", (void *)0x1234);
    check_expect("[  0x00000000deadbeef]", "[%20p]", (void *)0xdeadbeef);
    check_expect("[0x00000000deadbeef  ]", "[%-20p]", (void *)0xdeadbeef);
    check_expect("(null)", "%s", null_str);
    check_expect("[  (null)]", "[%8s]", null_str);
    check_expect("[(nu]", "[%.3s]", null_str);
}

/* Unknown conversions come out as written; the formats are variables so
 * that gcc does not reject them. */
static void test_unknown_conversion(void **state)
{
    const char *fmts[][2] = {
        {"%q", "%q"}, {"a%-5qb", "a%-5qb"}, {"%lq|%d", "%lq|7"},
        {"abc%", "abc%"}, {"abc%-5", "abc%-5"}, {"%ll", "%ll"},
    };
    (void)state;

    for (size_t i = 0; i < COUNT(fmts); i++)
        check_expect(fmts[i][1], fmts[i][0], 7);
}

/* snprintf itself (the other cases go through vsnprintf directly). */
static void test_snprintf(void **state)
{
    char buf[8];
    (void)state;

    assert_int_equal(mini_snprintf(buf, sizeof buf, "%d-%s", 12, "ab"), 5);
    assert_string_equal(buf, "12-ab");
    assert_int_equal(mini_snprintf(buf, 4, "%x", 0xabcdefu), 6);
    assert_string_equal(buf, "abc");
    assert_int_equal(mini_snprintf(NULL, 0, "%5d", 1), 5);
}

int libc_test_printf(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integer_table),
        cmocka_unit_test(test_integer_edges),
        cmocka_unit_test(test_star),
        cmocka_unit_test(test_strings_and_chars),
        cmocka_unit_test(test_literal_text),
        cmocka_unit_test(test_pointers_and_null),
        cmocka_unit_test(test_unknown_conversion),
        cmocka_unit_test(test_snprintf),
    };
    return cmocka_run_group_tests_name("libc-mini printf", tests, NULL, NULL);
}
