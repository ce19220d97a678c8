/* Unit tests for percore/pmm.c: the bitmap page allocator. Bitmaps are
 * malloc'ed at exactly pmm_bitmap_bytes() so ASan catches any overrun; a
 * randomized run is checked against a byte-per-page model after every step. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>
#include "pmm.h"

#define MiB (1024ull * 1024)
#define GiB (1024 * MiB)

/* A pmm over [base, end) with an exactly sized bitmap; free with pmm_destroy. */
static struct pmm *pmm_new(uint64_t base, uint64_t end)
{
    struct pmm *p = calloc(1, sizeof(*p));
    uint64_t bytes = pmm_bitmap_bytes(base, end);
    uint64_t *bm = malloc(bytes ? bytes : 1);
    assert_non_null(p);
    assert_non_null(bm);
    pmm_init(p, base, end, bm);
    return p;
}

static void pmm_destroy(struct pmm *p)
{
    free(p->bitmap);
    free(p);
}

static int page_used(const struct pmm *p, uint64_t i)
{
    return (int)((p->bitmap[i / 64] >> (i % 64)) & 1);
}

/* Number of used bits in the bitmap's valid part, independent of nfree. */
static uint64_t count_used(const struct pmm *p)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < p->npages; i++)
        n += (uint64_t)page_used(p, i);
    return n;
}

/* nfree matches the bitmap and the tail bits past npages are all set. */
static void check_consistent(const struct pmm *p)
{
    assert_int_equal(p->nfree, p->npages - count_used(p));
    for (uint64_t i = p->npages; i % 64; i++)
        assert_true(page_used(p, i));
    assert_int_equal(p->lock.locked, 0);
}

static void test_bitmap_bytes(void **state)
{
    (void)state;
    assert_int_equal(pmm_bitmap_bytes(0, 4096), 8);
    assert_int_equal(pmm_bitmap_bytes(0, 64 * 4096), 8);
    assert_int_equal(pmm_bitmap_bytes(0, 65 * 4096), 16);
    assert_int_equal(pmm_bitmap_bytes(0x100000, 0x100000 + 128 * 4096), 16);
    assert_int_equal(pmm_bitmap_bytes(0, 2 * GiB), 2 * GiB / 4096 / 8);
    /* Only whole pages count. */
    assert_int_equal(pmm_bitmap_bytes(1, 4096), 0);
    assert_int_equal(pmm_bitmap_bytes(1, 65 * 4096), 8);
    assert_int_equal(pmm_bitmap_bytes(0, 65 * 4096 - 1), 8);
    assert_int_equal(pmm_bitmap_bytes(0x5000, 0x5000), 0);
    assert_int_equal(pmm_bitmap_bytes(0x6000, 0x5000), 0);
    assert_int_equal(pmm_bitmap_bytes(UINT64_MAX - 100, UINT64_MAX), 0);
}

static void test_init_all_used(void **state)
{
    (void)state;
    struct pmm *p = pmm_new(0x100000, 0x100000 + 100 * 4096);
    assert_int_equal(p->base, 0x100000);
    assert_int_equal(p->npages, 100);
    assert_int_equal(pmm_free_pages(p), 0);
    assert_int_equal(count_used(p), 100);
    assert_int_equal(pmm_alloc(p, 1, 1), 0);
    check_consistent(p);
    pmm_destroy(p);

    /* Unaligned bounds shrink to whole pages. */
    p = pmm_new(0x100001, 0x105fff);
    assert_int_equal(p->base, 0x101000);
    assert_int_equal(p->npages, 4);
    pmm_destroy(p);

    /* An empty pmm refuses everything without touching its bitmap. */
    p = pmm_new(0x5000, 0x5000);
    assert_int_equal(p->npages, 0);
    pmm_add_free(p, 0, UINT64_MAX);
    pmm_reserve(p, 0, UINT64_MAX);
    assert_int_equal(pmm_alloc(p, 1, 1), 0);
    assert_int_equal(pmm_free(p, 0x5000, 1), -1);
    assert_int_equal(pmm_free_pages(p), 0);
    pmm_destroy(p);
}

static void test_alloc_free_roundtrip(void **state)
{
    (void)state;
    uint64_t base = 0x100000, end = base + 256 * 4096;
    struct pmm *p = pmm_new(base, end);
    pmm_add_free(p, base, end);
    assert_int_equal(pmm_free_pages(p), 256);

    uint64_t a = pmm_alloc(p, 1, 1);
    assert_true(a >= base && a < end && a % 4096 == 0);
    assert_int_equal(pmm_free_pages(p), 255);
    uint64_t b = pmm_alloc(p, 10, 1);
    assert_true(b >= base && b + 10 * 4096 <= end);
    assert_true(b + 10 * 4096 <= a || b >= a + 4096);
    assert_int_equal(pmm_free_pages(p), 245);
    check_consistent(p);

    assert_int_equal(pmm_free(p, a, 1), 0);
    assert_int_equal(pmm_free(p, b, 10), 0);
    assert_int_equal(pmm_free_pages(p), 256);
    assert_int_equal(count_used(p), 0);
    check_consistent(p);

    /* Freed pages come back. */
    uint64_t c = pmm_alloc(p, 256, 1);
    assert_int_equal(c, base);
    assert_int_equal(pmm_alloc(p, 1, 1), 0);
    assert_int_equal(pmm_free(p, c, 256), 0);
    pmm_destroy(p);
}

static void test_alignment(void **state)
{
    (void)state;
    /* The range starts off any large alignment: alignment is of the
     * physical address, not of the page index. */
    uint64_t base = 0x101000, end = base + 32 * MiB;
    struct pmm *p = pmm_new(base, end);
    pmm_add_free(p, base, end);
    for (uint64_t align = 1; align <= 1024; align *= 2) {
        for (uint64_t n = 1; n <= 5; n += 2) {
            uint64_t a = pmm_alloc(p, n, align);
            assert_int_not_equal(a, 0);
            assert_int_equal(a % (align * 4096), 0);
            assert_true(a >= base && a + n * 4096 <= end);
            for (uint64_t i = 0; i < n; i++)
                assert_true(page_used(p, (a - base) / 4096 + i));
        }
    }
    uint64_t huge = pmm_alloc(p, 512, 512);
    assert_int_not_equal(huge, 0);
    assert_int_equal(huge % (2 * MiB), 0);
    /* Bad arguments. */
    uint64_t before = pmm_free_pages(p);
    assert_int_equal(pmm_alloc(p, 1, 0), 0);
    assert_int_equal(pmm_alloc(p, 1, 3), 0);
    assert_int_equal(pmm_alloc(p, 1, 12), 0);
    assert_int_equal(pmm_alloc(p, 0, 1), 0);
    assert_int_equal(pmm_alloc(p, 1, 1ull << 63), 0);     /* valid, but nothing is that aligned */
    assert_int_equal(pmm_alloc(p, UINT64_MAX, 1), 0);
    assert_int_equal(pmm_free_pages(p), before);
    check_consistent(p);
    pmm_destroy(p);

    /* An alignment larger than the range can still be met. */
    p = pmm_new(4 * GiB, 4 * GiB + 8 * 4096);
    pmm_add_free(p, 0, UINT64_MAX);
    assert_int_equal(pmm_alloc(p, 1, 1ull << 20), 4 * GiB);
    assert_int_equal(pmm_alloc(p, 1, 1ull << 20), 0);
    pmm_destroy(p);
}

static void test_exhaustion_odd_size(void **state)
{
    (void)state;
    /* 100 pages: the last bitmap word is partial, its tail must never be
     * handed out. */
    uint64_t base = 0x200000, end = base + 100 * 4096;
    struct pmm *p = pmm_new(base, end);
    pmm_add_free(p, base, end);
    unsigned char seen[100] = {0};
    for (int i = 0; i < 100; i++) {
        uint64_t a = pmm_alloc(p, 1, 1);
        assert_true(a >= base && a < end);
        assert_false(seen[(a - base) / 4096]);
        seen[(a - base) / 4096] = 1;
    }
    assert_int_equal(pmm_alloc(p, 1, 1), 0);
    assert_int_equal(pmm_free_pages(p), 0);
    check_consistent(p);
    for (int i = 0; i < 100; i += 2)
        assert_int_equal(pmm_free(p, base + (uint64_t)i * 4096, 1), 0);
    /* 50 free pages, none adjacent. */
    assert_int_equal(pmm_alloc(p, 2, 1), 0);
    assert_int_not_equal(pmm_alloc(p, 1, 2), 0);
    check_consistent(p);
    pmm_destroy(p);
}

/* Every rejected free leaves the bitmap and nfree byte for byte unchanged. */
static void expect_rejected_free(struct pmm *p, uint64_t phys, uint64_t n)
{
    uint64_t bytes = pmm_bitmap_bytes(p->base, p->base + p->npages * 4096);
    uint64_t *copy = malloc(bytes);
    memcpy(copy, p->bitmap, bytes);
    uint64_t nfree = p->nfree;
    assert_int_equal(pmm_free(p, phys, n), -1);
    assert_memory_equal(copy, p->bitmap, bytes);
    assert_int_equal(p->nfree, nfree);
    free(copy);
}

static void test_bad_free(void **state)
{
    (void)state;
    uint64_t base = 0x400000, end = base + 64 * 4096;
    struct pmm *p = pmm_new(base, end);
    pmm_add_free(p, base, end);
    uint64_t a = pmm_alloc(p, 8, 1);
    assert_int_equal(a, base);
    uint64_t b = pmm_alloc(p, 4, 1);
    assert_int_equal(b, base + 8 * 4096);

    expect_rejected_free(p, a + 8 * 4096 + 4 * 4096, 1); /* never allocated */
    expect_rejected_free(p, b, 5);                        /* last page already free */
    expect_rejected_free(p, a + 4096, 12);                /* spans both, then a free page */
    expect_rejected_free(p, base - 4096, 1);              /* below the range */
    expect_rejected_free(p, base - 4096, 2);              /* straddles the bottom */
    expect_rejected_free(p, end, 1);                      /* above */
    expect_rejected_free(p, end - 4096, 2);               /* straddles the top */
    expect_rejected_free(p, a + 1, 1);                    /* unaligned */
    expect_rejected_free(p, a, 0);                        /* nothing */
    expect_rejected_free(p, 0, 1);                        /* page 0 */
    expect_rejected_free(p, a, UINT64_MAX);               /* length overflow */
    expect_rejected_free(p, a, (UINT64_MAX / 4096) + 2);  /* phys + n*4096 wraps */
    expect_rejected_free(p, UINT64_MAX & ~4095ull, 1);

    assert_int_equal(pmm_free(p, b, 4), 0);
    expect_rejected_free(p, b, 4);                        /* double free */
    expect_rejected_free(p, b + 4096, 1);
    assert_int_equal(pmm_free(p, a + 4096, 2), 0);        /* part of a run is fine */
    expect_rejected_free(p, a, 8);
    assert_int_equal(pmm_free(p, a, 1), 0);
    assert_int_equal(pmm_free(p, a + 3 * 4096, 5), 0);
    assert_int_equal(pmm_free_pages(p), 64);
    check_consistent(p);
    pmm_destroy(p);
}

static void test_reserve_add_free_overlap(void **state)
{
    (void)state;
    uint64_t base = 0x100000, end = base + 128 * 4096;
    struct pmm *p = pmm_new(base, end);

    /* add_free only frees whole pages inside the range given. */
    pmm_add_free(p, base + 0x800, base + 10 * 4096 + 0x7ff);
    assert_int_equal(pmm_free_pages(p), 9);  /* pages 1..9 */
    assert_true(page_used(p, 0));
    assert_false(page_used(p, 1));
    assert_false(page_used(p, 9));
    assert_true(page_used(p, 10));
    /* Freeing again does not double count. */
    pmm_add_free(p, base, base + 10 * 4096);
    assert_int_equal(pmm_free_pages(p), 10);
    check_consistent(p);

    /* reserve takes every page it touches. */
    pmm_reserve(p, base + 2 * 4096 + 4095, base + 3 * 4096 + 1);
    assert_int_equal(pmm_free_pages(p), 8);  /* pages 2 and 3 */
    assert_true(page_used(p, 2));
    assert_true(page_used(p, 3));
    /* Reserving used pages changes nothing. */
    pmm_reserve(p, base + 2 * 4096, base + 4 * 4096);
    pmm_reserve(p, base + 50 * 4096, base + 60 * 4096);
    assert_int_equal(pmm_free_pages(p), 8);
    /* Empty and inverted ranges do nothing. */
    pmm_reserve(p, base + 5 * 4096, base + 5 * 4096);
    pmm_reserve(p, base + 6 * 4096, base + 5 * 4096);
    pmm_add_free(p, base + 20 * 4096, base + 20 * 4096);
    pmm_add_free(p, base + 20 * 4096 + 1, base + 21 * 4096 + 4095); /* no whole page */
    assert_int_equal(pmm_free_pages(p), 8);
    check_consistent(p);

    /* Clipping at both ends of the pmm's range. */
    pmm_add_free(p, 0, UINT64_MAX);
    assert_int_equal(pmm_free_pages(p), 128);
    pmm_reserve(p, 0, base + 1);
    assert_int_equal(pmm_free_pages(p), 127);
    pmm_reserve(p, end - 1, UINT64_MAX);
    assert_int_equal(pmm_free_pages(p), 126);
    pmm_reserve(p, UINT64_MAX - 10, UINT64_MAX);
    pmm_reserve(p, 0, 10);
    assert_int_equal(pmm_free_pages(p), 126);
    check_consistent(p);

    /* Reserve over a hole in the middle of an allocation-ready area, then
     * the allocator must route around it. */
    pmm_reserve(p, base + 64 * 4096, base + 65 * 4096);
    uint64_t a = pmm_alloc(p, 63, 1);
    assert_int_equal(a, base + 4096);
    /* Pages 65..126 are the only other run: 62 pages. */
    assert_int_equal(pmm_alloc(p, 63, 1), 0);
    assert_int_equal(pmm_alloc(p, 62, 1), base + 65 * 4096);
    assert_int_equal(pmm_free_pages(p), 0);
    check_consistent(p);
    pmm_destroy(p);
}

static void test_page_zero_never_handed_out(void **state)
{
    (void)state;
    struct pmm *p = pmm_new(0, 16 * 4096);
    pmm_add_free(p, 0, 16 * 4096);
    assert_int_equal(pmm_free_pages(p), 15);
    assert_true(page_used(p, 0));
    for (int i = 0; i < 15; i++) {
        uint64_t a = pmm_alloc(p, 1, 1);
        assert_true(a >= 4096 && a < 16 * 4096);
    }
    assert_int_equal(pmm_alloc(p, 1, 1), 0);
    assert_int_equal(pmm_free(p, 0, 1), -1);
    assert_int_equal(pmm_free(p, 4096, 15), 0);
    /* An aligned request cannot use page 0 either. */
    assert_int_equal(pmm_alloc(p, 8, 8), 8 * 4096);
    assert_int_equal(pmm_alloc(p, 8, 8), 0);
    assert_int_equal(pmm_alloc(p, 7, 1), 4096);
    check_consistent(p);
    pmm_destroy(p);
}

static void test_hint_wraps(void **state)
{
    (void)state;
    uint64_t base = 0x100000, end = base + 256 * 4096;
    struct pmm *p = pmm_new(base, end);
    pmm_add_free(p, base, end);
    uint64_t a = pmm_alloc(p, 200, 1);
    uint64_t b = pmm_alloc(p, 50, 1);
    assert_int_equal(a, base);
    assert_int_equal(b, base + 200 * 4096);
    /* Only 6 pages remain above the hint; a 10-page run must come from the
     * start after a free there. */
    assert_int_equal(pmm_alloc(p, 10, 1), 0);
    assert_int_equal(pmm_free(p, a, 20), 0);
    assert_int_equal(pmm_alloc(p, 10, 1), a);
    /* Next fit: the search resumes where the last allocation ended. */
    assert_int_equal(pmm_free(p, b, 50), 0);
    assert_int_equal(pmm_alloc(p, 10, 1), a + 10 * 4096);
    assert_int_equal(pmm_alloc(p, 50, 1), b);
    uint64_t c = pmm_alloc(p, 6, 1);
    assert_int_equal(c, end - 6 * 4096);
    assert_int_equal(pmm_free_pages(p), 0);
    check_consistent(p);
    pmm_destroy(p);
}

/* ---- randomized model check ---- */

static uint64_t rng_state = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

/* Whether the model has n free pages at an aligned address, brute force. */
static int model_has_run(const unsigned char *used, uint64_t base, uint64_t npages, uint64_t n, uint64_t align)
{
    for (uint64_t s = 0; s + n <= npages; s++) {
        if (((base / 4096 + s) & (align - 1)) != 0)
            continue;
        uint64_t k = 0;
        while (k < n && !used[s + k])
            k++;
        if (k == n)
            return 1;
    }
    return 0;
}

static void model_check_one(uint64_t base, uint64_t npages, int steps)
{
    uint64_t end = base + npages * 4096;
    struct pmm *p = pmm_new(base, end);
    unsigned char *used = malloc(npages);
    memset(used, 1, npages);
    struct { uint64_t phys, n; } live[512];
    int nlive = 0;

    for (int step = 0; step < steps; step++) {
        int op = (int)(rnd() % 100);
        /* Ranges wander a little outside the pmm to exercise clipping. */
        uint64_t lo = base - 4 * 4096 + rnd() % ((npages + 8) * 4096);
        uint64_t hi = lo + rnd() % (npages * 4096 / 4);
        if (op < 4) {
            pmm_add_free(p, lo, hi);
            for (uint64_t i = 0; i < npages; i++) {
                uint64_t pa = base + i * 4096;
                if (pa >= lo && pa + 4096 <= hi && pa != 0)
                    used[i] = 0;
            }
            /* Pages in the live list that got freed under it are no longer ours. */
            for (int j = 0; j < nlive; j++)
                if (live[j].phys < hi && live[j].phys + live[j].n * 4096 > lo)
                    live[j--] = live[--nlive];
        } else if (op < 7) {
            pmm_reserve(p, lo, hi);
            for (uint64_t i = 0; i < npages; i++) {
                uint64_t pa = base + i * 4096;
                if (lo < hi && pa < hi && pa + 4096 > lo)
                    used[i] = 1;
            }
        } else if (op < 55) {
            uint64_t n = rnd() % 4 ? 1 + rnd() % 4 : 1 + rnd() % 40;
            uint64_t align = 1ull << (rnd() % 4 ? 0 : rnd() % 7);
            int possible = model_has_run(used, base, npages, n, align);
            uint64_t a = pmm_alloc(p, n, align);
            assert_int_equal(a != 0, possible);
            if (a) {
                assert_int_equal(a % (align * 4096), 0);
                assert_true(a >= base && a + n * 4096 <= end);
                for (uint64_t i = 0; i < n; i++) {
                    assert_false(used[(a - base) / 4096 + i]);
                    used[(a - base) / 4096 + i] = 1;
                }
                if (nlive < 512) {
                    live[nlive].phys = a;
                    live[nlive++].n = n;
                }
            }
        } else if (op < 90 && nlive > 0) {
            int j = (int)(rnd() % (uint64_t)nlive);
            /* Free all, or a piece, of a live allocation. */
            uint64_t off = rnd() % 3 ? 0 : rnd() % live[j].n;
            uint64_t n = live[j].n - off;
            uint64_t phys = live[j].phys + off * 4096;
            int ok = 1;
            for (uint64_t i = 0; i < n; i++)
                ok &= used[(phys - base) / 4096 + i];
            assert_int_equal(pmm_free(p, phys, n), ok ? 0 : -1);
            if (ok)
                for (uint64_t i = 0; i < n; i++)
                    used[(phys - base) / 4096 + i] = 0;
            if (off)
                live[j].n = off;
            else
                live[j] = live[--nlive];
        } else {
            /* Arbitrary free: must succeed exactly when all pages are in
             * range and in use (and not page 0). */
            uint64_t phys = (lo & ~4095ull) + (rnd() % 8 == 0 ? 1 : 0);
            uint64_t n = rnd() % 6;
            int ok = n > 0 && phys % 4096 == 0 && phys != 0 && phys >= base &&
                     (phys - base) / 4096 + n <= npages;
            for (uint64_t i = 0; ok && i < n; i++)
                ok &= used[(phys - base) / 4096 + i];
            assert_int_equal(pmm_free(p, phys, n), ok ? 0 : -1);
            if (ok) {
                for (uint64_t i = 0; i < n; i++)
                    used[(phys - base) / 4096 + i] = 0;
                for (int j = 0; j < nlive; j++)
                    if (live[j].phys < phys + n * 4096 && live[j].phys + live[j].n * 4096 > phys)
                        live[j--] = live[--nlive];
            }
        }
        /* Full state comparison after every step. */
        uint64_t nfree = 0;
        for (uint64_t i = 0; i < npages; i++) {
            if (page_used(p, i) != used[i])
                fail_msg("step %d op %d: page %lu bitmap %d model %d", step, op,
                         (unsigned long)i, page_used(p, i), used[i]);
            nfree += !used[i];
        }
        assert_int_equal(pmm_free_pages(p), nfree);
        assert_true(p->npages == 0 || p->hint < p->npages);
    }
    check_consistent(p);
    free(used);
    pmm_destroy(p);
}

static void test_model_random(void **state)
{
    (void)state;
    model_check_one(0x100000, 300, 6000);    /* partial last word */
    model_check_one(0x103000, 512, 6000);    /* base off every alignment */
    model_check_one(0x0, 130, 4000);         /* page 0 inside */
    model_check_one(0xfffff000, 64, 3000);   /* exactly one word, across 4 GiB */
    model_check_one(0x7000, 7, 2000);        /* tiny */
}

/* ---- concurrency ---- */

#define THREADS 8
#define MT_PAGES 4096
#define MT_BASE 0x10000000ull

static struct pmm *mt_pmm;
static unsigned char mt_owner[MT_PAGES];
static int mt_errors;

static void *mt_worker(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
    struct { uint64_t phys, n; } held[64];
    int nheld = 0;
    unsigned char me = (unsigned char)((uintptr_t)arg + 1);

    for (int it = 0; it < 40000; it++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        if (nheld < 64 && (seed % 3 != 0 || nheld == 0)) {
            uint64_t n = 1 + (seed >> 8) % 8;
            uint64_t align = 1ull << ((seed >> 16) % 3);
            uint64_t a = pmm_alloc(mt_pmm, n, align);
            if (!a)
                continue;
            if (a % (align * 4096) || a < MT_BASE || a + n * 4096 > MT_BASE + MT_PAGES * 4096)
                __atomic_add_fetch(&mt_errors, 1, __ATOMIC_RELAXED);
            for (uint64_t i = 0; i < n; i++) {
                unsigned char prev = __atomic_exchange_n(&mt_owner[(a - MT_BASE) / 4096 + i], me, __ATOMIC_ACQ_REL);
                if (prev != 0)
                    __atomic_add_fetch(&mt_errors, 1, __ATOMIC_RELAXED);
            }
            held[nheld].phys = a;
            held[nheld++].n = n;
        } else {
            int j = (int)((seed >> 20) % (uint64_t)nheld);
            for (uint64_t i = 0; i < held[j].n; i++) {
                unsigned char prev = __atomic_exchange_n(&mt_owner[(held[j].phys - MT_BASE) / 4096 + i], 0, __ATOMIC_ACQ_REL);
                if (prev != me)
                    __atomic_add_fetch(&mt_errors, 1, __ATOMIC_RELAXED);
            }
            if (pmm_free(mt_pmm, held[j].phys, held[j].n) != 0)
                __atomic_add_fetch(&mt_errors, 1, __ATOMIC_RELAXED);
            held[j] = held[--nheld];
        }
    }
    for (int j = 0; j < nheld; j++) {
        for (uint64_t i = 0; i < held[j].n; i++)
            __atomic_store_n(&mt_owner[(held[j].phys - MT_BASE) / 4096 + i], 0, __ATOMIC_RELEASE);
        if (pmm_free(mt_pmm, held[j].phys, held[j].n) != 0)
            __atomic_add_fetch(&mt_errors, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void test_threads_never_share_a_page(void **state)
{
    (void)state;
    /* Small enough that threads run it dry and contend on every page. */
    mt_pmm = pmm_new(MT_BASE, MT_BASE + MT_PAGES * 4096);
    pmm_add_free(mt_pmm, MT_BASE, MT_BASE + MT_PAGES * 4096);
    pmm_reserve(mt_pmm, MT_BASE + 1000 * 4096, MT_BASE + 1100 * 4096);
    uint64_t start_free = pmm_free_pages(mt_pmm);
    memset(mt_owner, 0, sizeof(mt_owner));
    for (int i = 1000; i < 1100; i++)
        mt_owner[i] = 0xff; /* any allocation there is an error */
    mt_errors = 0;

    pthread_t t[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, mt_worker, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);

    assert_int_equal(mt_errors, 0);
    assert_int_equal(pmm_free_pages(mt_pmm), start_free);
    check_consistent(mt_pmm);
    for (int i = 0; i < MT_PAGES; i++)
        assert_int_equal(page_used(mt_pmm, (uint64_t)i), i >= 1000 && i < 1100);
    pmm_destroy(mt_pmm);
}

/* ---- scale: correctness at the size of a real partition (speed belongs in bench/) ---- */

static void test_2g_scale(void **state)
{
    (void)state;
    uint64_t base = 0x100000, end = base + 2 * GiB;
    struct pmm *p = pmm_new(base, end);
    pmm_add_free(p, base, end);
    uint64_t npages = 2 * GiB / 4096;
    assert_int_equal(pmm_free_pages(p), npages);

    /* Every page one at a time: a first-fit scan from the bottom would be
     * quadratic here (~2*10^9 word reads); next-fit keeps it linear. */
    for (uint64_t i = 0; i < npages; i++) {
        uint64_t a = pmm_alloc(p, 1, 1);
        if (a != base + i * 4096)
            fail_msg("page %lu: got %#lx", (unsigned long)i, (unsigned long)a);
    }
    assert_int_equal(pmm_alloc(p, 1, 1), 0);
    assert_int_equal(pmm_free_pages(p), 0);

    /* Free every other page but one 256 MiB window: large aligned runs must
     * skip the fragmented part quickly. */
    for (uint64_t i = 0; i < npages; i += 2)
        assert_int_equal(pmm_free(p, base + i * 4096, 1), 0);
    uint64_t win = 1 * GiB - base; /* window page index: phys 1 GiB, 2 MiB aligned */
    win /= 4096;
    for (uint64_t i = win + 1; i < win + 65536 + 512; i += 2)
        assert_int_equal(pmm_free(p, base + i * 4096, 1), 0);
    uint64_t big = pmm_alloc(p, 65536, 512);
    assert_int_equal(big, 1 * GiB);
    assert_int_equal(pmm_alloc(p, 65536, 512), 0);
    assert_int_equal(pmm_alloc(p, 2, 1), 1 * GiB + 256 * MiB);
    check_consistent(p);

    /* Alloc/free churn of single pages once the map is messy. */
    for (int i = 0; i < 200000; i++) {
        uint64_t a = pmm_alloc(p, 1, 1);
        assert_int_not_equal(a, 0);
        assert_int_equal(pmm_free(p, a, 1), 0);
    }

    /* Near misses: free 1 GiB runs one page short of the request, split by
     * single used pages. Restarting a failed candidate one page further on
     * rescans each run ~2^18 times; skipping past the used page is linear. */
    pmm_reserve(p, base, end);
    pmm_add_free(p, base, end);
    const uint64_t run = 1ull << 18;
    for (uint64_t i = run - 1; i < npages; i += run)
        pmm_reserve(p, base + i * 4096, base + i * 4096 + 1);
    assert_int_equal(pmm_alloc(p, run, 1), 0);
    assert_int_equal(pmm_alloc(p, run - 1, 512), 0); /* runs start off 2 MiB */
    uint64_t fit = pmm_alloc(p, run - 1, 1);
    assert_int_not_equal(fit, 0);
    assert_int_equal((fit - base) / 4096 % run, 0); /* exactly one whole run */
    check_consistent(p);

    pmm_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bitmap_bytes),
        cmocka_unit_test(test_init_all_used),
        cmocka_unit_test(test_alloc_free_roundtrip),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_exhaustion_odd_size),
        cmocka_unit_test(test_bad_free),
        cmocka_unit_test(test_reserve_add_free_overlap),
        cmocka_unit_test(test_page_zero_never_handed_out),
        cmocka_unit_test(test_hint_wraps),
        cmocka_unit_test(test_model_random),
        cmocka_unit_test(test_threads_never_share_a_page),
        cmocka_unit_test(test_2g_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
