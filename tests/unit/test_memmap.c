/* Unit tests for percore/memmap.c: E820 sanitizing and the usable-page list.
 * Real firmware maps (QEMU/SeaBIOS, Bochs) plus hostile ones, and randomized
 * maps checked byte by byte against a brute-force reference. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "memmap.h"

#define U E820_USABLE
#define R E820_RESERVED
#define A E820_ACPI
#define N E820_NVS
#define X E820_BAD
#define E(b, l, t) {(b), (l), (t), 1}
#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define MAXOUT 512

/* Sanitizes raw and checks the result equals want exactly. */
static void expect_map(const struct e820_entry *raw, int n, const struct mem_range *want, int nwant)
{
    struct mem_range out[MAXOUT];
    memset(out, 0xa5, sizeof(out));
    int got = memmap_sanitize(raw, n, out, MAXOUT);
    if (got != nwant) {
        for (int i = 0; i < got; i++)
            print_message("  got [%#lx, %#lx) %u\n", (unsigned long)out[i].base,
                          (unsigned long)out[i].end, out[i].type);
    }
    assert_int_equal(got, nwant);
    for (int i = 0; i < nwant; i++) {
        assert_int_equal(out[i].base, want[i].base);
        assert_int_equal(out[i].end, want[i].end);
        assert_int_equal(out[i].type, want[i].type);
    }
}

static void expect_ranges(const struct mem_range *got, int ngot, const struct mem_range *want, int nwant)
{
    assert_int_equal(ngot, nwant);
    for (int i = 0; i < nwant; i++) {
        assert_int_equal(got[i].base, want[i].base);
        assert_int_equal(got[i].end, want[i].end);
        assert_int_equal(got[i].type, want[i].type);
    }
}

/* ---- real firmware maps ---- */

/* SeaBIOS under qemu-system-x86_64 -m 2G (pc machine). */
static const struct e820_entry qemu_2g[] = {
    E(0x0, 0x9fc00, U),
    E(0x9fc00, 0x400, R),
    E(0xf0000, 0x10000, R),
    E(0x100000, 0x7fee0000, U),
    E(0x7ffe0000, 0x20000, R),
    E(0xfeffc000, 0x4000, R),
    E(0xfffc0000, 0x40000, R),
};

static void test_qemu_2g(void **state)
{
    (void)state;
    static const struct mem_range want[] = {
        {0x0, 0x9fc00, U},         {0x9fc00, 0xa0000, R},      {0xf0000, 0x100000, R},
        {0x100000, 0x7ffe0000, U}, {0x7ffe0000, 0x80000000, R}, {0xfeffc000, 0xff000000, R},
        {0xfffc0000, 0x100000000, R},
    };
    expect_map(qemu_2g, NELEM(qemu_2g), want, NELEM(want));

    struct mem_range map[16], use[16];
    int n = memmap_sanitize(qemu_2g, NELEM(qemu_2g), map, 16);
    assert_int_equal(n, 7);
    /* Low memory kept: the EBDA page is partial, so 0x9f000 is not usable. */
    int k = memmap_usable(map, n, 0, NULL, 0, use, 16);
    static const struct mem_range wantu[] = {{0x0, 0x9f000, U}, {0x100000, 0x7ffe0000, U}};
    expect_ranges(use, k, wantu, NELEM(wantu));
    /* As the boot code does it: above 1 MiB, kernel image cut out. */
    struct mem_range kernel = {0x100000, 0x1234567, 0};
    k = memmap_usable(map, n, 0x100000, &kernel, 1, use, 16);
    static const struct mem_range wantk[] = {{0x1235000, 0x7ffe0000, U}};
    expect_ranges(use, k, wantk, NELEM(wantk));
    assert_int_equal(memmap_total(use, k), 0x7ffe0000 - 0x1235000);
}

/* SeaBIOS under -m 6G: RAM split around the 32-bit PCI hole, 4 GiB moved up. */
static const struct e820_entry qemu_6g[] = {
    E(0x0, 0x9fc00, U),
    E(0x9fc00, 0x400, R),
    E(0xf0000, 0x10000, R),
    E(0x100000, 0xbfee0000, U),
    E(0xbffe0000, 0x20000, R),
    E(0xfeffc000, 0x4000, R),
    E(0xfffc0000, 0x40000, R),
    E(0x100000000, 0x140000000, U),
    /* Newer QEMU also reports the HyperTransport hole below 1 TiB. */
    E(0xfd00000000, 0x300000000, R),
};

static void test_qemu_6g_pci_hole(void **state)
{
    (void)state;
    static const struct mem_range want[] = {
        {0x0, 0x9fc00, U},           {0x9fc00, 0xa0000, R},          {0xf0000, 0x100000, R},
        {0x100000, 0xbffe0000, U},   {0xbffe0000, 0xc0000000, R},    {0xfeffc000, 0xff000000, R},
        {0xfffc0000, 0x100000000, R}, {0x100000000, 0x240000000, U}, {0xfd00000000, 0x10000000000, R},
    };
    expect_map(qemu_6g, NELEM(qemu_6g), want, NELEM(want));

    struct mem_range map[16], use[16];
    int n = memmap_sanitize(qemu_6g, NELEM(qemu_6g), map, 16);
    int k = memmap_usable(map, n, 0x100000, NULL, 0, use, 16);
    static const struct mem_range wantu[] = {{0x100000, 0xbffe0000, U}, {0x100000000, 0x240000000, U}};
    expect_ranges(use, k, wantu, NELEM(wantu));
    assert_int_equal(memmap_total(use, k), 0xbfee0000ull + 0x140000000ull);
}

/* Bochs BIOS (rombios32) with 512 MiB: ACPI tables in the last 64 KiB. */
static void test_bochs_512m(void **state)
{
    (void)state;
    static const struct e820_entry bochs[] = {
        E(0x0, 0x9f000, U),
        E(0x9f000, 0x1000, R),
        E(0xe8000, 0x18000, R),
        E(0x100000, 0x1fef0000, U),
        E(0x1fff0000, 0x10000, A),
        E(0xfffc0000, 0x40000, R),
    };
    static const struct mem_range want[] = {
        {0x0, 0x9f000, U},         {0x9f000, 0xa0000, R},         {0xe8000, 0x100000, R},
        {0x100000, 0x1fff0000, U}, {0x1fff0000, 0x20000000, A}, {0xfffc0000, 0x100000000, R},
    };
    expect_map(bochs, NELEM(bochs), want, NELEM(want));

    struct mem_range map[16], use[16];
    int n = memmap_sanitize(bochs, NELEM(bochs), map, 16);
    /* Exclusions as the boot code passes them: boot_info page, archive. */
    struct mem_range ex[] = {{0x30000, 0x31000, 0}, {0x800000, 0x9ff001, 0}};
    int k = memmap_usable(map, n, 0, ex, NELEM(ex), use, 16);
    static const struct mem_range wantu[] = {
        {0x0, 0x30000, U}, {0x31000, 0x9f000, U}, {0x100000, 0x800000, U}, {0xa00000, 0x1fff0000, U}};
    expect_ranges(use, k, wantu, NELEM(wantu));
}

/* The QEMU map in every rotation and reversed gives the same result. */
static void test_unsorted(void **state)
{
    (void)state;
    struct mem_range ref[16], out[16];
    int nref = memmap_sanitize(qemu_6g, NELEM(qemu_6g), ref, 16);
    assert_int_equal(nref, 9);
    struct e820_entry raw[NELEM(qemu_6g)];
    for (int rot = 0; rot < NELEM(qemu_6g); rot++) {
        for (int rev = 0; rev < 2; rev++) {
            for (int i = 0; i < NELEM(qemu_6g); i++) {
                int j = (i + rot) % NELEM(qemu_6g);
                raw[rev ? NELEM(qemu_6g) - 1 - i : i] = qemu_6g[j];
            }
            int n = memmap_sanitize(raw, NELEM(raw), out, 16);
            expect_ranges(out, n, ref, nref);
        }
    }
}

/* ---- overlaps and odd entries ---- */

static void test_usable_inside_reserved(void **state)
{
    (void)state;
    static const struct e820_entry raw[] = {E(0x1000, 0x9000, R), E(0x3000, 0x2000, U)};
    static const struct mem_range want[] = {{0x1000, 0xa000, R}};
    expect_map(raw, NELEM(raw), want, NELEM(want));
}

static void test_reserved_inside_usable(void **state)
{
    (void)state;
    static const struct e820_entry raw[] = {E(0x3000, 0x2000, R), E(0x1000, 0x9000, U)};
    static const struct mem_range want[] = {{0x1000, 0x3000, U}, {0x3000, 0x5000, R}, {0x5000, 0xa000, U}};
    expect_map(raw, NELEM(raw), want, NELEM(want));
}

static void test_partial_overlaps(void **state)
{
    (void)state;
    /* Reserved overlapping the start of one usable range and the end of another. */
    static const struct e820_entry raw[] = {
        E(0x10000, 0x10000, U), /* [0x10000,0x20000) */
        E(0x8000, 0xc000, R),   /* [0x8000,0x14000) overlaps the start */
        E(0x30000, 0x10000, U), /* [0x30000,0x40000) */
        E(0x3c000, 0x8000, A),  /* [0x3c000,0x44000) overlaps the end */
        E(0x1f000, 0x12000, N), /* [0x1f000,0x31000) overlaps both */
    };
    static const struct mem_range want[] = {
        {0x8000, 0x14000, R},  {0x14000, 0x1f000, U}, {0x1f000, 0x31000, N},
        {0x31000, 0x3c000, U}, {0x3c000, 0x44000, A},
    };
    expect_map(raw, NELEM(raw), want, NELEM(want));
}

static void test_nested_precedence(void **state)
{
    (void)state;
    static const struct e820_entry raw[] = {
        E(0x0, 0x6400000, U),       /* [0, 100M) */
        E(0xa00000, 0xa00000, A),   /* [10M, 20M) */
        E(0xc00000, 0x100000, N),   /* [12M, 13M) */
        E(0xc80000, 0x19000, X),    /* [12.5M, 12.5M+100K) */
        E(0xc40000, 0x80000, R),    /* reserved inside NVS and over BAD: loses */
    };
    static const struct mem_range want[] = {
        {0x0, 0xa00000, U},      {0xa00000, 0xc00000, A}, {0xc00000, 0xc80000, N},
        {0xc80000, 0xc99000, X}, {0xc99000, 0xd00000, N}, {0xd00000, 0x1400000, A},
        {0x1400000, 0x6400000, U},
    };
    expect_map(raw, NELEM(raw), want, NELEM(want));
}

static void test_every_pair_precedence(void **state)
{
    (void)state;
    /* For each pair of types laid over each other, in both orders, the
     * winner covers the whole overlap. */
    static const uint32_t order[] = {U, R, A, N, X}; /* ascending precedence */
    for (int a = 0; a < 5; a++)
        for (int b = 0; b < 5; b++) {
            struct e820_entry raw[] = {E(0x1000, 0x1000, order[a]), E(0x1000, 0x1000, order[b])};
            struct mem_range want = {0x1000, 0x2000, order[a > b ? a : b]};
            expect_map(raw, 2, &want, 1);
        }
}

static void test_duplicates(void **state)
{
    (void)state;
    static const struct e820_entry raw[] = {
        E(0x100000, 0x100000, U), E(0x100000, 0x100000, U), E(0x100000, 0x100000, U),
        E(0x400000, 0x1000, R),   E(0x400000, 0x1000, X),   E(0x400000, 0x1000, R),
    };
    static const struct mem_range want[] = {{0x100000, 0x200000, U}, {0x400000, 0x401000, X}};
    expect_map(raw, NELEM(raw), want, NELEM(want));
}

static void test_merge_adjacent_and_overlapping_same_type(void **state)
{
    (void)state;
    static const struct e820_entry raw[] = {
        E(0x0, 0x1000, U),    E(0x1000, 0x1000, U),   E(0x1800, 0x2000, U), /* merge to [0,0x3800) */
        E(0x3800, 0x800, R),  E(0x4000, 0x1000, R),                         /* merge to [0x3800,0x5000) */
        E(0x5000, 0x1000, U),                                               /* touches, different type */
        E(0x7000, 0x1000, U),                                               /* gap: no merge */
    };
    static const struct mem_range want[] = {
        {0x0, 0x3800, U}, {0x3800, 0x5000, R}, {0x5000, 0x6000, U}, {0x7000, 0x8000, U}};
    expect_map(raw, NELEM(raw), want, NELEM(want));
}

static void test_holes_kept(void **state)
{
    (void)state;
    static const struct e820_entry raw[] = {E(0x5000, 0x1000, U), E(0x1000, 0x1000, U)};
    static const struct mem_range want[] = {{0x1000, 0x2000, U}, {0x5000, 0x6000, U}};
    expect_map(raw, NELEM(raw), want, NELEM(want));
}

static void test_zero_length_and_ignored(void **state)
{
    (void)state;
    static const struct e820_entry raw[] = {
        E(0x1000, 0, X),                  /* zero length: would split the range if kept */
        {0x0, 0x10000, U, 1},
        {0x2000, 0x1000, X, 0},           /* ACPI 3 "ignore" */
        {0x3000, 0x1000, X, 2},           /* other ext bits set, bit 0 clear: ignore */
        {0x4000, 0x1000, R, 3},           /* bit 0 set with others: valid */
        {0x50000, 0x1000, U, 0},          /* ignored usable adds nothing */
    };
    static const struct mem_range want[] = {{0x0, 0x4000, U}, {0x4000, 0x5000, R}, {0x5000, 0x10000, U}};
    expect_map(raw, NELEM(raw), want, NELEM(want));

    static const struct e820_entry none[] = {E(0x1000, 0, U), {0x0, 0x1000, U, 0}};
    struct mem_range out[1];
    assert_int_equal(memmap_sanitize(none, NELEM(none), out, 0), 0);
    assert_int_equal(memmap_sanitize(none, 0, out, 1), 0);
    assert_int_equal(memmap_sanitize(NULL, 0, NULL, 0), 0);
    assert_int_equal(memmap_sanitize(none, -5, out, 1), 0);
}

static void test_wrapping(void **state)
{
    (void)state;
    static const struct e820_entry raw[] = {
        E(0xfffffffffffff000ull, 0x2000, U),   /* wraps: clipped at UINT64_MAX */
        E(0xffffffffffffffffull, 0x10, X),     /* one byte clipped to nothing */
        E(0xffffffff00000000ull, 0xffffffffffffffffull, R), /* huge length */
        E(0x1000, 0xffffffffffffffffull, U),   /* covers everything above 0x1000 */
    };
    static const struct mem_range want[] = {
        {0x1000, 0xffffffff00000000ull, U},
        {0xffffffff00000000ull, UINT64_MAX, R},
    };
    expect_map(raw, NELEM(raw), want, NELEM(want));

    /* A usable range touching the top never yields the last partial page, and
     * no rounding wraps to 0. */
    struct mem_range map[] = {{0xffffffffffffe000ull, UINT64_MAX, U}};
    struct mem_range use[4];
    int k = memmap_usable(map, 1, 0, NULL, 0, use, 4);
    static const struct mem_range wantu[] = {{0xffffffffffffe000ull, 0xfffffffffffff000ull, U}};
    expect_ranges(use, k, wantu, 1);
    k = memmap_usable(map, 1, 0xfffffffffffff001ull, NULL, 0, use, 4);
    assert_int_equal(k, 0);
    struct mem_range ex = {0xffffffffffffe001ull, UINT64_MAX, 0};
    assert_int_equal(memmap_usable(map, 1, 0, &ex, 1, use, 4), 0);
    k = memmap_usable(map, 1, UINT64_MAX, NULL, 0, use, 4);
    assert_int_equal(k, 0);
}

static void test_unknown_types(void **state)
{
    (void)state;
    static const struct e820_entry raw[] = {
        E(0x0, 0x10000, U),
        E(0x1000, 0x1000, 12),   /* persistent memory: not usable RAM */
        E(0x3000, 0x2000, 7),
        E(0x4000, 0x2000, R),    /* equal rank: lower number (2) wins the overlap */
        E(0x7000, 0x1000, 0),    /* type 0 is unknown too */
        E(0x7800, 0x1000, A),    /* ACPI outranks unknown */
        E(0x9000, 0x1000, 0xffffffffu),
    };
    static const struct mem_range want[] = {
        {0x0, 0x1000, U},    {0x1000, 0x2000, 12}, {0x2000, 0x3000, U}, {0x3000, 0x4000, 7},
        {0x4000, 0x6000, R}, {0x6000, 0x7000, U},  {0x7000, 0x7800, 0}, {0x7800, 0x8800, A},
        {0x8800, 0x9000, U}, {0x9000, 0xa000, 0xffffffffu}, {0xa000, 0x10000, U},
    };
    expect_map(raw, NELEM(raw), want, NELEM(want));

    struct mem_range map[16], use[16];
    int n = memmap_sanitize(raw, NELEM(raw), map, 16);
    int k = memmap_usable(map, n, 0, NULL, 0, use, 16);
    static const struct mem_range wantu[] = {
        {0x0, 0x1000, U}, {0x2000, 0x3000, U}, {0x6000, 0x7000, U}, {0xa000, 0x10000, U}};
    expect_ranges(use, k, wantu, NELEM(wantu));
}

static void test_sanitize_out_of_space(void **state)
{
    (void)state;
    struct mem_range out[16];
    memset(out, 0, sizeof(out));
    assert_int_equal(memmap_sanitize(qemu_2g, NELEM(qemu_2g), out, 7), 7);
    assert_int_equal(memmap_sanitize(qemu_2g, NELEM(qemu_2g), out, 6), -1);
    assert_int_equal(memmap_sanitize(qemu_2g, NELEM(qemu_2g), out, 1), -1);
    assert_int_equal(memmap_sanitize(qemu_2g, NELEM(qemu_2g), out, 0), -1);
    assert_int_equal(memmap_sanitize(qemu_2g, NELEM(qemu_2g), out, -1), -1);
    /* Writes stay inside max even when failing. */
    struct mem_range guard[3];
    memset(guard, 0x5a, sizeof(guard));
    assert_int_equal(memmap_sanitize(qemu_2g, NELEM(qemu_2g), guard, 2), -1);
    for (size_t i = 0; i < sizeof(guard[2]); i++)
        assert_int_equal(((unsigned char *)&guard[2])[i], 0x5a);
    /* A merged result needs fewer slots than raw entries. */
    static const struct e820_entry many[] = {E(0x0, 0x1000, U), E(0x1000, 0x1000, U), E(0x2000, 0x1000, U)};
    assert_int_equal(memmap_sanitize(many, 3, out, 1), 1);
    assert_int_equal(out[0].end, 0x3000);
}

/* ---- memmap_usable ---- */

static const struct mem_range flat[] = {
    {0x0, 0x9fc00, U}, {0x9fc00, 0xa0000, R}, {0x100000, 0x1000000, U}, {0x2000000, 0x3000000, U}};

static void test_exclude_middle_edges_entire(void **state)
{
    (void)state;
    struct mem_range use[16];
    struct mem_range ex[] = {
        {0x200000, 0x300000, R},    /* middle of the second range */
        {0x100000, 0x101000, 0},    /* its start edge */
        {0xfff000, 0x1000000, 0},   /* its end edge */
        {0x1ff0000, 0x3000010, 0},  /* the whole third range and more */
    };
    int k = memmap_usable(flat, NELEM(flat), 0, ex, NELEM(ex), use, 16);
    static const struct mem_range want[] = {
        {0x0, 0x9f000, U}, {0x101000, 0x200000, U}, {0x300000, 0xfff000, U}};
    expect_ranges(use, k, want, NELEM(want));
}

static void test_exclude_unaligned_rounds_outward(void **state)
{
    (void)state;
    struct mem_range map[] = {{0x0, 0x10000, U}};
    struct mem_range use[8];
    /* Touches pages 0x1000 and 0x2000 by one byte each side. */
    struct mem_range ex[] = {{0x1fff, 0x2001, 0}};
    int k = memmap_usable(map, 1, 0, ex, 1, use, 8);
    static const struct mem_range want[] = {{0x0, 0x1000, U}, {0x3000, 0x10000, U}};
    expect_ranges(use, k, want, NELEM(want));
    /* One byte excluded costs exactly one page. */
    struct mem_range one = {0x5000, 0x5001, 0};
    k = memmap_usable(map, 1, 0, &one, 1, use, 8);
    static const struct mem_range want1[] = {{0x0, 0x5000, U}, {0x6000, 0x10000, U}};
    expect_ranges(use, k, want1, NELEM(want1));
}

static void test_exclude_overlapping_unsorted(void **state)
{
    (void)state;
    struct mem_range map[] = {{0x0, 0x100000, U}};
    struct mem_range use[8];
    struct mem_range ex[] = {
        {0x50000, 0x60000, 0}, {0x20000, 0x30000, 0}, {0x28000, 0x52000, 0}, /* chain 0x20000-0x60000 */
        {0x21000, 0x22000, 0},                                              /* nested */
        {0x90000, 0x90000, 0}, {0xa0000, 0x80000, 0},                       /* empty, inverted: ignored */
        {0x70000, 0x80000, 0}, {0x70000, 0x80000, 0},                       /* duplicate */
    };
    int k = memmap_usable(map, 1, 0, ex, NELEM(ex), use, 8);
    static const struct mem_range want[] = {{0x0, 0x20000, U}, {0x60000, 0x70000, U}, {0x80000, 0x100000, U}};
    expect_ranges(use, k, want, NELEM(want));
}

static void test_exclude_spanning_ranges(void **state)
{
    (void)state;
    struct mem_range use[8];
    struct mem_range ex = {0x80000, 0x2001001, 0};
    int k = memmap_usable(flat, NELEM(flat), 0, &ex, 1, use, 8);
    static const struct mem_range want[] = {{0x0, 0x80000, U}, {0x2002000, 0x3000000, U}};
    expect_ranges(use, k, want, NELEM(want));
}

static void test_min_addr(void **state)
{
    (void)state;
    struct mem_range use[8];
    int k = memmap_usable(flat, NELEM(flat), 0x100000, NULL, 0, use, 8);
    static const struct mem_range want1[] = {{0x100000, 0x1000000, U}, {0x2000000, 0x3000000, U}};
    expect_ranges(use, k, want1, NELEM(want1));
    /* Inside a range, unaligned: rounds up. */
    k = memmap_usable(flat, NELEM(flat), 0x800001, NULL, 0, use, 8);
    static const struct mem_range want2[] = {{0x801000, 0x1000000, U}, {0x2000000, 0x3000000, U}};
    expect_ranges(use, k, want2, NELEM(want2));
    /* Between ranges. */
    k = memmap_usable(flat, NELEM(flat), 0x1800000, NULL, 0, use, 8);
    static const struct mem_range want3[] = {{0x2000000, 0x3000000, U}};
    expect_ranges(use, k, want3, NELEM(want3));
    /* Above everything, and exactly at an end. */
    assert_int_equal(memmap_usable(flat, NELEM(flat), 0x3000000, NULL, 0, use, 8), 0);
    assert_int_equal(memmap_usable(flat, NELEM(flat), 0xfff01000, NULL, 0, use, 8), 0);
    /* min_addr together with an exclusion starting below it. */
    struct mem_range ex = {0x0, 0x2400000, 0};
    k = memmap_usable(flat, NELEM(flat), 0x2000000, &ex, 1, use, 8);
    static const struct mem_range want4[] = {{0x2400000, 0x3000000, U}};
    expect_ranges(use, k, want4, NELEM(want4));
}

static void test_usable_skips_other_types_and_tiny(void **state)
{
    (void)state;
    struct mem_range map[] = {
        {0x0, 0x800, U},            /* under a page */
        {0x1800, 0x2800, U},        /* a page worth of bytes, but no whole page */
        {0x3000, 0x8000, A},
        {0x9000, 0xa000, N},
        {0xb000, 0xc000, X},
        {0xd000, 0xe000, R},
        {0xf001, 0x11fff, U},       /* one whole page inside */
    };
    struct mem_range use[8];
    int k = memmap_usable(map, NELEM(map), 0, NULL, 0, use, 8);
    static const struct mem_range want[] = {{0x10000, 0x11000, U}};
    expect_ranges(use, k, want, NELEM(want));
}

static void test_usable_out_of_space(void **state)
{
    (void)state;
    struct mem_range use[4];
    struct mem_range ex[] = {{0x200000, 0x300000, 0}};
    assert_int_equal(memmap_usable(flat, NELEM(flat), 0, ex, 1, use, 4), 4);
    assert_int_equal(memmap_usable(flat, NELEM(flat), 0, ex, 1, use, 3), -1);
    assert_int_equal(memmap_usable(flat, NELEM(flat), 0, ex, 1, use, 0), -1);
    assert_int_equal(memmap_usable(flat, 0, 0, ex, 1, use, 0), 0);
}

static void test_total_and_names(void **state)
{
    (void)state;
    assert_int_equal(memmap_total(flat, NELEM(flat)), 0xa0000 + 0xf00000 + 0x1000000);
    assert_int_equal(memmap_total(flat, 0), 0);
    struct mem_range bad[] = {{0x2000, 0x1000, U}, {0x1000, 0x1000, U}, {0x0, 0x10, U}};
    assert_int_equal(memmap_total(bad, 3), 0x10);
    assert_string_equal(memmap_type_name(1), "usable");
    assert_string_equal(memmap_type_name(2), "reserved");
    assert_string_equal(memmap_type_name(3), "ACPI");
    assert_string_equal(memmap_type_name(4), "NVS");
    assert_string_equal(memmap_type_name(5), "bad");
    assert_string_equal(memmap_type_name(0), "unknown");
    assert_string_equal(memmap_type_name(6), "unknown");
    assert_string_equal(memmap_type_name(0xffffffffu), "unknown");
}

/* ---- randomized checks against a brute-force reference ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    /* xorshift64*: deterministic so failures reproduce. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static int ref_rank(uint32_t t)
{
    static const int rank[] = {2, 1, 2, 3, 4, 5};
    return t < 6 ? rank[t] : 2;
}

/* Brute force: the winning type at byte a, or 0 with *covered false. */
static uint32_t ref_type_at(const struct e820_entry *raw, int n, uint64_t a, int *covered)
{
    uint32_t best = 0;
    *covered = 0;
    for (int i = 0; i < n; i++) {
        if (raw[i].len == 0 || !(raw[i].ext & 1))
            continue;
        uint64_t b = raw[i].base;
        uint64_t e = raw[i].len > UINT64_MAX - b ? UINT64_MAX : b + raw[i].len;
        if (a < b || a >= e)
            continue;
        uint32_t t = raw[i].type;
        if (!*covered || ref_rank(t) > ref_rank(best) || (ref_rank(t) == ref_rank(best) && t < best))
            best = t;
        *covered = 1;
    }
    return best;
}

static const uint32_t rand_types[] = {U, U, U, R, A, N, X, 0, 9};

/* Small address space, checked at every byte. */
static void test_random_small_bytewise(void **state)
{
    (void)state;
    enum { SPACE = 600 };
    for (int iter = 0; iter < 3000; iter++) {
        struct e820_entry raw[12];
        int n = (int)(rnd() % 13);
        for (int i = 0; i < n; i++) {
            raw[i].base = rnd() % SPACE;
            raw[i].len = rnd() % 8 == 0 ? 0 : rnd() % (SPACE / 3);
            raw[i].type = rand_types[rnd() % NELEM(rand_types)];
            raw[i].ext = rnd() % 10 == 0 ? 0 : 1;
        }
        struct mem_range out[64];
        int k = memmap_sanitize(raw, n, out, 64);
        assert_in_range(k, 0, 2 * n);
        /* Structure: sorted, non-empty, disjoint, touching ranges differ. */
        for (int i = 0; i < k; i++) {
            assert_true(out[i].base < out[i].end);
            if (i > 0) {
                assert_true(out[i - 1].end <= out[i].base);
                assert_false(out[i - 1].end == out[i].base && out[i - 1].type == out[i].type);
            }
        }
        /* Content: each byte has the reference type, uncovered bytes are absent. */
        int j = 0;
        for (uint64_t a = 0; a < SPACE; a++) {
            while (j < k && out[j].end <= a)
                j++;
            int covered;
            uint32_t t = ref_type_at(raw, n, a, &covered);
            int in = j < k && out[j].base <= a;
            assert_int_equal(in, covered);
            if (covered)
                assert_int_equal(out[j].type, t);
        }
        /* One slot fewer than needed must fail. */
        if (k > 0)
            assert_int_equal(memmap_sanitize(raw, n, out, k - 1), -1);
    }
}

/* Full 64-bit entries, 128 of them (the bootloader's limit): checked at every
 * range boundary and at the midpoint of every piece and gap. */
static void test_random_128_full_range(void **state)
{
    (void)state;
    for (int iter = 0; iter < 40; iter++) {
        struct e820_entry raw[BOOT_E820_MAX];
        for (int i = 0; i < BOOT_E820_MAX; i++) {
            int shift = (int)(rnd() % 64);
            raw[i].base = iter % 2 ? rnd() : rnd() >> shift;
            raw[i].len = rnd() >> (rnd() % 64);
            raw[i].type = rand_types[rnd() % NELEM(rand_types)];
            raw[i].ext = rnd() % 16 == 0 ? 0 : 1;
        }
        static struct mem_range out[2 * BOOT_E820_MAX];
        int k = memmap_sanitize(raw, BOOT_E820_MAX, out, 2 * BOOT_E820_MAX);
        assert_true(k > 0 && k < 2 * BOOT_E820_MAX);
        for (int i = 0; i < k; i++) {
            int covered;
            assert_true(out[i].base < out[i].end);
            assert_int_equal(ref_type_at(raw, BOOT_E820_MAX, out[i].base, &covered), out[i].type);
            assert_true(covered);
            assert_int_equal(ref_type_at(raw, BOOT_E820_MAX, out[i].end - 1, &covered), out[i].type);
            uint64_t mid = out[i].base + (out[i].end - out[i].base) / 2;
            assert_int_equal(ref_type_at(raw, BOOT_E820_MAX, mid, &covered), out[i].type);
            if (i > 0) {
                assert_true(out[i - 1].end <= out[i].base);
                assert_false(out[i - 1].end == out[i].base && out[i - 1].type == out[i].type);
                if (out[i - 1].end < out[i].base) {
                    ref_type_at(raw, BOOT_E820_MAX, out[i - 1].end, &covered);
                    assert_false(covered);
                    ref_type_at(raw, BOOT_E820_MAX, out[i].base - 1, &covered);
                    assert_false(covered);
                }
            }
        }
        int covered;
        if (out[0].base > 0) {
            ref_type_at(raw, BOOT_E820_MAX, out[0].base - 1, &covered);
            assert_false(covered);
        }
        if (out[k - 1].end < UINT64_MAX) {
            ref_type_at(raw, BOOT_E820_MAX, out[k - 1].end, &covered);
            assert_false(covered);
        }
    }
}

/* memmap_usable against a per-page reference on a 96-page space. */
static void test_random_usable_pagewise(void **state)
{
    (void)state;
    enum { PAGES = 96, SPACE = PAGES * 4096 };
    for (int iter = 0; iter < 3000; iter++) {
        struct e820_entry raw[10];
        int n = (int)(rnd() % 11);
        for (int i = 0; i < n; i++) {
            /* Mix page-aligned and byte-granular entries. */
            raw[i].base = rnd() % 2 ? (rnd() % PAGES) * 4096 : rnd() % SPACE;
            raw[i].len = rnd() % 2 ? (rnd() % (PAGES / 2)) * 4096 : rnd() % (SPACE / 2);
            if (raw[i].len > SPACE - raw[i].base) /* keep the reference's space finite */
                raw[i].len = SPACE - raw[i].base;
            raw[i].type = rand_types[rnd() % NELEM(rand_types)];
            raw[i].ext = 1;
        }
        struct mem_range ex[6];
        int nex = (int)(rnd() % 7);
        for (int i = 0; i < nex; i++) {
            ex[i].base = rnd() % SPACE;
            ex[i].end = rnd() % 6 == 0 ? rnd() % SPACE : ex[i].base + rnd() % (SPACE / 4);
            ex[i].type = (uint32_t)rnd();
        }
        uint64_t min_addr = rnd() % 3 == 0 ? 0 : rnd() % SPACE;
        struct mem_range map[32], use[64];
        int k0 = memmap_sanitize(raw, n, map, 32);
        assert_true(k0 >= 0);
        int k = memmap_usable(map, k0, min_addr, ex, nex, use, 64);
        assert_true(k >= 0);

        /* Reference: a page is usable iff every byte is usable RAM, at or
         * above min_addr, and in no exclusion. */
        unsigned char want[PAGES], got[PAGES];
        memset(got, 0, sizeof(got));
        for (int pg = 0; pg < PAGES; pg++) {
            uint64_t a0 = (uint64_t)pg * 4096;
            int ok = a0 >= min_addr;
            for (int i = 0; ok && i < nex; i++)
                if (ex[i].base < ex[i].end && ex[i].base < a0 + 4096 && ex[i].end > a0)
                    ok = 0;
            for (uint64_t a = a0; ok && a < a0 + 4096; a += 256) {
                int covered;
                /* Types change only at entry boundaries; check those inside the page too. */
                if (ref_type_at(raw, n, a, &covered) != U || !covered)
                    ok = 0;
            }
            for (int i = 0; ok && i < n; i++) {
                uint64_t edges[2] = {raw[i].base, raw[i].base + raw[i].len};
                for (int e = 0; e < 2; e++) {
                    int covered;
                    if (edges[e] >= a0 && edges[e] < a0 + 4096 &&
                        (ref_type_at(raw, n, edges[e], &covered) != U || !covered))
                        ok = 0;
                    if (edges[e] > a0 && edges[e] <= a0 + 4096 &&
                        (ref_type_at(raw, n, edges[e] - 1, &covered) != U || !covered))
                        ok = 0;
                }
            }
            want[pg] = (unsigned char)ok;
        }
        for (int i = 0; i < k; i++) {
            assert_int_equal(use[i].type, U);
            assert_int_equal(use[i].base % 4096, 0);
            assert_int_equal(use[i].end % 4096, 0);
            assert_true(use[i].base < use[i].end && use[i].end <= SPACE);
            if (i > 0)
                assert_true(use[i - 1].end < use[i].base);
            for (uint64_t a = use[i].base; a < use[i].end; a += 4096)
                got[a / 4096] = 1;
        }
        assert_memory_equal(got, want, PAGES);
        uint64_t nwant = 0;
        for (int pg = 0; pg < PAGES; pg++)
            nwant += want[pg];
        assert_int_equal(memmap_total(use, k) / 4096, nwant);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_2g),
        cmocka_unit_test(test_qemu_6g_pci_hole),
        cmocka_unit_test(test_bochs_512m),
        cmocka_unit_test(test_unsorted),
        cmocka_unit_test(test_usable_inside_reserved),
        cmocka_unit_test(test_reserved_inside_usable),
        cmocka_unit_test(test_partial_overlaps),
        cmocka_unit_test(test_nested_precedence),
        cmocka_unit_test(test_every_pair_precedence),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_merge_adjacent_and_overlapping_same_type),
        cmocka_unit_test(test_holes_kept),
        cmocka_unit_test(test_zero_length_and_ignored),
        cmocka_unit_test(test_wrapping),
        cmocka_unit_test(test_unknown_types),
        cmocka_unit_test(test_sanitize_out_of_space),
        cmocka_unit_test(test_exclude_middle_edges_entire),
        cmocka_unit_test(test_exclude_unaligned_rounds_outward),
        cmocka_unit_test(test_exclude_overlapping_unsorted),
        cmocka_unit_test(test_exclude_spanning_ranges),
        cmocka_unit_test(test_min_addr),
        cmocka_unit_test(test_usable_skips_other_types_and_tiny),
        cmocka_unit_test(test_usable_out_of_space),
        cmocka_unit_test(test_total_and_names),
        cmocka_unit_test(test_random_small_bytewise),
        cmocka_unit_test(test_random_128_full_range),
        cmocka_unit_test(test_random_usable_pagewise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
