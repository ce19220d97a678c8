/* libc-mini qsort and bsearch. qsort is checked against glibc's on random,
 * duplicate-heavy, sorted and reversed arrays of several element sizes,
 * and for its O(n log n) bound; bsearch for every hit and every miss. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "libc_mini.h"

/* The comparators get no size argument, so the current one is kept here. */
static size_t elem_size;
static size_t compares;

/* A total order on the element bytes: any correct sort gives one result. */
static int cmp_bytes(const void *a, const void *b)
{
    compares++;
    return memcmp(a, b, elem_size);
}

/* Only the first byte: equal keys with different payloads, for checking
 * that unstable sorting still keeps every element. */
static int cmp_first_byte(const void *a, const void *b)
{
    return *(const unsigned char *)a - *(const unsigned char *)b;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static size_t bit_length(size_t n)
{
    size_t bits = 0;

    for (; n; n >>= 1)
        bits++;
    return bits;
}

enum pattern { RANDOM, FEW_VALUES, SORTED, REVERSED, ALL_EQUAL, N_PATTERNS };

static void fill(unsigned char *p, size_t n, size_t size, enum pattern pat,
                 uint64_t seed)
{
    for (size_t i = 0; i < n * size; i++) {
        uint64_t r = test_rand(&seed);
        p[i] = pat == FEW_VALUES ? r % 3 : pat == ALL_EQUAL ? 9 : (unsigned char)r;
    }
    if (pat == SORTED || pat == REVERSED)
        qsort(p, n, size, cmp_bytes);
    for (size_t i = 0; pat == REVERSED && i < n / 2; i++)
        for (size_t b = 0; b < size; b++) {
            unsigned char t = p[i * size + b];
            p[i * size + b] = p[(n - 1 - i) * size + b];
            p[(n - 1 - i) * size + b] = t;
        }
}

static void test_qsort_against_glibc(void **state)
{
    static const size_t counts[] = {0, 1, 2, 3, 5, 8, 17, 64, 100, 1000};
    static const size_t sizes[] = {1, 2, 3, 4, 7, 8, 12, 16, 24, 33};
    (void)state;

    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
            for (int pat = 0; pat < N_PATTERNS; pat++) {
                size_t n = counts[c], bytes = n * sizes[s];
                /* Exact-size heap copies: ASan sees any access past the end. */
                unsigned char *got = malloc(bytes), *want = malloc(bytes);

                elem_size = sizes[s];
                fill(want, n, elem_size, pat, c * 100 + s * 10 + pat + 1);
                memcpy(got, want, bytes);
                qsort(want, n, elem_size, cmp_bytes);
                compares = 0;
                mini_qsort(got, n, elem_size, cmp_bytes);
                assert_memory_equal(got, want, bytes);
                /* Heapsort: at most 2 n (log2 n + 1) compares, on any input. */
                assert_true(compares <= 2 * n * bit_length(n));
                free(got);
                free(want);
            }
}

/* Sorting by a key shared by many elements must still permute, not lose,
 * the elements: sorted by key, then equal as a multiset to the input. */
static void test_qsort_unstable_keys(void **state)
{
    unsigned char in[400 * 5], out[400 * 5];
    uint64_t seed = 99;
    (void)state;

    for (size_t i = 0; i < sizeof in; i++)
        in[i] = i % 5 == 0 ? test_rand(&seed) % 4 : (unsigned char)test_rand(&seed);
    memcpy(out, in, sizeof in);
    mini_qsort(out, 400, 5, cmp_first_byte);
    for (size_t i = 1; i < 400; i++)
        assert_true(out[(i - 1) * 5] <= out[i * 5]);
    elem_size = 5;
    qsort(in, 400, 5, cmp_bytes);
    qsort(out, 400, 5, cmp_bytes);
    assert_memory_equal(in, out, sizeof in);
}

static void test_qsort_ints(void **state)
{
    int a[] = {5, -3, 2147483647, 0, -2147483647 - 1, 5, 42, -1, 7, 0};
    int want[] = {-2147483647 - 1, -3, -1, 0, 0, 5, 5, 7, 42, 2147483647};
    (void)state;

    mini_qsort(a, sizeof a / sizeof a[0], sizeof a[0], cmp_int);
    assert_memory_equal(a, want, sizeof a);
}

/* Arrays of the even numbers 0, 2, ..., 2(n-1): each one is found at its
 * own index, and every odd number and both ends are misses. */
static void test_bsearch(void **state)
{
    int a[64];
    (void)state;

    for (size_t i = 0; i < 64; i++)
        a[i] = 2 * i;
    for (size_t n = 0; n <= 64; n++)
        for (int key = -3; key <= 2 * (int)n + 1; key++) {
            int *hit = mini_bsearch(&key, a, n, sizeof a[0], cmp_int);
            if (key >= 0 && key % 2 == 0 && key < 2 * (int)n)
                assert_ptr_equal(hit, &a[key / 2]);
            else
                assert_null(hit);
        }
}

/* Odd element size: the search must step by size, not by sizeof(int). */
static void test_bsearch_odd_size(void **state)
{
    unsigned char a[3 * 50];
    unsigned char key[3] = {0};
    (void)state;

    elem_size = 3;
    for (size_t i = 0; i < 50; i++) {
        a[3 * i] = (unsigned char)(i * 5);
        a[3 * i + 1] = a[3 * i + 2] = 0;
    }
    for (int k = 0; k < 256; k++) {
        unsigned char *hit;
        key[0] = (unsigned char)k;
        hit = mini_bsearch(key, a, 50, 3, cmp_bytes);
        if (k % 5 == 0 && k < 250)
            assert_ptr_equal(hit, &a[3 * (k / 5)]);
        else
            assert_null(hit);
    }
}

int libc_test_sort(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qsort_against_glibc),
        cmocka_unit_test(test_qsort_unstable_keys),
        cmocka_unit_test(test_qsort_ints),
        cmocka_unit_test(test_bsearch),
        cmocka_unit_test(test_bsearch_odd_size),
    };
    return cmocka_run_group_tests_name("libc-mini qsort and bsearch", tests, NULL, NULL);
}
