/* Host tests for percore/acpi.c: real firmware tables captured from QEMU and
 * Bochs by tools/acpi-dump.py, corrupted copies of them, and synthetic tables
 * for what the emulators never produce (x2APIC, > 64 CPUs, XSDT, ...).
 * Physical memory is a list of regions, each in a malloc'd buffer of exactly
 * its size, so any read outside what the map callback handed out is an ASan
 * error. Data files are found under $ACPI_DATA_DIR, default
 * tests/unit/data/acpi (make runs the tests from the repository root). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"

/* ------------------------------------------------------------ fake memory */

#define MAX_REGIONS 32

struct region {
    uint64_t phys;
    uint32_t len;
    uint8_t *data;
};

struct mem {
    int n;
    struct region r[MAX_REGIONS];
    int refused; /* map calls answered NULL */
    uint64_t tables_first, tables_end; /* a dump's table records (not BDA, EBDA or BIOS) */
};

static const void *mem_map(uint64_t phys, uint64_t len, void *ctx)
{
    struct mem *m = ctx;
    for (int i = 0; i < m->n; i++) {
        struct region *r = &m->r[i];
        if (phys >= r->phys && len <= r->len && phys - r->phys <= r->len - len)
            return r->data + (phys - r->phys);
    }
    m->refused++;
    return NULL;
}

static struct mem *mem_new(void)
{
    struct mem *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    return m;
}

static void mem_add(struct mem *m, uint64_t phys, const void *data, uint32_t len)
{
    assert_true(m->n < MAX_REGIONS);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    memcpy(buf, data, len);
    m->r[m->n++] = (struct region){ phys, len, buf };
}

/* A writable pointer to phys, for tests that damage a table in place. */
static uint8_t *mem_at(struct mem *m, uint64_t phys)
{
    for (int i = 0; i < m->n; i++)
        if (phys >= m->r[i].phys && phys < m->r[i].phys + m->r[i].len)
            return m->r[i].data + (phys - m->r[i].phys);
    fail_msg("no region holds %#llx", (unsigned long long)phys);
    return NULL;
}

static void mem_free(struct mem *m)
{
    for (int i = 0; i < m->n; i++)
        free(m->r[i].data);
    free(m);
}

/* Loads a dump written by tools/acpi-dump.py (format in its header). */
static struct mem *load_dump(const char *name)
{
    const char *dir = getenv("ACPI_DATA_DIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/unit/data/acpi", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s (run from the repository root or set ACPI_DATA_DIR)", path);
    char magic[8];
    assert_int_equal(fread(magic, 1, 8, f), 8);
    assert_memory_equal(magic, "ACPIDMP1", 8);
    struct mem *m = mem_new();
    uint8_t hdr[16];
    while (fread(hdr, 1, 16, f) == 16) {
        uint64_t phys;
        uint32_t len;
        memcpy(&phys, hdr, 8);
        memcpy(&len, hdr + 8, 4);
        uint8_t *buf = malloc(len);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, len, f), len);
        mem_add(m, phys, buf, len);
        free(buf);
        if (memcmp(hdr + 12, "BDA ", 4) && memcmp(hdr + 12, "EBDA", 4) && memcmp(hdr + 12, "BIOS", 4)) {
            if (m->tables_end == 0 || phys < m->tables_first)
                m->tables_first = phys;
            if (phys + len > m->tables_end)
                m->tables_end = phys + len;
        }
    }
    assert_true(feof(f));
    fclose(f);
    return m;
}

/* --------------------------------------------------------- real dumps */

struct override_want {
    uint8_t irq;
    uint32_t gsi;
    uint16_t flags;
};

/* What QEMU 7.2 (pc and q35) lists: the PIT on GSI 2, and the PCI link IRQs
 * as active-high level (flags 0xd). */
static const struct override_want qemu_overrides[] = {
    { 0, 2, 0 }, { 5, 5, 0xd }, { 9, 9, 0xd }, { 10, 10, 0xd }, { 11, 11, 0xd },
};
/* The Bochs BIOS only moves the PIT. */
static const struct override_want bochs_overrides[] = { { 0, 2, 0 } };

struct dump_want {
    const char *file;
    uint64_t rsdp;
    int ncpus; /* APIC ids and UIDs are 0..ncpus-1 in both emulators */
    uint32_t ioapic_id;
    const struct override_want *overrides;
    int noverrides;
};

static const struct dump_want qemu_pc_smp1 = { "qemu-pc-smp1.dump", 0xf59d0, 1, 0, qemu_overrides, 5 };
static const struct dump_want qemu_pc_smp4 = { "qemu-pc-smp4.dump", 0xf59d0, 4, 0, qemu_overrides, 5 };
static const struct dump_want qemu_pc_smp8 = { "qemu-pc-smp8.dump", 0xf59d0, 8, 0, qemu_overrides, 5 };
static const struct dump_want qemu_q35_smp4 = { "qemu-q35-smp4.dump", 0xf59e0, 4, 0, qemu_overrides, 5 };
static const struct dump_want bochs_smp4 = { "bochs-smp4.dump", 0xfa060, 4, 4, bochs_overrides, 1 };

static void test_real_dump(void **state)
{
    const struct dump_want *w = *state;
    struct mem *m = load_dump(w->file);
    uint64_t rsdp = acpi_find_rsdp(mem_map, m);
    assert_int_equal(rsdp, w->rsdp);

    struct acpi_info info;
    m->refused = 0;
    assert_int_equal(acpi_parse(rsdp, mem_map, m, &info), ACPI_OK);
    assert_int_equal(m->refused, 0); /* every table it wanted is in the dump */
    assert_string_equal(info.oem_id, "BOCHS ");
    assert_int_equal(info.revision, 0);
    assert_int_equal(info.lapic_addr, 0xFEE00000);
    assert_true(info.legacy_pics);
    assert_int_equal(info.ncpus, w->ncpus);
    for (int i = 0; i < w->ncpus; i++) {
        assert_int_equal(info.cpus[i].apic_id, i);
        assert_int_equal(info.cpus[i].uid, i);
    }
    assert_int_equal(info.nioapics, 1);
    assert_int_equal(info.ioapics[0].id, w->ioapic_id);
    assert_int_equal(info.ioapics[0].addr, 0xFEC00000);
    assert_int_equal(info.ioapics[0].gsi_base, 0);
    assert_int_equal(info.noverrides, w->noverrides);
    for (int i = 0; i < w->noverrides; i++) {
        assert_int_equal(info.overrides[i].bus, 0);
        assert_int_equal(info.overrides[i].source_irq, w->overrides[i].irq);
        assert_int_equal(info.overrides[i].gsi, w->overrides[i].gsi);
        assert_int_equal(info.overrides[i].flags, w->overrides[i].flags);
    }
    assert_int_equal(info.dropped, 0);
    /* QEMU's q35 has PCI Express's ECAM (its MCFG); pc and Bochs have none. */
    assert_int_equal(info.ecam_base, strstr(w->file, "q35") ? 0xB0000000 : 0);
    assert_int_equal(info.ecam_buses, strstr(w->file, "q35") ? 256 : 0);
    assert_int_equal(info.tables_first, m->tables_first); /* the firmware device's span */
    assert_int_equal(info.tables_end, m->tables_end);
    mem_free(m);
}

/* ---------------------------------------------------- corrupted dumps */

struct corrupt_want {
    const char *file;
    uint64_t found; /* what acpi_find_rsdp must return */
    int status;     /* what acpi_parse at the original RSDP must return */
};

#define SMP4_RSDP 0xf59d0
static const struct corrupt_want corrupt_cases[] = {
    { "qemu-pc-smp4-rsdp-checksum.dump", 0, ACPI_ERR_RSDP_CHECKSUM },
    { "qemu-pc-smp4-no-rsdp.dump", 0, ACPI_ERR_NO_RSDP },
    { "qemu-pc-smp4-root-checksum.dump", SMP4_RSDP, ACPI_ERR_SDT_CHECKSUM },
    { "qemu-pc-smp4-root-too-long.dump", SMP4_RSDP, ACPI_ERR_SDT_MAP },
    { "qemu-pc-smp4-root-too-short.dump", SMP4_RSDP, ACPI_ERR_SDT_LENGTH },
    { "qemu-pc-smp4-madt-checksum.dump", SMP4_RSDP, ACPI_ERR_SDT_CHECKSUM },
    { "qemu-pc-smp4-no-madt.dump", SMP4_RSDP, ACPI_ERR_NO_MADT },
    { "qemu-pc-smp4-madt-no-cpus.dump", SMP4_RSDP, ACPI_ERR_NO_CPUS },
    { "qemu-pc-smp4-madt-zero-entry.dump", SMP4_RSDP, ACPI_ERR_MADT_TRUNCATED },
    { "qemu-pc-smp4-madt-entry-overrun.dump", SMP4_RSDP, ACPI_ERR_MADT_TRUNCATED },
};

static void test_corrupt_dump(void **state)
{
    const struct corrupt_want *w = *state;
    struct mem *m = load_dump(w->file);
    assert_int_equal(acpi_find_rsdp(mem_map, m), w->found);
    struct acpi_info info;
    memset(&info, 0xAA, sizeof(info));
    int st = acpi_parse(SMP4_RSDP, mem_map, m, &info);
    if (st != w->status)
        fail_msg("%s: got %d (%s), want %d (%s)", w->file, st, acpi_strerror(st),
                 w->status, acpi_strerror(w->status));
    assert_int_equal(info.ncpus, 0);
    assert_int_equal(info.nioapics, 0);
    assert_int_equal(info.lapic_addr, 0);
    mem_free(m);
}

/* Every byte of a real MADT set to every value (checksum fixed so the
 * entries are actually walked): the parser must return, within bounds. */
static void test_madt_mutations(void **state)
{
    (void)state;
    struct mem *m = load_dump("qemu-pc-smp4.dump");
    uint32_t rsdt, rsdt_len, madt_phys = 0;
    memcpy(&rsdt, mem_at(m, SMP4_RSDP + 16), 4);
    memcpy(&rsdt_len, mem_at(m, rsdt + 4), 4);
    for (uint32_t off = 36; off + 4 <= rsdt_len; off += 4) {
        uint32_t p;
        memcpy(&p, mem_at(m, rsdt + off), 4);
        if (memcmp(mem_at(m, p), "APIC", 4) == 0)
            madt_phys = p;
    }
    assert_int_not_equal(madt_phys, 0);
    uint8_t *t = mem_at(m, madt_phys);
    uint32_t len;
    memcpy(&len, t + 4, 4);
    int ok = 0;
    for (uint32_t i = 44; i < len; i++) {
        uint8_t orig = t[i];
        for (int v = 0; v < 256; v++) {
            t[i] = (uint8_t)v;
            t[9] = 0;
            uint8_t s = 0;
            for (uint32_t k = 0; k < len; k++)
                s += t[k];
            t[9] = (uint8_t)-s;
            struct acpi_info info;
            int st = acpi_parse(SMP4_RSDP, mem_map, m, &info);
            assert_true(st >= 0 && st < ACPI_NSTATUS);
            assert_true(info.ncpus >= 0 && info.ncpus <= ACPI_MAX_CPUS);
            ok += st == ACPI_OK;
        }
        t[i] = orig;
    }
    assert_true(ok > 0);
    mem_free(m);
}

/* ------------------------------------------------- synthetic tables */

#define S_RSDP 0xE0040
#define S_EBDA 0x9FC00
#define S_FACP 0x7FE0000
#define S_MADT 0x7FE1000
#define S_RSDT 0x7FE2000
#define S_XSDT 0x7FE3000
#define S_MADT2 0x7FE4000

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void fix_sum(uint8_t *t, uint32_t len, uint32_t at)
{
    uint8_t s = 0;
    t[at] = 0;
    for (uint32_t i = 0; i < len; i++)
        s += t[i];
    t[at] = (uint8_t)-s;
}

static void sdt_seal(uint8_t *t, const char *sig, uint32_t len)
{
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = 1;
    memcpy(t + 10, "HYDROS", 6);
    fix_sum(t, len, 9);
}

struct madt_b {
    uint8_t buf[2048];
    uint32_t len;
};

static void madt_init(struct madt_b *b)
{
    memset(b, 0, sizeof(*b));
    b->len = 44;
    put32(b->buf + 36, 0xFEE00000);
    put32(b->buf + 40, 1);
}

static uint8_t *madt_add(struct madt_b *b, uint8_t type, uint8_t len)
{
    assert_true(b->len + len <= sizeof(b->buf));
    uint8_t *e = b->buf + b->len;
    e[0] = type;
    e[1] = len;
    b->len += len;
    return e;
}

static void madt_lapic(struct madt_b *b, uint8_t uid, uint8_t id, uint32_t flags)
{
    uint8_t *e = madt_add(b, 0, 8);
    e[2] = uid;
    e[3] = id;
    put32(e + 4, flags);
}

static void madt_x2apic(struct madt_b *b, uint32_t id, uint32_t flags, uint32_t uid)
{
    uint8_t *e = madt_add(b, 9, 16);
    put32(e + 4, id);
    put32(e + 8, flags);
    put32(e + 12, uid);
}

static void madt_ioapic(struct madt_b *b, uint8_t id, uint32_t addr, uint32_t gsi)
{
    uint8_t *e = madt_add(b, 1, 12);
    e[2] = id;
    put32(e + 4, addr);
    put32(e + 8, gsi);
}

static void madt_iso(struct madt_b *b, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    uint8_t *e = madt_add(b, 2, 10);
    e[3] = irq;
    put32(e + 4, gsi);
    put16(e + 8, flags);
}

static void add_madt(struct mem *m, uint64_t phys, struct madt_b *b)
{
    sdt_seal(b->buf, "APIC", b->len);
    mem_add(m, phys, b->buf, b->len);
}

static void add_root(struct mem *m, uint64_t phys, const char *sig, unsigned width,
                     const uint64_t *entries, int n)
{
    uint8_t t[256] = { 0 };
    uint32_t len = 36 + width * n;
    for (int i = 0; i < n; i++) {
        if (width == 8)
            put64(t + 36 + 8 * i, entries[i]);
        else
            put32(t + 36 + 4 * i, (uint32_t)entries[i]);
    }
    sdt_seal(t, sig, len);
    mem_add(m, phys, t, len);
}

static void add_rsdp(struct mem *m, uint64_t phys, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
    uint8_t r[36] = { 0 };
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, "HYDROS", 6);
    r[15] = rev;
    put32(r + 16, rsdt);
    put32(r + 20, 36);
    put64(r + 24, xsdt);
    fix_sum(r, 20, 8);
    fix_sum(r, 36, 32);
    mem_add(m, phys, r, rev >= 2 ? 36 : 20); /* exactly what the revision defines */
}

/* The usual layout: BDA word, an empty EBDA, an RSDP in the BIOS area, an
 * RSDT (and an XSDT for revision 2) listing a FACP and then the MADT. */
static struct mem *synth(struct madt_b *b, uint8_t rev)
{
    struct mem *m = mem_new();
    uint8_t seg[2] = { 0xC0, 0x9F }, ebda[1024] = { 0 }, facp[36] = { 0 };
    mem_add(m, 0x40E, seg, 2);
    mem_add(m, S_EBDA, ebda, sizeof(ebda));
    sdt_seal(facp, "FACP", 36);
    mem_add(m, S_FACP, facp, 36);
    add_madt(m, S_MADT, b);
    uint64_t entries[] = { S_FACP, S_MADT };
    add_root(m, S_RSDT, "RSDT", 4, entries, 2);
    if (rev >= 2)
        add_root(m, S_XSDT, "XSDT", 8, entries, 2);
    add_rsdp(m, S_RSDP, rev, S_RSDT, rev >= 2 ? S_XSDT : 0);
    return m;
}

static int synth_parse(struct mem *m, struct acpi_info *info)
{
    uint64_t rsdp = acpi_find_rsdp(mem_map, m);
    assert_int_equal(rsdp, S_RSDP);
    return acpi_parse(rsdp, mem_map, m, info);
}

static void test_more_than_max_cpus(void **state)
{
    (void)state;
    struct madt_b b;
    madt_init(&b);
    for (int i = 0; i < 70; i++)
        madt_lapic(&b, (uint8_t)i, (uint8_t)(i * 2), 1);
    madt_ioapic(&b, 0, 0xFEC00000, 0);
    struct mem *m = synth(&b, 0);
    struct acpi_info info;
    assert_int_equal(synth_parse(m, &info), ACPI_OK);
    assert_int_equal(info.ncpus, ACPI_MAX_CPUS);
    assert_int_equal(info.dropped, 70 - ACPI_MAX_CPUS);
    for (int i = 0; i < ACPI_MAX_CPUS; i++)
        assert_int_equal(info.cpus[i].apic_id, i * 2);
    assert_int_equal(info.nioapics, 1); /* entries after the cut still read */
    mem_free(m);
}

static void test_x2apic(void **state)
{
    (void)state;
    struct madt_b b;
    madt_init(&b);
    madt_lapic(&b, 0, 0, 1);
    madt_lapic(&b, 1, 1, 1);
    madt_x2apic(&b, 300, 1, 10);
    madt_x2apic(&b, 301, 0, 11);        /* disabled */
    madt_x2apic(&b, 1, 1, 12);          /* same CPU as LAPIC 1 */
    madt_x2apic(&b, 0xFFFFFFFF, 1, 13); /* broadcast id, not a CPU */
    madt_x2apic(&b, 70000, 2, 14);      /* online capable */
    struct mem *m = synth(&b, 0);
    struct acpi_info info;
    assert_int_equal(synth_parse(m, &info), ACPI_OK);
    assert_int_equal(info.ncpus, 4);
    uint32_t ids[] = { 0, 1, 300, 70000 }, uids[] = { 0, 1, 10, 14 };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(info.cpus[i].apic_id, ids[i]);
        assert_int_equal(info.cpus[i].uid, uids[i]);
    }
    mem_free(m);
}

static void test_lapic_flags(void **state)
{
    (void)state;
    struct madt_b b;
    madt_init(&b);
    madt_lapic(&b, 0, 0, 0);    /* disabled */
    madt_lapic(&b, 1, 5, 1);
    madt_lapic(&b, 2, 6, 2);    /* online capable */
    madt_lapic(&b, 3, 0xFF, 1); /* broadcast id */
    struct mem *m = synth(&b, 0);
    struct acpi_info info;
    assert_int_equal(synth_parse(m, &info), ACPI_OK);
    assert_int_equal(info.ncpus, 2);
    assert_int_equal(info.cpus[0].apic_id, 5);
    assert_int_equal(info.cpus[1].apic_id, 6);
    mem_free(m);
}

static void test_lapic_addr_override(void **state)
{
    (void)state;
    struct madt_b b;
    madt_init(&b);
    madt_lapic(&b, 0, 0, 1);
    uint8_t *e = madt_add(&b, 5, 12);
    put64(e + 4, 0x100FEE00000ull);
    put32(b.buf + 40, 0); /* no PCAT_COMPAT */
    struct mem *m = synth(&b, 0);
    struct acpi_info info;
    assert_int_equal(synth_parse(m, &info), ACPI_OK);
    assert_int_equal(info.lapic_addr, 0x100FEE00000ull);
    assert_false(info.legacy_pics);
    mem_free(m);
}

static void test_array_limits(void **state)
{
    (void)state;
    struct madt_b b;
    madt_init(&b);
    madt_lapic(&b, 0, 0, 1);
    for (int i = 0; i < ACPI_MAX_IOAPICS + 2; i++)
        madt_ioapic(&b, (uint8_t)i, 0xFEC00000 + 0x1000 * i, 24 * i);
    for (int i = 0; i < ACPI_MAX_OVERRIDES + 3; i++)
        madt_iso(&b, (uint8_t)i, i + 100, 0xF);
    struct mem *m = synth(&b, 0);
    struct acpi_info info;
    assert_int_equal(synth_parse(m, &info), ACPI_OK);
    assert_int_equal(info.nioapics, ACPI_MAX_IOAPICS);
    assert_int_equal(info.ioapics[7].gsi_base, 24 * 7);
    assert_int_equal(info.noverrides, ACPI_MAX_OVERRIDES);
    assert_int_equal(info.overrides[15].gsi, 115);
    assert_int_equal(ACPI_IRQ_POLARITY(info.overrides[0].flags), ACPI_POL_LOW);
    assert_int_equal(ACPI_IRQ_TRIGGER(info.overrides[0].flags), ACPI_TRIG_LEVEL);
    assert_int_equal(info.dropped, 5);
    mem_free(m);
}

/* Revision 2: the XSDT wins over the RSDT, each leading to its own MADT. */
static void test_xsdt_preferred(void **state)
{
    (void)state;
    struct madt_b one, three;
    madt_init(&one);
    madt_lapic(&one, 0, 0, 1);
    madt_init(&three);
    for (int i = 0; i < 3; i++)
        madt_lapic(&three, (uint8_t)i, (uint8_t)(i + 8), 1);
    struct mem *m = mem_new();
    add_madt(m, S_MADT, &one);
    add_madt(m, 0x1000000000ull, &three); /* above 4 GiB: only the XSDT reaches it */
    uint64_t r[] = { S_MADT }, x[] = { 0x1000000000ull };
    add_root(m, S_RSDT, "RSDT", 4, r, 1);
    add_root(m, S_XSDT, "XSDT", 8, x, 1);
    add_rsdp(m, S_RSDP, 2, S_RSDT, S_XSDT);
    struct acpi_info info;
    assert_int_equal(acpi_find_rsdp(mem_map, m), S_RSDP); /* no BDA: BIOS area only */
    assert_int_equal(acpi_parse(S_RSDP, mem_map, m, &info), ACPI_OK);
    assert_int_equal(info.revision, 2);
    assert_string_equal(info.oem_id, "HYDROS");
    assert_int_equal(info.ncpus, 3);
    assert_int_equal(info.cpus[2].apic_id, 10);
    mem_free(m);
}

static void test_rev2_without_xsdt(void **state)
{
    (void)state;
    struct madt_b b;
    madt_init(&b);
    madt_lapic(&b, 0, 3, 1);
    struct mem *m = mem_new();
    add_madt(m, S_MADT, &b);
    uint64_t r[] = { S_MADT };
    add_root(m, S_RSDT, "RSDT", 4, r, 1);
    add_rsdp(m, S_RSDP, 2, S_RSDT, 0);
    struct acpi_info info;
    assert_int_equal(acpi_parse(S_RSDP, mem_map, m, &info), ACPI_OK);
    assert_int_equal(info.cpus[0].apic_id, 3);
    mem_free(m);
}

static void test_rev2_bad_ext_checksum(void **state)
{
    (void)state;
    struct madt_b b;
    madt_init(&b);
    madt_lapic(&b, 0, 0, 1);
    struct mem *m = synth(&b, 2);
    mem_at(m, S_RSDP)[33] ^= 1; /* reserved byte: only the extended sum covers it */
    assert_int_equal(acpi_find_rsdp(mem_map, m), 0);
    struct acpi_info info;
    assert_int_equal(acpi_parse(S_RSDP, mem_map, m, &info), ACPI_ERR_RSDP_CHECKSUM);
    put32(mem_at(m, S_RSDP + 20), 20); /* length below the v2 structure */
    assert_int_equal(acpi_parse(S_RSDP, mem_map, m, &info), ACPI_ERR_RSDP_LENGTH);
    put32(mem_at(m, S_RSDP + 20), 64); /* longer than mapped */
    assert_int_equal(acpi_parse(S_RSDP, mem_map, m, &info), ACPI_ERR_RSDP_LENGTH);
    mem_free(m);
}

/* The EBDA is searched first, and only its first KiB. */
static void test_rsdp_in_ebda(void **state)
{
    (void)state;
    struct madt_b b;
    madt_init(&b);
    madt_lapic(&b, 0, 0, 1);
    struct mem *m = synth(&b, 0);
    uint8_t *ebda = mem_at(m, S_EBDA);
    memcpy(ebda + 0x3F0, mem_at(m, S_RSDP), 16); /* signature only, at +1008 */
    memcpy(ebda + 0x100, mem_at(m, S_RSDP), 20);
    assert_int_equal(acpi_find_rsdp(mem_map, m), S_EBDA + 0x100);
    memset(ebda + 0x100, 0, 20);
    assert_int_equal(acpi_find_rsdp(mem_map, m), S_RSDP);
    mem_free(m);
}

static void test_root_errors(void **state)
{
    (void)state;
    struct madt_b b;
    madt_init(&b);
    madt_lapic(&b, 0, 0, 1);
    struct mem *m = synth(&b, 0);
    struct acpi_info info;
    memcpy(mem_at(m, S_RSDT), "RSDX", 4);
    assert_int_equal(synth_parse(m, &info), ACPI_ERR_SDT_SIGNATURE);
    mem_free(m);

    madt_init(&b);
    madt_lapic(&b, 0, 0, 1);
    m = mem_new();
    add_madt(m, S_MADT, &b);
    add_rsdp(m, S_RSDP, 0, 0, 0);
    assert_int_equal(acpi_parse(S_RSDP, mem_map, m, &info), ACPI_ERR_NO_ROOT);
    mem_free(m);
}

/* An RSDT entry nobody can map is skipped on the way to the MADT; with only
 * unmappable entries the answer is ACPI_ERR_SDT_MAP. */
static void test_unmappable_entries(void **state)
{
    (void)state;
    struct madt_b b;
    madt_init(&b);
    madt_lapic(&b, 0, 0, 1);
    struct mem *m = mem_new();
    add_madt(m, S_MADT, &b);
    uint64_t r[] = { 0, 0x12345000, S_MADT };
    add_root(m, S_RSDT, "RSDT", 4, r, 3);
    add_rsdp(m, S_RSDP, 0, S_RSDT, 0);
    struct acpi_info info;
    assert_int_equal(acpi_parse(S_RSDP, mem_map, m, &info), ACPI_OK);
    assert_int_equal(info.ncpus, 1);
    mem_free(m);

    m = mem_new();
    uint64_t r2[] = { 0x12345000 };
    add_root(m, S_RSDT, "RSDT", 4, r2, 1);
    add_rsdp(m, S_RSDP, 0, S_RSDT, 0);
    assert_int_equal(acpi_parse(S_RSDP, mem_map, m, &info), ACPI_ERR_SDT_MAP);
    mem_free(m);
}

/* Damage to one MADT, checksum kept right so the entry walk sees it. */
static int parse_damaged_madt(void (*damage)(struct madt_b *))
{
    struct madt_b b;
    madt_init(&b);
    madt_lapic(&b, 0, 0, 1);
    madt_ioapic(&b, 0, 0xFEC00000, 0);
    damage(&b);
    struct mem *m = synth(&b, 0);
    struct acpi_info info;
    memset(&info, 0x55, sizeof(info));
    int st = synth_parse(m, &info);
    if (st != ACPI_OK)
        assert_int_equal(info.ncpus, 0);
    mem_free(m);
    return st;
}

static void short_lapic(struct madt_b *b) { madt_add(b, 0, 6); }
static void short_x2apic(struct madt_b *b) { madt_add(b, 9, 12); }
static void length_one(struct madt_b *b) { madt_add(b, 4, 1); }
static void trailing_byte(struct madt_b *b) { b->len++; }
static void unknown_type(struct madt_b *b) { madt_add(b, 0x7F, 2); madt_add(b, 0x80, 40); }
static void short_madt(struct madt_b *b) { b->len = 40; }

static void test_madt_entry_errors(void **state)
{
    (void)state;
    assert_int_equal(parse_damaged_madt(short_lapic), ACPI_ERR_MADT_ENTRY);
    assert_int_equal(parse_damaged_madt(short_x2apic), ACPI_ERR_MADT_ENTRY);
    assert_int_equal(parse_damaged_madt(length_one), ACPI_ERR_MADT_TRUNCATED);
    assert_int_equal(parse_damaged_madt(trailing_byte), ACPI_ERR_MADT_TRUNCATED);
    assert_int_equal(parse_damaged_madt(unknown_type), ACPI_OK);
    assert_int_equal(parse_damaged_madt(short_madt), ACPI_ERR_SDT_LENGTH);
}

static void test_bad_args_and_strerror(void **state)
{
    (void)state;
    struct acpi_info info;
    assert_int_equal(acpi_find_rsdp(NULL, NULL), 0);
    assert_int_equal(acpi_parse(S_RSDP, NULL, NULL, &info), ACPI_ERR_BAD_ARG);
    assert_int_equal(acpi_parse(S_RSDP, mem_map, NULL, NULL), ACPI_ERR_BAD_ARG);
    struct mem *m = mem_new(); /* no memory at all */
    assert_int_equal(acpi_find_rsdp(mem_map, m), 0);
    assert_int_equal(acpi_parse(S_RSDP, mem_map, m, &info), ACPI_ERR_NO_RSDP);
    mem_free(m);
    const char *unknown = acpi_strerror(ACPI_NSTATUS);
    for (int i = 0; i < ACPI_NSTATUS; i++) {
        const char *s = acpi_strerror(i);
        assert_non_null(s);
        assert_true(strlen(s) > 10);
        assert_string_not_equal(s, unknown);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(s, acpi_strerror(j));
    }
    assert_string_equal(acpi_strerror(-1), unknown);
}

/* Named after the dump, so a failure says which firmware broke it. */
#define DUMP_TEST(fn, want) { (want)->file, fn, NULL, NULL, (void *)(want) }

int main(void)
{
    const struct CMUnitTest tests[] = {
        DUMP_TEST(test_real_dump, &qemu_pc_smp1),
        DUMP_TEST(test_real_dump, &qemu_pc_smp4),
        DUMP_TEST(test_real_dump, &qemu_pc_smp8),
        DUMP_TEST(test_real_dump, &qemu_q35_smp4),
        DUMP_TEST(test_real_dump, &bochs_smp4),
        DUMP_TEST(test_corrupt_dump, &corrupt_cases[0]),
        DUMP_TEST(test_corrupt_dump, &corrupt_cases[1]),
        DUMP_TEST(test_corrupt_dump, &corrupt_cases[2]),
        DUMP_TEST(test_corrupt_dump, &corrupt_cases[3]),
        DUMP_TEST(test_corrupt_dump, &corrupt_cases[4]),
        DUMP_TEST(test_corrupt_dump, &corrupt_cases[5]),
        DUMP_TEST(test_corrupt_dump, &corrupt_cases[6]),
        DUMP_TEST(test_corrupt_dump, &corrupt_cases[7]),
        DUMP_TEST(test_corrupt_dump, &corrupt_cases[8]),
        DUMP_TEST(test_corrupt_dump, &corrupt_cases[9]),
        cmocka_unit_test(test_madt_mutations),
        cmocka_unit_test(test_more_than_max_cpus),
        cmocka_unit_test(test_x2apic),
        cmocka_unit_test(test_lapic_flags),
        cmocka_unit_test(test_lapic_addr_override),
        cmocka_unit_test(test_array_limits),
        cmocka_unit_test(test_xsdt_preferred),
        cmocka_unit_test(test_rev2_without_xsdt),
        cmocka_unit_test(test_rev2_bad_ext_checksum),
        cmocka_unit_test(test_rsdp_in_ebda),
        cmocka_unit_test(test_root_errors),
        cmocka_unit_test(test_unmappable_entries),
        cmocka_unit_test(test_madt_entry_errors),
        cmocka_unit_test(test_bad_args_and_strerror),
    };
    return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
