/* Unit tests for percore/part.c: memory partition planning. Real QEMU maps,
 * awkward ones, fixed sizes, refusals, and thousands of random maps checked
 * against an independent brute-force first-fit placer written here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "part.h"
#include "uapi.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define AL PART_ALIGN
#define U E820_USABLE
#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define MIN64 (64 * MiB) /* the kernel's PART_MIN (percore/mm.c) */

/* qemu-system-x86_64 -m 2G: the RAM above 1 MiB, less a 16 MiB kernel reserve. */
static const struct mem_range qemu_2g[] = {{0x100000 + 16 * MiB, 0x7ffe0000, U}};
/* -m 8G: 3 GiB below the PCI hole, 5 GiB above 4 GiB. Aligned: [2M, 3070M) + [4G, 9G). */
static const struct mem_range qemu_8g[] = {{0x100000, 0xbffe0000, U}, {4 * GiB, 9 * GiB, U}};

/* ---- the reference, written apart from part.c ---- */

/* The 2 MiB-aligned part [lo, hi) of a range; 0 when it holds no whole block. */
static int ref_aligned(const struct mem_range *r, uint64_t *lo, uint64_t *hi)
{
    if (r->base > UINT64_MAX - (AL - 1))
        return 0;
    *lo = (r->base + AL - 1) / AL * AL;
    *hi = r->end / AL * AL;
    return *lo < *hi;
}

/* [p, p + size) lies in one usable range and misses placed[0..k). */
static int ref_fits(const struct mem_range *u, int nr, const struct part *placed, int k, uint64_t p,
                    uint64_t size)
{
    int inside = 0;
    for (int r = 0; r < nr && !inside; r++) {
        uint64_t lo, hi;
        inside = ref_aligned(&u[r], &lo, &hi) && p >= lo && p < hi && size <= hi - p;
    }
    for (int j = 0; inside && j < k; j++)
        if (p < placed[j].end && placed[j].base < p + size)
            return 0;
    return inside;
}

/* First fit in core order: each partition at the lowest aligned address where it
 * fits beside the earlier ones. That address is an aligned range base or the end
 * of an earlier (aligned) partition, so only those are tried. 1 when all placed. */
static int ref_place(const struct mem_range *u, int nr, int n, const uint64_t *fixed, uint64_t even,
                     struct part *out)
{
    for (int i = 0; i < n; i++) {
        uint64_t size = fixed && fixed[i] ? fixed[i] : even, best = UINT64_MAX;
        for (int c = 0; c < nr + i; c++) {
            uint64_t p = 0, hi;
            if (c < nr ? !ref_aligned(&u[c], &p, &hi) : (p = out[c - nr].end, 0))
                continue;
            if (p < best && ref_fits(u, nr, out, i, p, size))
                best = p;
        }
        if (best == UINT64_MAX)
            return 0;
        out[i] = (struct part){best, best + size};
    }
    return 1;
}

/* The largest even size (a multiple of AL, at least min) for which ref_place
 * succeeds, every candidate tried from the top down (no monotony assumed); 0 if
 * none. With no unfixed core: AL if the fixed ones place, else 0. */
static uint64_t ref_best_even(const struct mem_range *u, int nr, int n, const uint64_t *fixed,
                              uint64_t min)
{
    struct part tmp[PART_MAX];
    uint64_t total = 0, fixed_sum = 0, top = 0, lo, hi;
    int nfree = 0;
    for (int r = 0; r < nr; r++)
        if (ref_aligned(&u[r], &lo, &hi)) {
            total += hi - lo;
            top = hi - lo > top ? hi - lo : top;
        }
    for (int i = 0; i < n; i++)
        fixed && fixed[i] ? (void)(fixed_sum += fixed[i]) : (void)nfree++;
    if (nfree == 0)
        return ref_place(u, nr, n, fixed, 0, tmp) ? AL : 0;
    if (min > UINT64_MAX - AL || fixed_sum > total)
        return 0;
    uint64_t floor = min <= AL ? AL : (min + AL - 1) / AL * AL;
    if ((total - fixed_sum) / nfree < top) /* a bound only: the evens must fit the total */
        top = (total - fixed_sum) / nfree / AL * AL;
    for (uint64_t s = top; s >= floor && s > 0; s -= AL)
        if (ref_place(u, nr, n, fixed, s, tmp))
            return s;
    return 0;
}

/* ---- checks on part.c's answer ---- */

/* Every invariant of a successful plan; returns the common even size (0: all fixed). */
static uint64_t check_plan(const struct mem_range *u, int nr, int n, const uint64_t *fixed,
                           uint64_t min, const struct part *p)
{
    uint64_t even = 0;
    for (int i = 0; i < n; i++) {
        uint64_t size = p[i].end - p[i].base;
        assert_true(p[i].base < p[i].end);
        assert_int_equal(p[i].base % AL, 0);
        assert_int_equal(size % AL, 0);
        assert_true(size >= min);
        int inside = 0;
        for (int r = 0; r < nr; r++)
            inside |= p[i].base >= u[r].base && p[i].end <= u[r].end;
        if (!inside)
            print_message("partition %d [%#lx, %#lx) is in no usable range\n", i,
                          (unsigned long)p[i].base, (unsigned long)p[i].end);
        assert_true(inside);
        for (int j = 0; j < i; j++)
            assert_true(p[i].end <= p[j].base || p[j].end <= p[i].base);
        if (fixed && fixed[i])
            assert_int_equal(size, fixed[i]);
        else if (even == 0)
            even = size;
        else
            assert_int_equal(size, even);
    }
    return even;
}

/* part_plan must succeed with every unfixed partition want bytes (checked to be
 * what the reference places, and want + 2 MiB to be what it cannot), or refuse
 * with -ENOMEM when want is 0 (AL when every core is fixed). Plan in out. */
static void expect_plan(const struct mem_range *u, int nr, int n, const uint64_t *fixed,
                        uint64_t min, uint64_t want, struct part *out)
{
    struct part ref[PART_MAX];
    memset(out, 0xa5, sizeof(struct part) * PART_MAX);
    int rc = part_plan(u, nr, n, fixed, min, out);
    if (want == 0) {
        assert_int_equal(ref_best_even(u, nr, n, fixed, min), 0);
        assert_int_equal(rc, -ENOMEM);
        return;
    }
    int nfree = 0;
    for (int i = 0; i < n; i++)
        nfree += !(fixed && fixed[i]);
    assert_true(ref_place(u, nr, n, fixed, want, ref));
    if (nfree) /* nothing larger places */
        assert_false(ref_place(u, nr, n, fixed, want + AL, ref));
    assert_int_equal(rc, 0);
    uint64_t even = check_plan(u, nr, n, fixed, min, out);
    if (even)
        assert_int_equal(even / MiB, want / MiB);
}

/* ---- real maps ---- */

static void test_qemu_2g(void **state)
{
    (void)state;
    struct part p[PART_MAX];
    static const int ns[] = {1, 2, 3, 4, 8};
    static const uint64_t mib[] = {2028, 1014, 676, 506, 252};
    for (int k = 0; k < NELEM(ns); k++)
        expect_plan(qemu_2g, 1, ns[k], NULL, MIN64, mib[k] * MiB, p);
    assert_int_equal(p[0].base, 18 * MiB); /* first fit: from the range's aligned base */
    for (int i = 1; i < 8; i++)
        assert_int_equal(p[i].base, p[i - 1].end);
    expect_plan(qemu_2g, 1, 64, NULL, 16 * MiB, 30 * MiB, p);
    expect_plan(qemu_2g, 1, 64, NULL, MIN64, 0, p); /* 64 x 64 MiB > 2 GiB */
}

static void test_qemu_8g_pci_hole(void **state)
{
    (void)state;
    struct part p[PART_MAX];
    static const int ns[] = {1, 2, 3, 4, 8, 64};
    static const uint64_t mib[] = {5120, 3068, 2560, 1706, 1022, 126};
    for (int k = 0; k < NELEM(ns); k++) {
        expect_plan(qemu_8g, 2, ns[k], NULL, MIN64, mib[k] * MiB, p);
        if (ns[k] == 2) { /* one below the hole, one above */
            assert_int_equal(p[0].base, 2 * MiB);
            assert_int_equal(p[1].base, 4 * GiB);
        }
    }
    assert_int_equal(part_max_count(qemu_8g, 2, MIN64), 64);
    assert_int_equal(part_max_count(qemu_8g, 2, 1 * GiB), 7); /* 2 below, 5 above */
}

/* Bounds that are not 2 MiB multiples: only whole aligned blocks are used. */
static void test_unaligned_bounds(void **state)
{
    (void)state;
    struct part p[PART_MAX];
    static const struct mem_range u[] = {
        {0x9000, 0x3ff000, U},        /* aligned [2M, 2M): empty */
        {0x1234000, 0x5677000, U},    /* aligned [20M, 86M): 66 MiB */
        {0x10001000, 0x10a00000, U},  /* aligned [258M, 266M): 8 MiB */
    };
    expect_plan(u, 3, 1, NULL, 0, 66 * MiB, p);
    assert_int_equal(p[0].base, 20 * MiB);
    expect_plan(u, 3, 2, NULL, 0, 32 * MiB, p);
    expect_plan(u, 3, 3, NULL, 0, 22 * MiB, p);
    expect_plan(u, 3, 3, NULL, 3 * MiB, 22 * MiB, p); /* min rounds up to 4 MiB */
    expect_plan(u, 3, 9, NULL, 5 * MiB, 8 * MiB, p);   /* 8 + 1 */
    expect_plan(u, 3, 10, NULL, 5 * MiB, 6 * MiB, p);  /* 11 + 1 */
    expect_plan(u, 3, 10, NULL, 7 * MiB, 0, p);
    assert_int_equal(part_max_count(u, 3, 5 * MiB), 12); /* 6 MiB each: 11 + 1 */
    assert_int_equal(part_max_count(u, 3, 7 * MiB), 9);  /* 8 MiB each: 8 + 1 */
    assert_int_equal(part_max_count(u, 3, 9 * MiB), 6);  /* 10 MiB each: 6 + 0 */
    assert_int_equal(part_max_count(u, 3, 67 * MiB), 0);
}

/* A range too small for one partition is skipped, and what it held is lost. */
static void test_holes_waste_space(void **state)
{
    (void)state;
    struct part p[PART_MAX];
    static const struct mem_range u[] = {
        {0, 3 * MiB, U},                 /* one 2 MiB block */
        {5 * MiB, 7 * MiB, U},           /* no whole block */
        {16 * MiB, 80 * MiB, U},         /* 64 MiB */
        {96 * MiB, 96 * MiB + 0x1000, U} /* one page */
    };
    expect_plan(u, 4, 1, NULL, 0, 64 * MiB, p);
    assert_int_equal(p[0].base, 16 * MiB);
    expect_plan(u, 4, 2, NULL, 4 * MiB, 32 * MiB, p);
    assert_int_equal(p[0].base, 16 * MiB);
    expect_plan(u, 4, 33, NULL, 0, 2 * MiB, p); /* now the 2 MiB block is used too */
    assert_int_equal(p[0].base, 0);
    expect_plan(u, 4, 34, NULL, 0, 0, p);
    assert_int_equal(part_max_count(u, 4, 0), 33);
    assert_int_equal(part_max_count(u, 4, 3 * MiB), 16);
}

/* ---- fixed sizes ---- */

static void test_fixed_mixed_with_even(void **state)
{
    (void)state;
    struct part p[PART_MAX];
    /* 2 GiB map, 2028 MiB: core 1 fixed 1 GiB, the other three share 1004 MiB. */
    const uint64_t f1[4] = {0, 1 * GiB, 0, 0};
    expect_plan(qemu_2g, 1, 4, f1, MIN64, 334 * MiB, p);
    assert_int_equal(p[1].end - p[1].base, 1 * GiB);
    /* 8 GiB map, n = 8: cores 0-2 below the hole (1 GiB, even, 512 MiB), 3-7 above. */
    const uint64_t f2[8] = {1 * GiB, 0, 512 * MiB};
    expect_plan(qemu_8g, 2, 8, f2, MIN64, 1024 * MiB, p);
    assert_int_equal(p[7].end, 9 * GiB);
    /* Core order decides, not the best arrangement: fixed core 0 takes the first
     * range it fits, so core 1 gets 16 MiB, not the 20 of [0, 20M). */
    static const struct mem_range two[] = {{0, 20 * MiB, U}, {32 * MiB, 48 * MiB, U}};
    const uint64_t f5[2] = {16 * MiB};
    expect_plan(two, 2, 2, f5, 0, 16 * MiB, p);
    assert_int_equal(p[0].base, 0);
    /* Every core fixed, filling the 2 GiB range exactly. */
    const uint64_t f3[3] = {1000 * MiB, 1000 * MiB, 28 * MiB};
    expect_plan(qemu_2g, 1, 3, f3, MIN64 / 4, AL, p);
    const uint64_t f4[3] = {1000 * MiB, 1000 * MiB, 30 * MiB};
    expect_plan(qemu_2g, 1, 3, f4, MIN64 / 4, 0, p);
    /* A NULL table and one of zeros plan the same. */
    const uint64_t zero[PART_MAX] = {0};
    struct part q[PART_MAX];
    assert_int_equal(part_plan(qemu_8g, 2, 64, NULL, MIN64, p), 0);
    assert_int_equal(part_plan(qemu_8g, 2, 64, zero, MIN64, q), 0);
    assert_memory_equal(p, q, 64 * sizeof(struct part));
}

static void test_fixed_that_cannot_fit(void **state)
{
    (void)state;
    struct part p[PART_MAX];
    const uint64_t bigger_than_range[2] = {0, 6 * GiB}; /* total 8 GiB, largest range 5 */
    expect_plan(qemu_8g, 2, 2, bigger_than_range, MIN64, 0, p);
    const uint64_t bigger_than_ram[1] = {10 * GiB};
    expect_plan(qemu_8g, 2, 1, bigger_than_ram, MIN64, 0, p);
    const uint64_t no_room_left[3] = {3068 * MiB, 5 * GiB, 0}; /* exactly full: core 2 gets 0 */
    expect_plan(qemu_8g, 2, 3, no_room_left, MIN64, 0, p);
    expect_plan(qemu_8g, 2, 2, no_room_left, MIN64, AL, p);
    const uint64_t wraps[3] = {1ull << 63, 1ull << 63, 0}; /* the sum wraps to 0 */
    expect_plan(qemu_8g, 2, 3, wraps, MIN64, 0, p);
    expect_plan(qemu_8g, 2, 2, wraps, MIN64, 0, p);
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    struct part p[PART_MAX + 1];
    const uint64_t odd[2] = {0, 100 * MiB + 4096}, small[2] = {32 * MiB, 0}, ok[2] = {0, 64 * MiB};
    assert_int_equal(part_plan(qemu_8g, 2, 0, NULL, MIN64, p), -EINVAL);
    assert_int_equal(part_plan(qemu_8g, 2, -1, NULL, MIN64, p), -EINVAL);
    assert_int_equal(part_plan(qemu_8g, 2, PART_MAX + 1, NULL, 0, p), -EINVAL);
    assert_int_equal(part_plan(qemu_8g, 2, 2, odd, MIN64, p), -EINVAL);
    assert_int_equal(part_plan(qemu_8g, 2, 2, (const uint64_t[]){0, 1 * MiB}, 0, p), -EINVAL);
    assert_int_equal(part_plan(qemu_8g, 2, 2, small, MIN64, p), -EINVAL); /* below min */
    assert_int_equal(part_plan(qemu_8g, 2, 2, ok, MIN64, p), 0);
    assert_int_equal(part_plan(qemu_8g, 2, 1, odd, MIN64, p), 0); /* fixed[1] is not a core's */
    assert_int_equal(part_plan(NULL, 0, 1, NULL, 0, p), -ENOMEM); /* no memory at all */
    assert_int_equal(part_max_count(NULL, 0, 0), 0);
}

/* ---- more cores than memory ---- */

static void test_more_cores_than_memory(void **state)
{
    (void)state;
    struct part p[PART_MAX];
    /* 2028 MiB / 64 MiB = 31: the 32nd core is refused, not squeezed. */
    assert_int_equal(part_max_count(qemu_2g, 1, MIN64), 31);
    expect_plan(qemu_2g, 1, 31, NULL, MIN64, 64 * MiB, p);
    expect_plan(qemu_2g, 1, 32, NULL, MIN64, 0, p);
    expect_plan(qemu_2g, 1, 64, NULL, MIN64, 0, p);
    /* Plenty of memory: the count stops at PART_MAX. */
    assert_int_equal(part_max_count(qemu_2g, 1, 2 * MiB), PART_MAX);
    assert_int_equal(part_max_count(qemu_8g, 2, 0), PART_MAX);
    /* A fixed core takes room from the others. */
    const uint64_t f[31] = {64 * MiB * 2};
    expect_plan(qemu_2g, 1, 31, f, MIN64, 0, p);
    expect_plan(qemu_2g, 1, 30, f, MIN64, 64 * MiB, p);
}

/* ---- bugs found: these tests fail against part.c as it is ---- */

/* First fit, not next fit (a bug this test found): once a fixed partition skips a range
 * too small for it, no later core goes back there. -m 8G, part0=4G: core 0 goes
 * above 4 GiB, and cores 1-3 share the last 1 GiB (340 MiB each) while 3 GiB
 * below the PCI hole stays unused. First fit gives them 1024 MiB (two below the
 * hole, one in [8G, 9G)). */
static void test_fixed_core0_does_not_starve_the_rest(void **state)
{
    (void)state;
    struct part p[PART_MAX];
    const uint64_t f[4] = {4 * GiB};
    expect_plan(qemu_8g, 2, 4, f, MIN64, 1024 * MiB, p); /* next fit gave 340 MiB */
}

/* Same cause: a plan exists (1024 MiB each); next fit refused it with
 * -ENOMEM, and mm_partition then drops the command line's fixed sizes. */
static void test_fixed_core0_spurious_enomem(void **state)
{
    (void)state;
    struct part p[PART_MAX];
    const uint64_t f[4] = {4 * GiB};
    expect_plan(qemu_8g, 2, 4, f, 512 * MiB, 1024 * MiB, p); /* next fit: -ENOMEM */
}

/* align_up(base) must not wrap to 0 for a base in the last 2 MiB below 2^64, or
 * such a range counts as [0, end) and partitions land outside it (memmap_usable
 * can return one: firmware entries are clipped at 2^64, not refused). */
static void test_range_at_top_of_address_space(void **state)
{
    (void)state;
    struct part p[PART_MAX];
    static const struct mem_range top[] = {{UINT64_MAX - MiB + 1, UINT64_MAX - 0xfff, U}};
    expect_plan(top, 1, 1, NULL, 0, 0, p); /* a wrap gave [0, 2^64 - 2 MiB) */
}

/* align_up(min) must not wrap to 0 for min > 2^64 - 2 MiB + 1, or evens below min are
 * handed out, zero-sized ones when memory is short. Low severity (min is a
 * kernel constant), but part_max_count says 64 where none fit. */
static void test_huge_min(void **state)
{
    (void)state;
    struct part p[PART_MAX];
    assert_int_equal(part_plan(qemu_2g, 1, 1, NULL, UINT64_MAX - AL + 2, p), -ENOMEM);
    assert_int_equal(part_max_count(qemu_2g, 1, UINT64_MAX), 0);
}

/* ---- randomized against the reference ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(uint64_t n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng % n;
}

/* 1-8 sorted disjoint ranges in the first GiB, bounds on page (not 2 MiB)
 * boundaries: gaps of 0-7 blocks, lengths of 0-48 blocks plus 1-511 pages. */
static int random_map(struct mem_range *u)
{
    int nr = 1 + (int)rnd(8);
    uint64_t at = rnd(4) * AL + rnd(512) * 4096;
    for (int r = 0; r < nr; r++) {
        u[r].base = at + rnd(8) * AL + (rnd(2) ? rnd(512) * 4096 : 0);
        u[r].end = u[r].base + rnd(49) * AL + (1 + rnd(511)) * 4096;
        u[r].type = U;
        at = u[r].end;
    }
    return nr;
}

static int random_n(void) { return rnd(8) ? 1 + (int)rnd(10) : 1 + (int)rnd(PART_MAX); }
static uint64_t random_min(void) { return rnd(3) ? rnd(9) * MiB : rnd(4) * AL; }

static void print_case(const struct mem_range *u, int nr, int n, const uint64_t *f, uint64_t min,
                       int rc, uint64_t got, uint64_t want)
{
    print_message("map:");
    for (int r = 0; r < nr; r++)
        print_message(" [%#lx, %#lx)", (unsigned long)u[r].base, (unsigned long)u[r].end);
    print_message("\n  n %d min %lu MiB fixed MiB:", n, (unsigned long)(min / MiB));
    for (int i = 0; f && i < n; i++)
        print_message(" %lu", (unsigned long)(f[i] / MiB));
    print_message("\n  part_plan %d even %lu MiB, reference %lu MiB\n", rc,
                  (unsigned long)(got / MiB), (unsigned long)(want / MiB));
}

/* No fixed sizes: part.c's even size must be the reference's, exactly, and
 * part_max_count must match the count of min-sized blocks. */
static void test_random_even_only(void **state)
{
    (void)state;
    struct mem_range u[8];
    struct part p[PART_MAX];
    for (int it = 0; it < 4000; it++) {
        int nr = random_map(u), n = random_n();
        uint64_t min = random_min(), want = ref_best_even(u, nr, n, NULL, min);
        int rc = part_plan(u, nr, n, NULL, min, p);
        uint64_t got = rc == 0 ? check_plan(u, nr, n, NULL, min, p) : 0;
        if (rc != (want ? 0 : -ENOMEM) || got != want)
            print_case(u, nr, n, NULL, min, rc, got, want);
        assert_int_equal(rc, want ? 0 : -ENOMEM);
        assert_int_equal(got, want);

        uint64_t blk = min <= AL ? AL : (min + AL - 1) / AL * AL, lo, hi, count = 0;
        for (int r = 0; r < nr; r++)
            count += ref_aligned(&u[r], &lo, &hi) ? (hi - lo) / blk : 0;
        int most = count > PART_MAX ? PART_MAX : (int)count;
        assert_int_equal(part_max_count(u, nr, min), most);
        if (most > 0)
            assert_int_equal(part_plan(u, nr, most, NULL, min, p), 0);
        if (most < PART_MAX)
            assert_int_equal(part_plan(u, nr, most + 1, NULL, min, p), -ENOMEM);
    }
}

/* Random fixed sizes too (some not 2 MiB multiples, some below min); the first
 * mismatches are printed before the test fails (the next-fit placer once
 * disagreed on about 650 of 4000). First fit is not monotone in the size
 * (a map where 34 MiB places and 32 does not exists), so a fix that binary
 * searches a first-fit placer still misses such maps, about 1 in 40,000. */
static void test_random_with_fixed(void **state)
{
    (void)state;
    struct mem_range u[8];
    struct part p[PART_MAX];
    uint64_t f[PART_MAX];
    int bad = 0, plans = 0;
    for (int it = 0; it < 4000; it++) {
        int nr = random_map(u), n = random_n(), inval = 0;
        uint64_t min = random_min();
        for (int i = 0; i < n; i++) {
            f[i] = rnd(3) ? 0 : (1 + rnd(24)) * AL;
            if (f[i] && !rnd(40))
                f[i] += 4096;
            inval |= f[i] && (f[i] % AL || f[i] < min);
        }
        uint64_t want = inval ? 0 : ref_best_even(u, nr, n, f, min);
        int rc = part_plan(u, nr, n, f, min, p), want_rc = inval ? -EINVAL : want ? 0 : -ENOMEM;
        uint64_t got = rc == 0 ? check_plan(u, nr, n, f, min, p) : 0;
        int nfree = 0;
        for (int i = 0; i < n; i++)
            nfree += !f[i];
        if (rc == 0 && nfree == 0)
            got = AL; /* ref_best_even's mark for "the fixed ones place" */
        plans += rc == 0;
        if (rc != want_rc || got != want) {
            if (bad++ < 8)
                print_case(u, nr, n, f, min, rc, got, want);
        }
    }
    print_message("random with fixed: %d plans, %d disagree with first fit\n", plans, bad);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_2g),
        cmocka_unit_test(test_qemu_8g_pci_hole),
        cmocka_unit_test(test_unaligned_bounds),
        cmocka_unit_test(test_holes_waste_space),
        cmocka_unit_test(test_fixed_mixed_with_even),
        cmocka_unit_test(test_fixed_that_cannot_fit),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_more_cores_than_memory),
        cmocka_unit_test(test_fixed_core0_does_not_starve_the_rest),
        cmocka_unit_test(test_fixed_core0_spurious_enomem),
        cmocka_unit_test(test_range_at_top_of_address_space),
        cmocka_unit_test(test_huge_min),
        cmocka_unit_test(test_random_even_only),
        cmocka_unit_test(test_random_with_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
