/* Host tests for percore/smbios.c: entry points written into a made-up
 * F segment (0xF0000-0xFFFFF), found or refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "smbios.h"

#define SEG 0xF0000
static uint8_t seg[0x10000];

static const void *seg_map(uint64_t phys, uint64_t len, void *ctx)
{
    (void)ctx;
    if (phys < SEG || phys + len > SEG + sizeof(seg))
        return NULL;
    return seg + (phys - SEG);
}

static void seal(uint8_t *p, int len, int at)
{
    uint8_t s = 0;
    p[at] = 0;
    for (int i = 0; i < len; i++)
        s += p[i];
    p[at] = (uint8_t)-s;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

/* A 2.8 entry point at off: table of len bytes at addr. */
static uint8_t *ep2(uint32_t off, uint32_t addr, uint16_t len)
{
    uint8_t *p = seg + off;
    memcpy(p, "_SM_", 4);
    p[5] = 0x1F, p[6] = 2, p[7] = 8;
    memcpy(p + 0x10, "_DMI_", 5);
    p[0x16] = (uint8_t)len, p[0x17] = (uint8_t)(len >> 8);
    put32(p + 0x18, addr);
    seal(p + 0x10, 0x0F, 5);
    seal(p, 0x1F, 4);
    return p;
}

static uint8_t *ep3(uint32_t off, uint64_t addr, uint32_t max)
{
    uint8_t *p = seg + off;
    memcpy(p, "_SM3_", 5);
    p[6] = 0x18, p[7] = 3, p[8] = 2;
    put32(p + 0x0C, max);
    put32(p + 0x10, (uint32_t)addr);
    put32(p + 0x14, (uint32_t)(addr >> 32));
    seal(p, 0x18, 5);
    return p;
}

static int setup(void **state)
{
    (void)state;
    memset(seg, 0, sizeof(seg));
    return 0;
}

static void test_v2(void **state)
{
    (void)state;
    struct smbios_where w;
    ep2(0x5A40, 0x7FFF000, 0x1A3);
    assert_int_equal(smbios_find(seg_map, NULL, &w), 0);
    assert_int_equal(w.entry, SEG + 0x5A40);
    assert_int_equal(w.table, 0x7FFF000);
    assert_int_equal(w.table_end, 0x7FFF000 + 0x1A3);
    assert_int_equal(w.major, 2);
    assert_int_equal(w.minor, 8);
}

static void test_v3_wins(void **state)
{
    (void)state;
    struct smbios_where w;
    ep2(0x100, 0xE0000, 0x40);
    ep3(0x200, 0x1234560000ull, 0x800);
    assert_int_equal(smbios_find(seg_map, NULL, &w), 0);
    assert_int_equal(w.entry, SEG + 0x200);
    assert_int_equal(w.table, 0x1234560000ull);
    assert_int_equal(w.table_end, 0x1234560800ull);
    assert_int_equal(w.major, 3);
}

static void test_refused(void **state)
{
    (void)state;
    struct smbios_where w;
    assert_int_equal(smbios_find(seg_map, NULL, &w), -1); /* nothing there */
    uint8_t *p = ep2(0x300, 0x9000, 0x40);
    p[0x18]++; /* both checksums now wrong */
    assert_int_equal(smbios_find(seg_map, NULL, &w), -1);
    p = ep2(0x300, 0x9000, 0x40);
    p[0x10] = 'X'; /* no "_DMI_" */
    seal(p, 0x1F, 4);
    assert_int_equal(smbios_find(seg_map, NULL, &w), -1);
    memset(p, 0, 0x20);
    ep3(0x300, 0x9000, 0); /* an empty table */
    assert_int_equal(smbios_find(seg_map, NULL, &w), -1);
    p = ep3(0x300, 0x9000, 0x40);
    p[6] = 0x60; /* an absurd length */
    seal(p, 0x18, 5);
    assert_int_equal(smbios_find(seg_map, NULL, &w), -1);
    assert_int_equal(smbios_find(NULL, NULL, &w), -1);
}

static void test_misaligned_ignored(void **state)
{
    (void)state;
    struct smbios_where w;
    ep2(0x408, 0x9000, 0x40); /* not on a 16-byte boundary */
    assert_int_equal(smbios_find(seg_map, NULL, &w), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_v2, setup),
        cmocka_unit_test_setup(test_v3_wins, setup),
        cmocka_unit_test_setup(test_refused, setup),
        cmocka_unit_test_setup(test_misaligned_ignored, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
