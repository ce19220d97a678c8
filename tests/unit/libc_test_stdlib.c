/* libc-mini strtoul/strtoull/strtol, abs and ctype.h against glibc: prefixes,
 * signs, overflow and endptr in every base, and every character class for
 * each of the 256 byte values and EOF in the C locale. */
#include <ctype.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "libc_mini.h"

static const char *const numbers[] = {
    "0", "1", "123", "  42", "\t\n\v\f\r 7", "+7", "-7", "-0", "+", "-", "",
    "   ", " - 5", "+-5", "--5", "0x1f", "0X1F", "0x", "0xg", "0x-5", "-0x10",
    "017", "08", "09", "0b101", "z", "Z", "zz", "1234abc", "abc", "777777",
    "18446744073709551615", "18446744073709551616", "99999999999999999999999",
    "-18446744073709551615", "-18446744073709551616", "0xffffffffffffffff",
    "0x10000000000000000", "0xFFFFFFFFFFFFFFFFF", "9223372036854775807",
    "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
    "1777777777777777777777", "2000000000000000000000", "-1777777777777777777777",
    "11111111111111111111111111111111111111111111111111111111111111111",
    "3w5e11264sgsf", "3w5e11264sgsg", "-3w5e11264sgsf", "  +0X7fz",
};
#define N_NUMBERS (sizeof numbers / sizeof numbers[0])

static void test_strtoul_family(void **state)
{
    (void)state;

    for (size_t i = 0; i < N_NUMBERS; i++)
        for (int base = 0; base <= 36; base++) {
            const char *s = numbers[i];
            char *want_end, *got_end;

            if (base == 1)
                continue;
            assert_int_equal(mini_strtoul(s, &got_end, base),
                             strtoul(s, &want_end, base));
            assert_ptr_equal(got_end, want_end);
            assert_int_equal(mini_strtoull(s, &got_end, base),
                             strtoull(s, &want_end, base));
            assert_ptr_equal(got_end, want_end);
            assert_int_equal(mini_strtol(s, &got_end, base),
                             strtol(s, &want_end, base));
            assert_ptr_equal(got_end, want_end);
        }
}

/* The saturation that C specifies (with errno, which libc-mini lacks). */
static void test_strtoul_overflow(void **state)
{
    (void)state;
    assert_int_equal(mini_strtoul("18446744073709551616", NULL, 10), ULONG_MAX);
    assert_int_equal(mini_strtoul("-18446744073709551616", NULL, 10), ULONG_MAX);
    assert_int_equal(mini_strtoul("-1", NULL, 10), ULONG_MAX);
    assert_int_equal(mini_strtol("9223372036854775808", NULL, 10), LONG_MAX);
    assert_int_equal(mini_strtol("-9223372036854775808", NULL, 10), LONG_MIN);
    assert_int_equal(mini_strtol("-9223372036854775809", NULL, 0), LONG_MIN);
    assert_int_equal(mini_strtol("0x8000000000000000", NULL, 0), LONG_MAX);
}

/* Outside 2..36 nothing is converted and endptr stays at the start. */
static void test_strtoul_bad_base(void **state)
{
    static const int bases[] = {-1, 1, 37, INT_MIN, INT_MAX};
    const char *s = "123";
    (void)state;

    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        char *end = NULL;
        assert_int_equal(mini_strtoul(s, &end, bases[i]), 0);
        assert_ptr_equal(end, s);
        assert_int_equal(mini_strtol(s, &end, bases[i]), 0);
        assert_ptr_equal(end, s);
    }
}

static void test_abs(void **state)
{
    (void)state;
    assert_int_equal(mini_abs(0), 0);
    assert_int_equal(mini_abs(5), 5);
    assert_int_equal(mini_abs(-5), 5);
    assert_int_equal(mini_abs(INT_MAX), INT_MAX);
    assert_int_equal(mini_abs(-INT_MAX), INT_MAX);
}

/* The test never calls setlocale, so glibc is in the C locale. */
static void test_ctype_all_bytes(void **state)
{
    (void)state;

    for (int c = EOF; c <= UCHAR_MAX; c++) {
        assert_int_equal(!!mini_isdigit(c), !!isdigit(c));
        assert_int_equal(!!mini_isxdigit(c), !!isxdigit(c));
        assert_int_equal(!!mini_isalpha(c), !!isalpha(c));
        assert_int_equal(!!mini_isalnum(c), !!isalnum(c));
        assert_int_equal(!!mini_isspace(c), !!isspace(c));
        assert_int_equal(!!mini_isupper(c), !!isupper(c));
        assert_int_equal(!!mini_islower(c), !!islower(c));
        assert_int_equal(!!mini_isprint(c), !!isprint(c));
        assert_int_equal(mini_tolower(c), tolower(c));
        assert_int_equal(mini_toupper(c), toupper(c));
    }
}

int libc_test_stdlib(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strtoul_family),
        cmocka_unit_test(test_strtoul_overflow),
        cmocka_unit_test(test_strtoul_bad_base),
        cmocka_unit_test(test_abs),
        cmocka_unit_test(test_ctype_all_bytes),
    };
    return cmocka_run_group_tests_name("libc-mini stdlib.h, ctype.h", tests, NULL, NULL);
}
