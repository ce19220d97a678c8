/* Unit tests for percore/vma.c: splitting by map/unmap/protect at every
 * position, the charge against the limit, a full array, vma_find and
 * vma_find_gap at their edges, and vma_check, the kernel's one user-pointer
 * check. A randomized run compares everything with a page-by-page model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "uapi.h"
#include "vma.h"

#define PG VMA_PAGE
#define BASE 0x400000ull     /* page n of the tests is BASE + n * PG */
#define A(n) (BASE + (uint64_t)(n) * PG)
#define RW (PROT_READ | PROT_WRITE)
#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)
#define RX (PROT_READ | PROT_EXEC)
#define NORES VMA_NORESERVE
#define UNLIMITED UINT64_MAX

/* An area in test pages; prot and flags as in struct vma. */
struct area {
    int start, end;
    uint32_t prot, flags;
};
#define END {-1, -1, 0, 0}

static struct vma_set s, before;

/* Everything the header promises, and charged recomputed from the areas. */
static void assert_invariants(const struct vma_set *v)
{
    uint64_t charged = 0;
    assert_true(v->n >= 0 && v->n <= VMA_MAX);
    for (int i = 0; i < v->n; i++) {
        const struct vma *a = &v->v[i];
        assert_true(a->start < a->end);
        assert_int_equal(a->start % PG, 0);
        assert_int_equal(a->end % PG, 0);
        assert_true(a->start >= VMA_USER_MIN && a->end <= VMA_USER_MAX);
        if (i > 0)
            assert_true(v->v[i - 1].end <= a->start);
        if (vma_chargeable(a->prot, a->flags))
            charged += (a->end - a->start) / PG;
    }
    assert_int_equal(v->charged, charged);
    assert_true(v->charged <= v->limit);
}

static void assert_areas(const struct area *want)
{
    assert_invariants(&s);
    int n = 0;
    while (want[n].start >= 0)
        n++;
    assert_int_equal(s.n, n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(s.v[i].start, A(want[i].start));
        assert_int_equal(s.v[i].end, A(want[i].end));
        assert_int_equal(s.v[i].prot, want[i].prot);
        assert_int_equal(s.v[i].flags, want[i].flags);
    }
}

static void map_areas(const struct area *a)
{
    for (; a->start >= 0; a++)
        assert_int_equal(vma_map(&s, A(a->start), A(a->end), a->prot, a->flags), 0);
}

static void save(void) { memcpy(&before, &s, sizeof(s)); }
static void assert_unchanged(void) { assert_memory_equal(&before, &s, sizeof(s)); }

static int setup(void **state)
{
    (void)state;
    memset(&s, 0xa5, sizeof(s)); /* vma_init must not rely on zeroed memory */
    vma_init(&s, UNLIMITED);
    return 0;
}

/* ---- init and argument checks */

static void test_init(void **state)
{
    (void)state;
    vma_init(&s, 77);
    assert_int_equal(s.n, 0);
    assert_int_equal(s.charged, 0);
    assert_int_equal(s.limit, 77);
    assert_null(vma_find(&s, A(0)));
    assert_int_equal(vma_check(&s, A(0), 1, PROT_NONE), -EFAULT);
}

static void test_chargeable(void **state)
{
    (void)state;
    for (uint32_t prot = 0; prot < 8; prot++) {
        assert_int_equal(vma_chargeable(prot, 0), (prot & PROT_WRITE) != 0);
        assert_false(vma_chargeable(prot, NORES));
        assert_false(vma_chargeable(prot, VMA_DEVICE)); /* a device's registers are no memory of the node's */
    }
}

static void test_bad_ranges_einval(void **state)
{
    (void)state;
    static const struct {
        uint64_t start, end;
    } bad[] = {
        {A(1), A(1)},                                  /* empty */
        {A(2), A(1)},                                  /* backwards */
        {A(1) + 1, A(2)},                              /* unaligned */
        {A(1), A(2) - 1},
        {A(1), A(2) + 2048},
        {0, PG},                                       /* below user space */
        {VMA_USER_MIN - PG, VMA_USER_MIN + PG},
        {VMA_USER_MAX - PG, VMA_USER_MAX + PG},        /* above it */
        {VMA_USER_MAX, VMA_USER_MAX + PG},
        {0x0000800000000000ull, 0x0000800000001000ull}, /* non-canonical */
        {0xffff800000000000ull, 0xffff800000001000ull}, /* the physical map */
        {0xffffffff80100000ull, 0xffffffff80200000ull}, /* the kernel image */
        {A(1), 0},                                     /* "wraps" */
        {0xfffffffffffff000ull, 0},
    };
    const struct area have[] = {{1, 4, RW, 0}, END};
    map_areas(have);
    save();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(vma_map(&s, bad[i].start, bad[i].end, RW, 0), -EINVAL);
        assert_int_equal(vma_unmap(&s, bad[i].start, bad[i].end), -EINVAL);
        assert_int_equal(vma_protect(&s, bad[i].start, bad[i].end, PROT_READ), -EINVAL);
        assert_unchanged();
    }
}

static void test_user_space_edges(void **state)
{
    (void)state;
    assert_int_equal(vma_map(&s, VMA_USER_MIN, VMA_USER_MIN + PG, RW, 0), 0);
    assert_int_equal(vma_map(&s, VMA_USER_MAX - 2 * PG, VMA_USER_MAX, PROT_READ, 0), 0);
    assert_invariants(&s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.charged, 1);
    assert_int_equal(vma_check(&s, VMA_USER_MIN, PG, RW), 0);
    assert_int_equal(vma_check(&s, VMA_USER_MAX - 1, 1, PROT_READ), 0);
    assert_int_equal(vma_protect(&s, VMA_USER_MAX - PG, VMA_USER_MAX, RW), 0);
    assert_int_equal(vma_unmap(&s, VMA_USER_MIN, VMA_USER_MAX), 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(s.charged, 0);
}

static void test_map_sorted(void **state)
{
    (void)state;
    const struct area in[] = {{20, 21, RW, 0}, {3, 5, PROT_READ, 0}, {10, 12, RX, NORES},
                              {0, 1, PROT_NONE, 0}, {5, 7, RW, NORES}, {12, 13, RWX, 0}, END};
    const struct area want[] = {{0, 1, PROT_NONE, 0}, {3, 5, PROT_READ, 0}, {5, 7, RW, NORES},
                                {10, 12, RX, NORES}, {12, 13, RWX, 0}, {20, 21, RW, 0}, END};
    map_areas(in);
    assert_areas(want);
    assert_int_equal(s.charged, 2);
}

/* ---- splitting at every position: [2, 6) RW, and an operation on [lo, hi) */

struct split_case {
    int lo, hi;
    struct area want[4];
};

static const struct split_case map_cases[] = {
    {0, 2, {{0, 2, PROT_READ, 0}, {2, 6, RW, 0}, END}},           /* adjacent below */
    {1, 3, {{1, 3, PROT_READ, 0}, {3, 6, RW, 0}, END}},           /* over the start */
    {2, 4, {{2, 4, PROT_READ, 0}, {4, 6, RW, 0}, END}},           /* at the start */
    {3, 5, {{2, 3, RW, 0}, {3, 5, PROT_READ, 0}, {5, 6, RW, 0}, END}}, /* middle */
    {4, 6, {{2, 4, RW, 0}, {4, 6, PROT_READ, 0}, END}},           /* at the end */
    {5, 7, {{2, 5, RW, 0}, {5, 7, PROT_READ, 0}, END}},           /* over the end */
    {6, 8, {{2, 6, RW, 0}, {6, 8, PROT_READ, 0}, END}},           /* adjacent above */
    {2, 6, {{2, 6, PROT_READ, 0}, END}},                          /* exact */
    {1, 7, {{1, 7, PROT_READ, 0}, END}},                          /* covering */
    {2, 3, {{2, 3, PROT_READ, 0}, {3, 6, RW, 0}, END}},           /* first page */
    {5, 6, {{2, 5, RW, 0}, {5, 6, PROT_READ, 0}, END}},           /* last page */
};

static const struct split_case unmap_cases[] = {
    {0, 2, {{2, 6, RW, 0}, END}},
    {1, 3, {{3, 6, RW, 0}, END}},
    {2, 4, {{4, 6, RW, 0}, END}},
    {3, 5, {{2, 3, RW, 0}, {5, 6, RW, 0}, END}},
    {4, 6, {{2, 4, RW, 0}, END}},
    {5, 7, {{2, 5, RW, 0}, END}},
    {6, 8, {{2, 6, RW, 0}, END}},
    {2, 6, {END}},
    {1, 7, {END}},
    {2, 3, {{3, 6, RW, 0}, END}},
    {5, 6, {{2, 5, RW, 0}, END}},
};

static const struct split_case protect_cases[] = {
    {2, 4, {{2, 4, PROT_READ, 0}, {4, 6, RW, 0}, END}},
    {3, 5, {{2, 3, RW, 0}, {3, 5, PROT_READ, 0}, {5, 6, RW, 0}, END}},
    {4, 6, {{2, 4, RW, 0}, {4, 6, PROT_READ, 0}, END}},
    {2, 6, {{2, 6, PROT_READ, 0}, END}},
    {2, 3, {{2, 3, PROT_READ, 0}, {3, 6, RW, 0}, END}},
    {5, 6, {{2, 5, RW, 0}, {5, 6, PROT_READ, 0}, END}},
};

static uint64_t pages_of(const struct area *a, int only_chargeable)
{
    uint64_t n = 0;
    for (; a->start >= 0; a++)
        if (!only_chargeable || vma_chargeable(a->prot, a->flags))
            n += (uint64_t)(a->end - a->start);
    return n;
}

static void test_map_splits(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(map_cases) / sizeof(map_cases[0]); i++) {
        vma_init(&s, UNLIMITED);
        assert_int_equal(vma_map(&s, A(2), A(6), RW, 0), 0);
        assert_int_equal(vma_map(&s, A(map_cases[i].lo), A(map_cases[i].hi), PROT_READ, 0), 0);
        assert_areas(map_cases[i].want);
        assert_int_equal(s.charged, pages_of(map_cases[i].want, 1));
    }
}

static void test_unmap_splits(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(unmap_cases) / sizeof(unmap_cases[0]); i++) {
        vma_init(&s, UNLIMITED);
        assert_int_equal(vma_map(&s, A(2), A(6), RW, 0), 0);
        assert_int_equal(vma_unmap(&s, A(unmap_cases[i].lo), A(unmap_cases[i].hi)), 0);
        assert_areas(unmap_cases[i].want);
        assert_int_equal(s.charged, pages_of(unmap_cases[i].want, 1));
    }
}

static void test_protect_splits(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(protect_cases) / sizeof(protect_cases[0]); i++) {
        vma_init(&s, UNLIMITED);
        assert_int_equal(vma_map(&s, A(2), A(6), RW, 0), 0);
        assert_int_equal(vma_protect(&s, A(protect_cases[i].lo), A(protect_cases[i].hi), PROT_READ), 0);
        assert_areas(protect_cases[i].want);
        assert_int_equal(s.charged, pages_of(protect_cases[i].want, 1));
    }
}

static void test_protect_unmapped_enomem(void **state)
{
    (void)state;
    /* Any unmapped page in the range: -ENOMEM and nothing changes. */
    const int ranges[][2] = {{0, 2}, {1, 3}, {5, 7}, {1, 7}, {6, 8}, {3, 10}, {5, 9}, {7, 8}};
    const struct area have[] = {{2, 6, RW, 0}, {8, 10, PROT_READ, 0}, END};
    map_areas(have);
    save();
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        assert_int_equal(vma_protect(&s, A(ranges[i][0]), A(ranges[i][1]), RWX), -ENOMEM);
        assert_unchanged();
    }
}

static void test_spanning_several(void **state)
{
    (void)state;
    const struct area have[] = {{2, 4, RW, 0}, {5, 7, PROT_READ, NORES}, {8, 10, RX, 0}, {10, 12, RW, NORES}, END};
    /* map over three and a half areas and the holes between them */
    map_areas(have);
    assert_int_equal(vma_map(&s, A(3), A(11), PROT_EXEC, 0), 0);
    const struct area mapped[] = {{2, 3, RW, 0}, {3, 11, PROT_EXEC, 0}, {11, 12, RW, NORES}, END};
    assert_areas(mapped);
    assert_int_equal(s.charged, 1);

    vma_init(&s, UNLIMITED);
    map_areas(have);
    assert_int_equal(vma_unmap(&s, A(3), A(11)), 0);
    const struct area unmapped[] = {{2, 3, RW, 0}, {11, 12, RW, NORES}, END};
    assert_areas(unmapped);

    /* protect across adjacent areas (no hole): each keeps its own flags */
    vma_init(&s, UNLIMITED);
    const struct area adjacent[] = {{2, 4, PROT_READ, 0}, {4, 6, PROT_READ, NORES}, {6, 9, PROT_NONE, 0}, END};
    map_areas(adjacent);
    assert_int_equal(vma_protect(&s, A(3), A(8), RW), 0);
    const struct area prot[] = {{2, 3, PROT_READ, 0}, {3, 4, RW, 0}, {4, 6, RW, NORES},
                                {6, 8, RW, 0}, {8, 9, PROT_NONE, 0}, END};
    assert_areas(prot);
    assert_int_equal(s.charged, 3);
    assert_int_equal(vma_check(&s, A(3), 5 * PG, RW), 0);
    /* and back: the charge is returned */
    assert_int_equal(vma_protect(&s, A(2), A(9), PROT_NONE), 0);
    assert_int_equal(s.charged, 0);
    assert_invariants(&s);
}

static void test_unmap_nothing(void **state)
{
    (void)state;
    assert_int_equal(vma_unmap(&s, A(0), A(100)), 0);
    assert_int_equal(s.n, 0);
    const struct area have[] = {{2, 4, RW, 0}, {8, 10, RW, 0}, END};
    map_areas(have);
    save();
    assert_int_equal(vma_unmap(&s, A(4), A(8)), 0);
    assert_int_equal(vma_unmap(&s, A(10), A(11)), 0);
    assert_unchanged();
}

/* ---- charging */

static void test_charge_limit_map(void **state)
{
    (void)state;
    vma_init(&s, 10);
    assert_int_equal(vma_map(&s, A(0), A(6), RW, 0), 0);
    assert_int_equal(s.charged, 6);
    save();
    assert_int_equal(vma_map(&s, A(10), A(15), RW, 0), -ENOMEM); /* 11 > 10 */
    assert_unchanged();
    assert_int_equal(vma_map(&s, A(10), A(15), PROT_WRITE, 0), -ENOMEM);
    assert_unchanged();
    assert_int_equal(vma_map(&s, A(10), A(14), RWX, 0), 0); /* exactly the limit */
    assert_int_equal(s.charged, 10);
    /* not charged: read-only, PROT_NONE, NORESERVE */
    assert_int_equal(vma_map(&s, A(20), A(120), RX, 0), 0);
    assert_int_equal(vma_map(&s, A(120), A(130), PROT_NONE, 0), 0);
    assert_int_equal(vma_map(&s, A(200), A(1200), RW, NORES), 0);
    assert_int_equal(s.charged, 10);
    save();
    assert_int_equal(vma_map(&s, A(1300), A(1301), RW, 0), -ENOMEM);
    assert_unchanged();
    /* unmapping gives back */
    assert_int_equal(vma_unmap(&s, A(2), A(4)), 0);
    assert_int_equal(s.charged, 8);
    assert_int_equal(vma_map(&s, A(1300), A(1302), RW, 0), 0);
    assert_int_equal(s.charged, 10);
    assert_invariants(&s);
}

static void test_charge_limit_replace(void **state)
{
    (void)state;
    /* A map over charged pages only pays for the difference. */
    vma_init(&s, 10);
    assert_int_equal(vma_map(&s, A(0), A(10), RW, 0), 0);
    assert_int_equal(vma_map(&s, A(0), A(10), RWX, 0), 0);
    assert_int_equal(vma_map(&s, A(3), A(7), RW, 0), 0);
    assert_int_equal(s.charged, 10);
    save();
    assert_int_equal(vma_map(&s, A(5), A(11), RW, 0), -ENOMEM); /* 5 + 6 */
    assert_unchanged();
    assert_int_equal(vma_map(&s, A(9), A(11), RW, NORES), 0); /* replaces a charged page */
    assert_int_equal(s.charged, 9);
    assert_int_equal(vma_map(&s, A(20), A(21), RW, 0), 0);
    assert_int_equal(s.charged, 10);
    /* replacing with something uncharged frees the charge at once */
    assert_int_equal(vma_map(&s, A(0), A(4), PROT_READ, 0), 0);
    assert_int_equal(s.charged, 6);
    assert_int_equal(vma_map(&s, A(30), A(34), RW, 0), 0);
    assert_int_equal(s.charged, 10);
    assert_invariants(&s);
}

static void test_charge_limit_protect(void **state)
{
    (void)state;
    vma_init(&s, 10);
    const struct area have[] = {{0, 6, RW, 0}, {6, 12, PROT_READ, 0}, {12, 40, PROT_READ, NORES}, END};
    map_areas(have);
    assert_int_equal(s.charged, 6);
    save();
    assert_int_equal(vma_protect(&s, A(6), A(11), RW), -ENOMEM); /* 11 */
    assert_unchanged();
    assert_int_equal(vma_protect(&s, A(0), A(12), PROT_WRITE), -ENOMEM);
    assert_unchanged();
    assert_int_equal(vma_protect(&s, A(6), A(10), RWX), 0); /* exactly 10 */
    assert_int_equal(s.charged, 10);
    /* NORESERVE areas never charge, whatever their protection */
    assert_int_equal(vma_protect(&s, A(12), A(40), RW), 0);
    assert_int_equal(s.charged, 10);
    /* protecting writable to writable costs nothing more */
    assert_int_equal(vma_protect(&s, A(0), A(10), PROT_WRITE), 0);
    assert_int_equal(s.charged, 10);
    /* read-only gives back; a range mixing give and take is summed */
    assert_int_equal(vma_protect(&s, A(0), A(3), PROT_READ), 0);
    assert_int_equal(s.charged, 7);
    assert_int_equal(vma_protect(&s, A(0), A(12), RW), -ENOMEM); /* 12 */
    assert_int_equal(vma_protect(&s, A(2), A(11), RW), 0);       /* +1 +1 -0 = 9 */
    assert_int_equal(s.charged, 9);
    const struct area want[] = {{0, 2, PROT_READ, 0}, {2, 3, RW, 0}, {3, 6, RW, 0}, {6, 10, RW, 0},
                                {10, 11, RW, 0}, {11, 12, PROT_READ, 0}, {12, 40, RW, NORES}, END};
    assert_invariants(&s);
    /* the split points are not promised, only what each page is: compare by page */
    for (const struct area *w = want; w->start >= 0; w++)
        for (int p = w->start; p < w->end; p++) {
            const struct vma *a = vma_find(&s, A(p));
            assert_non_null(a);
            assert_int_equal(a->prot, w->prot);
            assert_int_equal(a->flags, w->flags);
        }
}

static void test_limit_zero(void **state)
{
    (void)state;
    vma_init(&s, 0);
    assert_int_equal(vma_map(&s, A(0), A(1), RW, 0), -ENOMEM);
    assert_int_equal(vma_map(&s, A(0), A(1), PROT_READ, 0), 0);
    assert_int_equal(vma_protect(&s, A(0), A(1), RW), -ENOMEM);
    assert_int_equal(vma_map(&s, A(1), A(2), RW, NORES), 0);
    assert_int_equal(s.charged, 0);
    assert_int_equal(s.n, 2);
}

/* ---- a full array */

/* VMA_MAX - spare areas of 3 pages with a page of hole after each. */
static void fill(int spare)
{
    for (int i = 0; i < VMA_MAX - spare; i++)
        assert_int_equal(vma_map(&s, A(4 * i), A(4 * i + 3), RW, 0), 0);
    assert_int_equal(s.n, VMA_MAX - spare);
    assert_int_equal(s.charged, 3ull * (VMA_MAX - spare));
}

static void test_full_array(void **state)
{
    (void)state;
    fill(0);
    save();
    assert_int_equal(vma_map(&s, A(3), A(4), RW, 0), -ENOMEM); /* in a hole */
    assert_unchanged();
    assert_int_equal(vma_map(&s, A(4 * VMA_MAX + 10), A(4 * VMA_MAX + 11), PROT_READ, 0), -ENOMEM);
    assert_unchanged();
    assert_int_equal(vma_map(&s, A(1), A(2), PROT_READ, 0), -ENOMEM); /* a split */
    assert_unchanged();
    assert_int_equal(vma_unmap(&s, A(5), A(6)), -ENOMEM); /* a split */
    assert_unchanged();
    assert_int_equal(vma_protect(&s, A(5), A(6), PROT_READ), -ENOMEM);
    assert_unchanged();
    assert_int_equal(vma_protect(&s, A(4), A(5), PROT_READ), -ENOMEM); /* one split */
    assert_unchanged();
    /* what needs no new slot still works */
    assert_int_equal(vma_protect(&s, A(4), A(7), PROT_READ), 0);
    assert_int_equal(vma_unmap(&s, A(1), A(3)), 0); /* trims the end */
    assert_int_equal(vma_unmap(&s, A(8), A(9)), 0); /* trims */
    assert_int_equal(vma_unmap(&s, A(4 * 100), A(4 * 100 + 3)), 0);
    assert_int_equal(s.n, VMA_MAX - 1);
    assert_int_equal(s.charged, 3ull * VMA_MAX - 3 - 2 - 1 - 3);
    assert_invariants(&s);
}

static void test_almost_full_array(void **state)
{
    (void)state;
    fill(1);
    save();
    assert_int_equal(vma_map(&s, A(1), A(2), PROT_READ, 0), -ENOMEM); /* 2 more needed */
    assert_unchanged();
    assert_int_equal(vma_protect(&s, A(5), A(6), PROT_READ), -ENOMEM);
    assert_unchanged();
    assert_int_equal(vma_protect(&s, A(4), A(5), PROT_READ), 0); /* 1 more */
    assert_int_equal(s.n, VMA_MAX);
    vma_init(&s, UNLIMITED);
    fill(1);
    assert_int_equal(vma_unmap(&s, A(5), A(6)), 0);
    assert_int_equal(s.n, VMA_MAX);
    vma_init(&s, UNLIMITED);
    fill(1);
    assert_int_equal(vma_map(&s, A(3), A(4), PROT_READ, 0), 0);
    assert_int_equal(s.n, VMA_MAX);
    vma_init(&s, UNLIMITED);
    fill(1);
    assert_int_equal(vma_map(&s, A(1), A(3), PROT_READ, 0), 0); /* the end of one */
    assert_int_equal(s.n, VMA_MAX);
    vma_init(&s, UNLIMITED);
    fill(1);
    assert_int_equal(vma_map(&s, A(4), A(5), PROT_READ, 0), 0); /* the start of one */
    assert_int_equal(s.n, VMA_MAX);
    /* one map replacing ten areas */
    vma_init(&s, UNLIMITED);
    fill(1);
    assert_int_equal(vma_map(&s, A(0), A(4 * 10), PROT_READ, 0), 0);
    assert_int_equal(s.n, VMA_MAX - 1 - 10 + 1);
    assert_invariants(&s);
}

/* ---- vma_find */

static void test_find_boundaries(void **state)
{
    (void)state;
    assert_null(vma_find(&s, A(0)));
    const struct area have[] = {{2, 4, RW, 0}, {4, 6, PROT_READ, 0}, {8, 9, RX, 0}, END};
    map_areas(have);
    assert_null(vma_find(&s, 0));
    assert_null(vma_find(&s, A(2) - 1));
    assert_ptr_equal(vma_find(&s, A(2)), &s.v[0]);
    assert_ptr_equal(vma_find(&s, A(4) - 1), &s.v[0]);
    assert_ptr_equal(vma_find(&s, A(4)), &s.v[1]); /* adjacent: the one starting there */
    assert_ptr_equal(vma_find(&s, A(6) - 1), &s.v[1]);
    assert_null(vma_find(&s, A(6)));
    assert_null(vma_find(&s, A(8) - 1));
    assert_ptr_equal(vma_find(&s, A(8)), &s.v[2]);
    assert_ptr_equal(vma_find(&s, A(9) - 1), &s.v[2]);
    assert_null(vma_find(&s, A(9)));
    assert_null(vma_find(&s, VMA_USER_MAX));
    assert_null(vma_find(&s, 0xffffffff80100000ull));
    assert_null(vma_find(&s, UINT64_MAX));
}

static void test_find_many(void **state)
{
    (void)state;
    /* Areas of 1..3 pages, holes of 0..2: every page edge of the binary search. */
    int owner[1000];
    int page = 0, n = 0;
    memset(owner, -1, sizeof(owner));
    while (page < 990) {
        int len = 1 + n % 3, hole = (n * 7) % 3;
        assert_int_equal(vma_map(&s, A(page), A(page + len), (uint32_t)(n % 8), 0), 0);
        for (int p = page; p < page + len; p++)
            owner[p] = n;
        page += len + hole;
        n++;
    }
    assert_int_equal(s.n, n);
    for (int p = 0; p < 1000; p++) {
        const struct vma *a;
        a = vma_find(&s, A(p));
        if (owner[p] < 0) {
            assert_null(a);
            assert_null(vma_find(&s, A(p) + PG - 1));
        } else {
            assert_ptr_equal(a, &s.v[owner[p]]);
            assert_ptr_equal(vma_find(&s, A(p) + PG - 1), &s.v[owner[p]]);
            assert_ptr_equal(vma_find(&s, A(p) + 123), &s.v[owner[p]]);
        }
    }
}

/* ---- vma_find_gap */

static void test_find_gap_empty(void **state)
{
    (void)state;
    assert_int_equal(vma_find_gap(&s, PG, VMA_USER_MAX), VMA_USER_MAX - PG);
    assert_int_equal(vma_find_gap(&s, 16 * PG, A(100)), A(84));
    assert_int_equal(vma_find_gap(&s, PG, A(100) + 5), A(99)); /* below is rounded down */
    assert_int_equal(vma_find_gap(&s, VMA_USER_MAX - VMA_USER_MIN, VMA_USER_MAX), VMA_USER_MIN);
    assert_int_equal(vma_find_gap(&s, VMA_USER_MAX - VMA_USER_MIN + PG, VMA_USER_MAX), 0);
    assert_int_equal(vma_find_gap(&s, PG, VMA_USER_MIN + PG), VMA_USER_MIN);
    assert_int_equal(vma_find_gap(&s, PG, VMA_USER_MIN), 0);
    assert_int_equal(vma_find_gap(&s, PG, VMA_USER_MIN - PG), 0);
    assert_int_equal(vma_find_gap(&s, PG, 0), 0);
    /* bad arguments */
    assert_int_equal(vma_find_gap(&s, 0, A(100)), 0);
    assert_int_equal(vma_find_gap(&s, PG + 1, A(100)), 0);
    assert_int_equal(vma_find_gap(&s, PG, VMA_USER_MAX + PG), 0);
    assert_int_equal(vma_find_gap(&s, PG, UINT64_MAX), 0);
    assert_int_equal(vma_find_gap(&s, UINT64_MAX & ~(PG - 1), VMA_USER_MAX), 0);
}

static void test_find_gap_top_down(void **state)
{
    (void)state;
    /* holes: [0, 2) 2 pages, [4, 5) 1, [7, 10) 3 exactly, [12, ...) open */
    const struct area have[] = {{2, 4, RW, 0}, {5, 7, RW, 0}, {10, 12, RW, 0}, END};
    map_areas(have);
    assert_int_equal(vma_find_gap(&s, PG, A(12)), A(9));        /* highest fitting */
    assert_int_equal(vma_find_gap(&s, PG, A(11)), A(9));        /* below inside an area */
    assert_int_equal(vma_find_gap(&s, 3 * PG, A(12)), A(7));    /* exact fit */
    assert_int_equal(vma_find_gap(&s, 3 * PG, A(10)), A(7));    /* below is the area's start */
    assert_int_equal(vma_find_gap(&s, 3 * PG, A(9)), A(-1));     /* [7,9) too short now */
    assert_int_equal(vma_find_gap(&s, 4 * PG, A(12)), A(-2));   /* only below page 0 */
    assert_int_equal(vma_find_gap(&s, PG, A(5)), A(4));
    assert_int_equal(vma_find_gap(&s, PG, A(4)), A(1));
    assert_int_equal(vma_find_gap(&s, 2 * PG, A(7)), A(0));
    assert_int_equal(vma_find_gap(&s, 2 * PG, A(20)), A(18));
    assert_int_equal(vma_find_gap(&s, 8 * PG, A(20)), A(12));   /* exact up to below */
    assert_int_equal(vma_find_gap(&s, 9 * PG, A(20)), A(-7));   /* [12,20) is one short */
    assert_int_equal(vma_find_gap(&s, PG, VMA_USER_MAX), VMA_USER_MAX - PG);
}

static void test_find_gap_no_room(void **state)
{
    (void)state;
    /* Everything from VMA_USER_MIN to page 10 is taken, with one 2-page hole. */
    assert_int_equal(vma_map(&s, VMA_USER_MIN, A(3), RW, NORES), 0);
    assert_int_equal(vma_map(&s, A(5), A(10), RW, NORES), 0);
    assert_int_equal(vma_find_gap(&s, 3 * PG, A(10)), 0);
    assert_int_equal(vma_find_gap(&s, 2 * PG, A(10)), A(3));
    assert_int_equal(vma_find_gap(&s, 2 * PG, A(4)), 0);
    assert_int_equal(vma_find_gap(&s, PG, A(4)), A(3));
    assert_int_equal(vma_find_gap(&s, PG, A(3)), 0);
    assert_int_equal(vma_find_gap(&s, PG, A(11)), A(10));
    /* the top of user space taken too */
    assert_int_equal(vma_map(&s, A(10), VMA_USER_MAX, RW, NORES), 0);
    assert_int_equal(vma_find_gap(&s, PG, VMA_USER_MAX), A(4));
    assert_int_equal(vma_find_gap(&s, 3 * PG, VMA_USER_MAX), 0);
    assert_int_equal(vma_map(&s, A(3), A(5), RW, NORES), 0);
    assert_int_equal(vma_find_gap(&s, PG, VMA_USER_MAX), 0);
}

/* ---- vma_check */

static void test_check_len_zero(void **state)
{
    (void)state;
    static const uint64_t addrs[] = {0, 1, A(0), A(100), VMA_USER_MAX, 0x0000800000000000ull,
                                     0xffff800000000000ull, 0xffffffff80100000ull, UINT64_MAX};
    for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
        assert_int_equal(vma_check(&s, addrs[i], 0, RWX), 0);
}

static void test_check_bytes_and_prot(void **state)
{
    (void)state;
    const struct area have[] = {{2, 4, PROT_READ, 0}, {6, 7, RW, 0}, {8, 9, PROT_NONE, 0}, {9, 10, RX, 0}, END};
    map_areas(have);
    /* every byte at the edges */
    assert_int_equal(vma_check(&s, A(2), 1, PROT_READ), 0);
    assert_int_equal(vma_check(&s, A(2) - 1, 1, PROT_READ), -EFAULT);
    assert_int_equal(vma_check(&s, A(2) - 1, 2, PROT_READ), -EFAULT);
    assert_int_equal(vma_check(&s, A(4) - 1, 1, PROT_READ), 0);
    assert_int_equal(vma_check(&s, A(4) - 1, 2, PROT_READ), -EFAULT);
    assert_int_equal(vma_check(&s, A(4), 1, PROT_READ), -EFAULT);
    assert_int_equal(vma_check(&s, A(2), 2 * PG, PROT_READ), 0);
    assert_int_equal(vma_check(&s, A(2), 2 * PG + 1, PROT_READ), -EFAULT);
    assert_int_equal(vma_check(&s, A(3) + 17, 100, PROT_READ), 0);
    /* protection */
    assert_int_equal(vma_check(&s, A(2), 8, PROT_WRITE), -EFAULT);
    assert_int_equal(vma_check(&s, A(2), 8, RW), -EFAULT);
    assert_int_equal(vma_check(&s, A(2), 8, PROT_EXEC), -EFAULT);
    assert_int_equal(vma_check(&s, A(2), 8, PROT_NONE), 0);
    assert_int_equal(vma_check(&s, A(6), PG, RW), 0);
    assert_int_equal(vma_check(&s, A(6), PG, PROT_WRITE), 0);
    assert_int_equal(vma_check(&s, A(6), PG, PROT_READ), 0);
    assert_int_equal(vma_check(&s, A(6), PG, RWX), -EFAULT);
    assert_int_equal(vma_check(&s, A(8), 1, PROT_NONE), 0); /* mapped, but nothing allowed */
    assert_int_equal(vma_check(&s, A(8), 1, PROT_READ), -EFAULT);
    assert_int_equal(vma_check(&s, A(9), 1, PROT_EXEC), 0);
    assert_int_equal(vma_check(&s, A(8), 2 * PG, PROT_NONE), 0);
    assert_int_equal(vma_check(&s, A(8), 2 * PG, PROT_READ), -EFAULT);
    assert_int_equal(vma_check(&s, A(8) + PG - 1, 2, PROT_READ), -EFAULT);
    assert_int_equal(vma_check(&s, A(9) - 1, 2, PROT_NONE), 0);
}

static void test_check_across_areas(void **state)
{
    (void)state;
    /* adjacent areas, each with enough protection */
    const struct area have[] = {{2, 4, RW, 0}, {4, 6, RWX, NORES}, {6, 7, RW, 0}, {8, 10, RW, 0}, END};
    map_areas(have);
    assert_int_equal(vma_check(&s, A(3), 2 * PG, RW), 0);
    assert_int_equal(vma_check(&s, A(2), 5 * PG, RW), 0);
    assert_int_equal(vma_check(&s, A(4) - 1, 2, PROT_WRITE), 0);
    assert_int_equal(vma_check(&s, A(3), 2 * PG, PROT_EXEC), -EFAULT);
    assert_int_equal(vma_check(&s, A(4), 2 * PG, PROT_EXEC), 0);
    assert_int_equal(vma_check(&s, A(4), 2 * PG + 1, PROT_EXEC), -EFAULT);
    /* with a hole of one page between [6,7) and [8,10) */
    assert_int_equal(vma_check(&s, A(6), 4 * PG, PROT_READ), -EFAULT);
    assert_int_equal(vma_check(&s, A(2), 8 * PG, PROT_NONE), -EFAULT);
    assert_int_equal(vma_check(&s, A(7) - 1, 2, PROT_READ), -EFAULT);
    assert_int_equal(vma_check(&s, A(8) - 1, 2, PROT_READ), -EFAULT);
    assert_int_equal(vma_check(&s, A(8), 2 * PG, RW), 0);
    /* the hole filled with the wrong protection */
    assert_int_equal(vma_map(&s, A(7), A(8), PROT_READ, 0), 0);
    assert_int_equal(vma_check(&s, A(6), 4 * PG, PROT_READ), 0);
    assert_int_equal(vma_check(&s, A(6), 4 * PG, PROT_WRITE), -EFAULT);
}

static void test_check_outside_user_space(void **state)
{
    (void)state;
    /* Map the very bottom and the very top of user space. */
    assert_int_equal(vma_map(&s, VMA_USER_MIN, VMA_USER_MIN + 4 * PG, RWX, 0), 0);
    assert_int_equal(vma_map(&s, VMA_USER_MAX - 4 * PG, VMA_USER_MAX, RWX, 0), 0);
    assert_int_equal(vma_check(&s, VMA_USER_MIN, 4 * PG, RWX), 0);
    assert_int_equal(vma_check(&s, VMA_USER_MAX - 4 * PG, 4 * PG, RWX), 0);
    assert_int_equal(vma_check(&s, VMA_USER_MAX - 8, 8, PROT_READ), 0);
    assert_int_equal(vma_check(&s, VMA_USER_MAX - 1, 1, PROT_READ), 0);
    /* one byte out */
    assert_int_equal(vma_check(&s, VMA_USER_MIN - 1, 1, PROT_NONE), -EFAULT);
    assert_int_equal(vma_check(&s, VMA_USER_MIN - 1, 2, PROT_NONE), -EFAULT);
    assert_int_equal(vma_check(&s, VMA_USER_MAX - 8, 9, PROT_NONE), -EFAULT);
    assert_int_equal(vma_check(&s, VMA_USER_MAX, 1, PROT_NONE), -EFAULT);
    /* NULL and the low page */
    assert_int_equal(vma_check(&s, 0, 1, PROT_NONE), -EFAULT);
    assert_int_equal(vma_check(&s, 0, 8, PROT_READ), -EFAULT);
    assert_int_equal(vma_check(&s, 0, VMA_USER_MIN + PG, PROT_NONE), -EFAULT);
    /* kernel and non-canonical addresses */
    static const uint64_t kernel[] = {0x0000800000000000ull, 0xffff800000000000ull,
                                      0xffff800000100000ull, 0xffffffff80000000ull,
                                      0xffffffff80100000ull, 0xfffffffffffff000ull, UINT64_MAX - 7};
    for (size_t i = 0; i < sizeof(kernel) / sizeof(kernel[0]); i++) {
        assert_int_equal(vma_check(&s, kernel[i], 1, PROT_NONE), -EFAULT);
        assert_int_equal(vma_check(&s, kernel[i], 8, PROT_READ), -EFAULT);
    }
    /* from user space into the kernel's half, without wrapping */
    assert_int_equal(vma_check(&s, VMA_USER_MAX - PG, 0xffff800000000000ull - (VMA_USER_MAX - PG) + 1,
                               PROT_NONE), -EFAULT);
    assert_int_equal(vma_check(&s, VMA_USER_MIN, UINT64_MAX - VMA_USER_MIN, PROT_NONE), -EFAULT);
}

static void test_check_wraps(void **state)
{
    (void)state;
    assert_int_equal(vma_map(&s, A(0), A(4), RWX, 0), 0);
    /* lengths that wrap addr + len around 2^64 and land inside the mapped area */
    assert_int_equal(vma_check(&s, A(1), UINT64_MAX, PROT_NONE), -EFAULT);          /* ends at A(1) - 1 */
    assert_int_equal(vma_check(&s, A(2), UINT64_MAX - PG + 1, PROT_NONE), -EFAULT); /* ends at A(1) */
    assert_int_equal(vma_check(&s, A(3), (uint64_t)0 - PG, PROT_NONE), -EFAULT);    /* ends at A(2) */
    assert_int_equal(vma_check(&s, 0xffffffff80100000ull, (uint64_t)0 - 0xffffffff80100000ull + A(2),
                               PROT_READ), -EFAULT);
    assert_int_equal(vma_check(&s, 0xffff800000000000ull, (uint64_t)0 - 0xffff800000000000ull + A(1) + 8,
                               PROT_READ), -EFAULT);
    assert_int_equal(vma_check(&s, UINT64_MAX, 2, PROT_NONE), -EFAULT);  /* ends at 1 */
    assert_int_equal(vma_check(&s, UINT64_MAX - 7, 8, PROT_NONE), -EFAULT); /* ends at exactly 2^64 */
    assert_int_equal(vma_check(&s, A(0), (uint64_t)0 - A(0), PROT_NONE), -EFAULT); /* ends at 2^64 */
    assert_int_equal(vma_check(&s, A(0), UINT64_MAX, PROT_NONE), -EFAULT);
    assert_int_equal(vma_check(&s, A(0), 1ull << 63, PROT_NONE), -EFAULT);
    assert_int_equal(vma_check(&s, A(0), 4 * PG, RWX), 0);
}

/* ---- randomized model: one prot per page, -1 for unmapped */

#define WPAGES 48
#define WLIMIT 24
static int ref_prot[WPAGES], ref_flags[WPAGES];

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(uint64_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng % n;
}

static uint64_t ref_charged(void)
{
    uint64_t c = 0;
    for (int p = 0; p < WPAGES; p++)
        c += ref_prot[p] >= 0 && vma_chargeable((uint32_t)ref_prot[p], (uint32_t)ref_flags[p]);
    return c;
}

/* Page p of the window; pages outside it are never mapped. */
static int ref_at(int64_t p) { return p >= 0 && p < WPAGES ? ref_prot[p] : -1; }

static int ref_check(uint64_t addr, uint64_t len, uint32_t prot)
{
    if (len == 0)
        return 0;
    for (uint64_t b = addr / PG; b <= (addr + len - 1) / PG; b++) {
        int pr = ref_at((int64_t)b - (int64_t)(BASE / PG));
        if (pr < 0 || ((uint32_t)pr & prot) != prot)
            return -EFAULT;
    }
    return 0;
}

static uint64_t ref_gap(uint64_t len, uint64_t below)
{
    uint64_t pages = len / PG;
    for (uint64_t top = below / PG; top >= pages && top - pages >= VMA_USER_MIN / PG; top--) {
        uint64_t lo = top - pages, p;
        for (p = lo; p < top && ref_at((int64_t)p - (int64_t)(BASE / PG)) < 0; p++)
            ;
        if (p == top)
            return lo * PG;
    }
    return 0;
}

static void model_compare(void)
{
    assert_invariants(&s);
    assert_int_equal(s.charged, ref_charged());
    /* the areas, page by page */
    int seen[WPAGES];
    memset(seen, 0, sizeof(seen));
    for (int i = 0; i < s.n; i++) {
        assert_true(s.v[i].start >= A(0) && s.v[i].end <= A(WPAGES));
        for (uint64_t a = s.v[i].start; a < s.v[i].end; a += PG) {
            int p = (int)((a - BASE) / PG);
            seen[p] = 1;
            assert_int_equal(s.v[i].prot, ref_prot[p]);
            assert_int_equal(s.v[i].flags, ref_flags[p]);
        }
    }
    for (int p = 0; p < WPAGES; p++)
        assert_int_equal(seen[p], ref_prot[p] >= 0);
    /* queries at random, in and around the window */
    for (int q = 0; q < 8; q++) {
        uint64_t addr = A(0) - 2 * PG + rnd((WPAGES + 4) * PG);
        const struct vma *a = vma_find(&s, addr);
        int pr = ref_at((int64_t)(addr / PG) - (int64_t)(BASE / PG));
        if (pr < 0) {
            assert_null(a);
        } else {
            assert_non_null(a);
            assert_true(a->start <= addr && addr < a->end);
            assert_int_equal(a->prot, pr);
        }
        uint64_t len = rnd(4) ? rnd(6 * PG) : rnd(WPAGES * PG);
        uint32_t prot = (uint32_t)rnd(8);
        assert_int_equal(vma_check(&s, addr, len, prot), ref_check(addr, len, prot));
        uint64_t glen = (1 + rnd(8)) * PG, below = A(0) + rnd((WPAGES + 8) * PG);
        assert_int_equal(vma_find_gap(&s, glen, below), ref_gap(glen, below));
    }
}

static void test_random_model(void **state)
{
    (void)state;
    vma_init(&s, WLIMIT);
    for (int p = 0; p < WPAGES; p++)
        ref_prot[p] = -1, ref_flags[p] = 0;
    int counts[3][2] = {{0}}, over_limit = 0;
    for (int op = 0; op < 20000; op++) {
        int lo = (int)rnd(WPAGES), hi = lo + 1 + (int)rnd(rnd(4) ? 6 : WPAGES);
        if (hi > WPAGES)
            hi = WPAGES;
        uint32_t prot = (uint32_t)rnd(8), flags = rnd(4) ? 0 : NORES;
        int kind = (int)rnd(3), want = 0, got;
        save();
        if (kind == 0) {
            uint64_t c = ref_charged();
            for (int p = lo; p < hi; p++)
                c -= ref_prot[p] >= 0 && vma_chargeable((uint32_t)ref_prot[p], (uint32_t)ref_flags[p]);
            c += vma_chargeable(prot, flags) ? (uint64_t)(hi - lo) : 0;
            want = c > WLIMIT ? -ENOMEM : 0;
            over_limit += c > WLIMIT;
            got = vma_map(&s, A(lo), A(hi), prot, flags);
            for (int p = lo; p < hi && !want; p++)
                ref_prot[p] = (int)prot, ref_flags[p] = (int)flags;
        } else if (kind == 1) {
            got = vma_unmap(&s, A(lo), A(hi));
            for (int p = lo; p < hi; p++)
                ref_prot[p] = -1, ref_flags[p] = 0;
        } else {
            uint64_t c = ref_charged();
            for (int p = lo; p < hi; p++) {
                if (ref_prot[p] < 0)
                    want = -ENOMEM;
                else
                    c += vma_chargeable(prot, (uint32_t)ref_flags[p]) -
                         vma_chargeable((uint32_t)ref_prot[p], (uint32_t)ref_flags[p]);
            }
            if (c > WLIMIT && !want) {
                want = -ENOMEM;
                over_limit++;
            }
            got = vma_protect(&s, A(lo), A(hi), prot);
            for (int p = lo; p < hi && !want; p++)
                ref_prot[p] = (int)prot;
        }
        if (got != want)
            fail_msg("op %d: kind %d [%d, %d) prot %u flags %u: got %d, want %d", op, kind, lo, hi, prot,
                     flags, got, want);
        if (got)
            assert_unchanged();
        counts[kind][got != 0]++;
        model_compare();
    }
    /* every kind both succeeded and failed often enough to mean something */
    print_message("random model: map %d/%d, unmap %d, protect %d/%d (ok/-ENOMEM), %d over the limit\n",
                  counts[0][0], counts[0][1], counts[1][0], counts[2][0], counts[2][1], over_limit);
    assert_true(counts[0][0] > 1000 && counts[0][1] > 100);
    assert_true(counts[2][0] > 1000 && counts[2][1] > 100);
    assert_true(over_limit > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_init, setup),
        cmocka_unit_test_setup(test_chargeable, setup),
        cmocka_unit_test_setup(test_bad_ranges_einval, setup),
        cmocka_unit_test_setup(test_user_space_edges, setup),
        cmocka_unit_test_setup(test_map_sorted, setup),
        cmocka_unit_test_setup(test_map_splits, setup),
        cmocka_unit_test_setup(test_unmap_splits, setup),
        cmocka_unit_test_setup(test_protect_splits, setup),
        cmocka_unit_test_setup(test_protect_unmapped_enomem, setup),
        cmocka_unit_test_setup(test_spanning_several, setup),
        cmocka_unit_test_setup(test_unmap_nothing, setup),
        cmocka_unit_test_setup(test_charge_limit_map, setup),
        cmocka_unit_test_setup(test_charge_limit_replace, setup),
        cmocka_unit_test_setup(test_charge_limit_protect, setup),
        cmocka_unit_test_setup(test_limit_zero, setup),
        cmocka_unit_test_setup(test_full_array, setup),
        cmocka_unit_test_setup(test_almost_full_array, setup),
        cmocka_unit_test_setup(test_find_boundaries, setup),
        cmocka_unit_test_setup(test_find_many, setup),
        cmocka_unit_test_setup(test_find_gap_empty, setup),
        cmocka_unit_test_setup(test_find_gap_top_down, setup),
        cmocka_unit_test_setup(test_find_gap_no_room, setup),
        cmocka_unit_test_setup(test_check_len_zero, setup),
        cmocka_unit_test_setup(test_check_bytes_and_prot, setup),
        cmocka_unit_test_setup(test_check_across_areas, setup),
        cmocka_unit_test_setup(test_check_outside_user_space, setup),
        cmocka_unit_test_setup(test_check_wraps, setup),
        cmocka_unit_test_setup(test_random_model, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
