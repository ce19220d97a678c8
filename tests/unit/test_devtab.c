/* Unit tests for percore/devtab.c: the device table from its file, the
 * lines it leaves out and why, port lookups and I/O bitmaps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "devtab.h"

static struct devtab t;
static int bad_lines[16], nbad;
static const char *bad_why[16];

static void bad(int line, const char *why)
{
    bad_lines[nbad] = line;
    bad_why[nbad++] = why;
}

static int parse(const char *text, int ncores)
{
    nbad = 0;
    return devtab_parse(&t, text, strlen(text), ncores, bad);
}

static bool port_open(const uint8_t *iomap, unsigned p)
{
    return !(iomap[p / 8] & (1u << (p % 8)));
}

static void the_shipped_form_parses(void **state)
{
    (void)state;
    assert_int_equal(parse("# comment\n\n"
                           "cmos  0  port:0x70-0x71\n"
                           "ps2 0 port:0x60 port:0x64   # keyboard\n"
                           "com2\t2\tport:760-767\n",
                           4),
                     3);
    assert_int_equal(nbad, 0);
    struct device *d = devtab_find(&t, "ps2");
    assert_non_null(d);
    assert_int_equal(d->holder, 0);
    assert_int_equal(d->nports, 2);
    assert_int_equal(d->ports[1].first, 0x64);
    assert_int_equal(d->ports[1].last, 0x64);
    d = devtab_find(&t, "com2");
    assert_int_equal(d->holder, 2);
    assert_int_equal(d->ports[0].first, 0x2f8);
    assert_int_equal(d->ports[0].last, 0x2ff);
    assert_null(devtab_find(&t, "cmo"));
}

static void bad_lines_are_left_out_with_a_reason(void **state)
{
    (void)state;
    assert_int_equal(parse("a 0 port:0x10-0x1f\n"
                           "b 4 port:0x20\n"                /* no core 4 */
                           "c 0\n"                          /* no ports */
                           "d 0 port:0x18-0x30\n"           /* shares 0x18..0x1f with a */
                           "e 0 port:0x30-0x20\n"           /* backwards */
                           "f 0 port:0x10000\n"             /* beyond 0xffff */
                           "g 0 mmio:0xfec00000\n"          /* not a port */
                           "a 1 port:0x40\n"                /* a again */
                           "a_name_far_too_long 0 port:0x50\n"
                           "h 0 port:1 port:2 port:3 port:4 port:5\n" /* too many ranges */
                           "i x port:0x60\n"                /* core not a number */
                           "j 1 port:0x70-\n"               /* half a range */
                           "k 1 port:0x80\n",
                           4),
                     2);
    assert_int_equal(nbad, 11);
    for (int i = 0; i < nbad; i++) {
        assert_int_equal(bad_lines[i], i + 2);
        assert_true(strlen(bad_why[i]) > 0);
    }
    assert_non_null(devtab_find(&t, "a"));
    assert_non_null(devtab_find(&t, "k"));
}

static void a_line_longer_than_the_buffer_is_refused_not_cut(void **state)
{
    (void)state;
    char text[600];
    memset(text, ' ', sizeof(text));
    memcpy(text, "x 0 port:0x10", 13);
    memcpy(text + sizeof(text) - 14, " port:0x20\nz 0", 14);
    text[sizeof(text) - 1] = 0;
    nbad = 0;
    devtab_parse(&t, text, strlen(text), 1, bad);
    assert_int_equal(nbad, 2); /* the long line, and "z 0" without ports */
    assert_int_equal(t.n, 0);
}

static void ports_are_found_only_inside_one_range(void **state)
{
    (void)state;
    parse("pit 0 port:0x40-0x43 port:0x61\ncmos 1 port:0x70-0x71\n", 2);
    assert_string_equal(devtab_port_device(&t, 0x40, 0x40)->name, "pit");
    assert_string_equal(devtab_port_device(&t, 0x40, 0x43)->name, "pit");
    assert_string_equal(devtab_port_device(&t, 0x61, 0x61)->name, "pit");
    assert_string_equal(devtab_port_device(&t, 0x71, 0x71)->name, "cmos");
    assert_null(devtab_port_device(&t, 0x42, 0x45)); /* runs past the range */
    assert_null(devtab_port_device(&t, 0x70, 0x73)); /* a 32-bit access at 0x70 */
    assert_null(devtab_port_device(&t, 0x3f8, 0x3f8));
}

static void a_bitmap_opens_exactly_the_holders_ports(void **state)
{
    (void)state;
    uint8_t map[IOMAP_BYTES];
    parse("pit 0 port:0x40-0x43 port:0x61\ncmos 1 port:0x70-0x71\n", 2);
    devtab_iomap(&t, 0, map);
    for (unsigned p = 0; p < 0x10000; p++)
        assert_int_equal(port_open(map, p), (p >= 0x40 && p <= 0x43) || p == 0x61);
    devtab_iomap(&t, 1, map);
    for (unsigned p = 0; p < 0x10000; p++)
        assert_int_equal(port_open(map, p), p == 0x70 || p == 0x71);
    devtab_iomap_set(devtab_find(&t, "cmos"), map, false);
    for (unsigned p = 0; p < 0x10000; p++)
        assert_false(port_open(map, p));
}

static void mmio_ranges_are_whole_pages_and_may_be_read_only(void **state)
{
    (void)state;
    bool ro = true;
    assert_int_equal(parse("hpet 0 mmio:0xfed00000-0xfed00fff\n"
                           "lapic 1 mmio:0xfee00000-0xfee00fff:ro port:0x22-0x23\n"
                           "a 0 mmio:0x1001-0x1fff\n"           /* not page aligned */
                           "b 0 mmio:0x1000-0x1ffe\n"           /* not whole pages */
                           "c 0 mmio:0x2000-0x2fff:rw\n"        /* only :ro */
                           "d 0 mmio:0xfed00000-0xfed00fff\n"   /* hpet's page */
                           "e 0 port:0x60:ro\n",                /* ports have no :ro */
                           2),
                     2);
    assert_int_equal(nbad, 5);
    struct device *d = devtab_mmio_device(&t, 0xfed00000, 0xfed00007, &ro);
    assert_non_null(d);
    assert_string_equal(d->name, "hpet");
    assert_false(ro);
    d = devtab_mmio_device(&t, 0xfee00030, 0xfee00033, &ro);
    assert_string_equal(d->name, "lapic");
    assert_true(ro);
    assert_int_equal(d->nports, 1);
    assert_null(devtab_mmio_device(&t, 0xfed00ffc, 0xfed01003, &ro)); /* past the page */
    assert_null(devtab_mmio_device(&t, 0x1000, 0x1000, &ro));
    devtab_remove(&t, 0);
    assert_int_equal(t.n, 1);
    assert_null(devtab_find(&t, "hpet"));
    assert_non_null(devtab_find(&t, "lapic"));
}

static void interrupt_lines_are_isa_and_never_shared(void **state)
{
    (void)state;
    assert_int_equal(parse("cmos 0 port:0x70-0x71 irq:8\n"
                           "ps2 1 port:0x60 port:0x64 irq:1 irq:12\n"
                           "a 0 irq:16\n"        /* not ISA */
                           "b 0 irq:8\n"         /* cmos's */
                           "c 0 irq:x\n"
                           "d 0 irq:1-2\n",
                           2),
                     2);
    assert_int_equal(nbad, 4);
    assert_string_equal(devtab_irq_device(&t, 8)->name, "cmos");
    assert_string_equal(devtab_irq_device(&t, 12)->name, "ps2");
    assert_int_equal(devtab_irq_device(&t, 12)->holder, 1);
    assert_null(devtab_irq_device(&t, 3));
}

static void firmware_ranges_are_added_read_only_and_never_shared(void **state)
{
    (void)state;
    bool ro;
    assert_int_equal(parse("firmware 0 mmio:0xe0000-0xfffff:ro firmware\n"
                           "hpet 0 mmio:0xfed00000-0xfed00fff\n"
                           "f2 0 firmware:acpi\n", /* nothing after it */
                           1),
                     2);
    assert_int_equal(nbad, 1);
    struct device *d = devtab_find(&t, "firmware");
    assert_true(d->firmware);
    assert_false(devtab_find(&t, "hpet")->firmware);
    assert_null(devtab_add_mmio(&t, d, 0x7fe0000, 0x7ffffff, true));
    assert_ptr_equal(devtab_mmio_device(&t, 0x7fe1000, 0x7fe1fff, &ro), d);
    assert_true(ro);
    assert_non_null(devtab_add_mmio(&t, d, 0x7fe0000, 0x7fe0ffe, true));        /* not whole pages */
    assert_non_null(devtab_add_mmio(&t, d, 0xfed00000, 0xfed00fff, true));      /* hpet's */
    assert_null(devtab_add_mmio(&t, d, 0x9000, 0x9fff, true));
    assert_null(devtab_add_mmio(&t, d, 0xa000, 0xafff, true));
    assert_non_null(devtab_add_mmio(&t, d, 0xb000, 0xbfff, true));              /* no room left */
    assert_int_equal(d->nmmio, DEV_RANGES);
    /* ECAM: PCI Express's configuration space, read and written. */
    assert_int_equal(parse("pci 0 port:0xcf8-0xcff ecam\n", 1), 1);
    d = devtab_find(&t, "pci");
    assert_true(d->ecam);
    assert_false(d->firmware);
    assert_null(devtab_add_mmio(&t, d, 0xb0000000, 0xbfffffff, false));
    assert_ptr_equal(devtab_mmio_device(&t, 0xb0100000, 0xb01fffff, &ro), d);
    assert_false(ro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_shipped_form_parses),
        cmocka_unit_test(bad_lines_are_left_out_with_a_reason),
        cmocka_unit_test(a_line_longer_than_the_buffer_is_refused_not_cut),
        cmocka_unit_test(ports_are_found_only_inside_one_range),
        cmocka_unit_test(a_bitmap_opens_exactly_the_holders_ports),
        cmocka_unit_test(mmio_ranges_are_whole_pages_and_may_be_read_only),
        cmocka_unit_test(interrupt_lines_are_isa_and_never_shared),
        cmocka_unit_test(firmware_ranges_are_added_read_only_and_never_shared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
