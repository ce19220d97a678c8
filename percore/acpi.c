/* ACPI table parser: RSDP search, RSDT/XSDT walk, MADT decoding (see acpi.h).
 * Firmware tables are untrusted input: every field is read byte by byte
 * (tables are not aligned), every length is checked before it is used, and
 * every byte read lies inside a range the map callback handed out. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acpi.h"
#include "string.h"

#define RSDP_V1_LEN 20
#define RSDP_V2_LEN 36
#define RSDP_MAX_LEN 4096
#define SDT_HDR_LEN 36
#define SDT_MAX_LEN (1u << 20) /* far above any real RSDT/XSDT/MADT */
#define MADT_HDR_LEN 44
#define MADT_PCAT_COMPAT 1

/* MADT entry types and the shortest length each may have. */
#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_OVERRIDE 2
#define MADT_LAPIC_ADDR 5
#define MADT_X2APIC 9
#define LAPIC_ENABLED 1
#define LAPIC_ONLINE_CAPABLE 2

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static uint8_t sum8(const uint8_t *p, uint32_t len)
{
    uint8_t s = 0;
    while (len--)
        s += *p++;
    return s;
}

/* The callback, refusing ranges that wrap around the address space so that
 * it never has to. */
static const uint8_t *map_range(acpi_map_fn map, void *ctx, uint64_t phys, uint64_t len)
{
    if (len == 0 || phys + len < phys)
        return NULL;
    return map(phys, len, ctx);
}

const char *acpi_strerror(int status)
{
    switch (status) {
    case ACPI_OK: return "ACPI tables parsed";
    case ACPI_ERR_BAD_ARG: return "ACPI parser called without a map callback or output";
    case ACPI_ERR_NO_RSDP: return "no ACPI RSDP signature at the given address";
    case ACPI_ERR_RSDP_CHECKSUM: return "ACPI RSDP checksum is wrong";
    case ACPI_ERR_RSDP_LENGTH: return "ACPI 2.0 RSDP has an invalid length";
    case ACPI_ERR_NO_ROOT: return "ACPI RSDP points to neither an RSDT nor an XSDT";
    case ACPI_ERR_SDT_MAP: return "an ACPI table lies outside readable memory";
    case ACPI_ERR_SDT_SIGNATURE: return "ACPI RSDT/XSDT has the wrong signature";
    case ACPI_ERR_SDT_CHECKSUM: return "an ACPI table checksum is wrong";
    case ACPI_ERR_SDT_LENGTH: return "an ACPI table length is invalid";
    case ACPI_ERR_NO_MADT: return "no ACPI MADT (APIC table) found";
    case ACPI_ERR_MADT_TRUNCATED: return "an ACPI MADT entry is empty or runs past the table";
    case ACPI_ERR_MADT_ENTRY: return "an ACPI MADT entry is too short for its type";
    case ACPI_ERR_NO_CPUS: return "the ACPI MADT lists no enabled CPU";
    default: return "unknown ACPI status";
    }
}

/* Checks the RSDP at phys; on success *rsdp points at its first
 * RSDP_V1_LEN bytes, or at all of it (at least RSDP_V2_LEN) for revision >= 2. */
static int rsdp_check(acpi_map_fn map, void *ctx, uint64_t phys, const uint8_t **rsdp)
{
    const uint8_t *p = map_range(map, ctx, phys, RSDP_V1_LEN);
    if (p == NULL || memcmp(p, "RSD PTR ", 8) != 0)
        return ACPI_ERR_NO_RSDP;
    if (sum8(p, RSDP_V1_LEN) != 0)
        return ACPI_ERR_RSDP_CHECKSUM;
    if (p[15] >= 2) {
        const uint8_t *v2 = map_range(map, ctx, phys, RSDP_V2_LEN);
        if (v2 == NULL)
            return ACPI_ERR_RSDP_LENGTH;
        uint32_t len = rd32(v2 + 20);
        if (len < RSDP_V2_LEN || len > RSDP_MAX_LEN)
            return ACPI_ERR_RSDP_LENGTH;
        p = map_range(map, ctx, phys, len);
        if (p == NULL)
            return ACPI_ERR_RSDP_LENGTH;
        if (sum8(p, len) != 0)
            return ACPI_ERR_RSDP_CHECKSUM;
    }
    *rsdp = p;
    return ACPI_OK;
}

static uint64_t scan_rsdp(acpi_map_fn map, void *ctx, uint64_t start, uint64_t end)
{
    const uint8_t *unused;
    for (uint64_t a = start; a < end; a += 16)
        if (rsdp_check(map, ctx, a, &unused) == ACPI_OK)
            return a;
    return 0;
}

uint64_t acpi_find_rsdp(acpi_map_fn map, void *ctx)
{
    if (map == NULL)
        return 0;
    const uint8_t *seg = map_range(map, ctx, 0x40E, 2);
    if (seg != NULL) {
        uint64_t ebda = (uint64_t)rd16(seg) << 4;
        uint64_t found = ebda ? scan_rsdp(map, ctx, ebda, ebda + 1024) : 0;
        if (found)
            return found;
    }
    return scan_rsdp(map, ctx, 0xE0000, 0x100000);
}

/* Maps the whole table at phys after checking its header: signature (when
 * sig is not NULL), length, then checksum over that length. */
static int sdt_load(acpi_map_fn map, void *ctx, uint64_t phys, const char *sig,
                    const uint8_t **table, uint32_t *len)
{
    const uint8_t *h = map_range(map, ctx, phys, SDT_HDR_LEN);
    if (h == NULL)
        return ACPI_ERR_SDT_MAP;
    if (sig != NULL && memcmp(h, sig, 4) != 0)
        return ACPI_ERR_SDT_SIGNATURE;
    uint32_t n = rd32(h + 4);
    if (n < SDT_HDR_LEN || n > SDT_MAX_LEN)
        return ACPI_ERR_SDT_LENGTH;
    const uint8_t *t = map_range(map, ctx, phys, n);
    if (t == NULL)
        return ACPI_ERR_SDT_MAP;
    if (sum8(t, n) != 0)
        return ACPI_ERR_SDT_CHECKSUM;
    *table = t;
    *len = n;
    return ACPI_OK;
}

/* Walks the root table's entries (4 or 8 bytes wide) for the first table
 * with signature sig. Entries whose header cannot be mapped are skipped, since the MADT
 * may be listed after them; if the MADT is then missing, that is reported as
 * ACPI_ERR_SDT_MAP rather than ACPI_ERR_NO_MADT, as it may have been one of them. */
static int find_table(acpi_map_fn map, void *ctx, const uint8_t *root, uint32_t len,
                      unsigned width, const char *sig, const uint8_t **table, uint32_t *table_len)
{
    bool unmapped = false;
    for (uint32_t off = SDT_HDR_LEN; off + width <= len; off += width) {
        uint64_t phys = width == 8 ? rd64(root + off) : rd32(root + off);
        if (phys == 0)
            continue;
        const uint8_t *h = map_range(map, ctx, phys, SDT_HDR_LEN);
        if (h == NULL) {
            unmapped = true;
            continue;
        }
        if (memcmp(h, sig, 4) == 0)
            return sdt_load(map, ctx, phys, sig, table, table_len);
    }
    return unmapped ? ACPI_ERR_SDT_MAP : ACPI_ERR_NO_MADT;
}

/* The PM1a control port from the FADT and the S5 sleep type from the
 * DSDT's \_S5 package (the first byte of Package(){...}): what powering the
 * machine off takes. Optional: without them power_off stays false. */
static void power_info(acpi_map_fn map, void *ctx, const uint8_t *root, uint32_t len, unsigned width,
                       struct acpi_info *out)
{
    const uint8_t *fadt, *dsdt;
    uint32_t flen, dlen;
    if (find_table(map, ctx, root, len, width, "FACP", &fadt, &flen) != ACPI_OK || flen < 68)
        return;
    if (sdt_load(map, ctx, rd32(fadt + 40), "DSDT", &dsdt, &dlen) != ACPI_OK)
        return;
    for (uint32_t i = SDT_HDR_LEN; i + 10 < dlen; i++) {
        if (memcmp(dsdt + i, "_S5_", 4) != 0 || dsdt[i + 4] != 0x12 /* PackageOp */)
            continue;
        uint32_t at = i + 5 + (dsdt[i + 5] >> 6) + 1 + 1; /* past PkgLength and NumElements */
        if (at + 1 >= dlen)
            return;
        uint8_t op = dsdt[at];
        out->slp_typ_s5 = op == 0x0A /* BytePrefix */ ? dsdt[at + 1] : op == 0x01 /* One */ ? 1 : 0;
        out->pm1a_cnt = rd32(fadt + 64);
        out->power_off = out->pm1a_cnt != 0;
        return;
    }
}

static void add_cpu(struct acpi_info *out, uint32_t apic_id, uint32_t uid)
{
    for (int i = 0; i < out->ncpus; i++)
        if (out->cpus[i].apic_id == apic_id)
            return; /* listed twice (LAPIC and x2APIC form): start it once */
    if (out->ncpus == ACPI_MAX_CPUS) {
        out->dropped++;
        return;
    }
    out->cpus[out->ncpus].apic_id = apic_id;
    out->cpus[out->ncpus].uid = uid;
    out->ncpus++;
}

/* Length an entry of this type must have at least; 2 for types we skip. */
static unsigned madt_min_len(uint8_t type)
{
    switch (type) {
    case MADT_LAPIC: return 8;
    case MADT_IOAPIC: return 12;
    case MADT_OVERRIDE: return 10;
    case MADT_LAPIC_ADDR: return 12;
    case MADT_X2APIC: return 16;
    default: return 2;
    }
}

static void madt_entry(struct acpi_info *out, const uint8_t *e)
{
    switch (e[0]) {
    case MADT_LAPIC:
        /* APIC id 0xFF is the broadcast id, never a real CPU. */
        if ((rd32(e + 4) & (LAPIC_ENABLED | LAPIC_ONLINE_CAPABLE)) && e[3] != 0xFF)
            add_cpu(out, e[3], e[2]);
        break;
    case MADT_X2APIC:
        if ((rd32(e + 8) & (LAPIC_ENABLED | LAPIC_ONLINE_CAPABLE)) && rd32(e + 4) != 0xFFFFFFFF)
            add_cpu(out, rd32(e + 4), rd32(e + 12));
        break;
    case MADT_IOAPIC:
        if (out->nioapics == ACPI_MAX_IOAPICS) {
            out->dropped++;
            break;
        }
        out->ioapics[out->nioapics].id = e[2];
        out->ioapics[out->nioapics].addr = rd32(e + 4);
        out->ioapics[out->nioapics].gsi_base = rd32(e + 8);
        out->nioapics++;
        break;
    case MADT_OVERRIDE:
        if (out->noverrides == ACPI_MAX_OVERRIDES) {
            out->dropped++;
            break;
        }
        out->overrides[out->noverrides].bus = e[2];
        out->overrides[out->noverrides].source_irq = e[3];
        out->overrides[out->noverrides].gsi = rd32(e + 4);
        out->overrides[out->noverrides].flags = rd16(e + 8);
        out->noverrides++;
        break;
    case MADT_LAPIC_ADDR:
        out->lapic_addr = rd64(e + 4);
        break;
    default:
        break; /* NMI routing, GIC, ...: not needed to start the CPUs */
    }
}

/* Decodes a checksummed MADT of len bytes. Every entry is bounds-checked
 * before any of its bytes is read. */
static int madt_parse(const uint8_t *t, uint32_t len, struct acpi_info *out)
{
    if (len < MADT_HDR_LEN)
        return ACPI_ERR_SDT_LENGTH;
    out->lapic_addr = rd32(t + 36);
    out->legacy_pics = rd32(t + 40) & MADT_PCAT_COMPAT;
    for (uint32_t off = MADT_HDR_LEN; off < len;) {
        if (len - off < 2 || t[off + 1] < 2 || t[off + 1] > len - off)
            return ACPI_ERR_MADT_TRUNCATED;
        if (t[off + 1] < madt_min_len(t[off]))
            return ACPI_ERR_MADT_ENTRY;
        madt_entry(out, t + off);
        off += t[off + 1];
    }
    return out->ncpus > 0 ? ACPI_OK : ACPI_ERR_NO_CPUS;
}

/* The MCFG's allocation for segment 0 that starts at bus 0, if any (an
 * entry is 16 bytes from offset 44: base, segment, first and last bus). */
static void ecam_info(acpi_map_fn map, void *ctx, const uint8_t *root, uint32_t len, unsigned width,
                      struct acpi_info *out)
{
    const uint8_t *t;
    uint32_t n;
    if (find_table(map, ctx, root, len, width, "MCFG", &t, &n) != ACPI_OK)
        return;
    for (uint32_t off = 44; off + 16 <= n; off += 16)
        if (rd16(t + off + 8) == 0 && t[off + 10] == 0) {
            out->ecam_base = rd64(t + off);
            out->ecam_buses = t[off + 11] + 1u;
            return;
        }
}

/* Widens the span of table memory by len bytes at phys. */
static void span(struct acpi_info *out, uint64_t phys, uint64_t len)
{
    if (out->tables_end == 0 || phys < out->tables_first)
        out->tables_first = phys;
    if (phys + len > out->tables_end)
        out->tables_end = phys + len;
}

/* A table's extent from its header's length (the FACS has one too, at the
 * same offset), if its header maps and the length is sane. */
static void span_table(acpi_map_fn map, void *ctx, uint64_t phys, struct acpi_info *out)
{
    const uint8_t *h = phys ? map_range(map, ctx, phys, 8) : NULL;
    if (h != NULL && rd32(h + 4) >= 8 && rd32(h + 4) <= SDT_MAX_LEN)
        span(out, phys, rd32(h + 4));
}

/* Every table the root lists, and the FADT's DSDT and FACS. */
static void tables_span(acpi_map_fn map, void *ctx, uint64_t root_phys, const uint8_t *root, uint32_t len,
                        unsigned width, struct acpi_info *out)
{
    span(out, root_phys, len);
    for (uint32_t off = SDT_HDR_LEN; off + width <= len; off += width) {
        uint64_t phys = width == 8 ? rd64(root + off) : rd32(root + off);
        span_table(map, ctx, phys, out);
        const uint8_t *h = phys ? map_range(map, ctx, phys, 8) : NULL;
        const uint8_t *fadt = h && memcmp(h, "FACP", 4) == 0 && rd32(h + 4) >= 44 ? map_range(map, ctx, phys, 44) : NULL;
        if (fadt != NULL) {
            span_table(map, ctx, rd32(fadt + 36), out);
            span_table(map, ctx, rd32(fadt + 40), out);
        }
    }
}

static int parse(uint64_t rsdp_phys, acpi_map_fn map, void *ctx, struct acpi_info *out)
{
    const uint8_t *rsdp;
    int st = rsdp_check(map, ctx, rsdp_phys, &rsdp);
    if (st != ACPI_OK)
        return st;
    memcpy(out->oem_id, rsdp + 9, 6);
    out->oem_id[6] = '\0';
    out->revision = rsdp[15];

    /* The XSDT wins when there is one: the RSDT cannot reach above 4 GiB. */
    uint64_t root_phys = rd32(rsdp + 16);
    const char *root_sig = "RSDT";
    unsigned width = 4;
    if (rsdp[15] >= 2 && rd64(rsdp + 24) != 0) {
        root_phys = rd64(rsdp + 24);
        root_sig = "XSDT";
        width = 8;
    }
    if (root_phys == 0)
        return ACPI_ERR_NO_ROOT;
    const uint8_t *root, *madt;
    uint32_t root_len, madt_len;
    st = sdt_load(map, ctx, root_phys, root_sig, &root, &root_len);
    if (st != ACPI_OK)
        return st;
    st = find_table(map, ctx, root, root_len, width, "APIC", &madt, &madt_len);
    if (st != ACPI_OK)
        return st;
    st = madt_parse(madt, madt_len, out);
    if (st == ACPI_OK) {
        power_info(map, ctx, root, root_len, width, out);
        ecam_info(map, ctx, root, root_len, width, out);
        tables_span(map, ctx, root_phys, root, root_len, width, out);
    }
    return st;
}

int acpi_parse(uint64_t rsdp_phys, acpi_map_fn map, void *ctx, struct acpi_info *out)
{
    if (out == NULL)
        return ACPI_ERR_BAD_ARG;
    memset(out, 0, sizeof(*out));
    if (map == NULL)
        return ACPI_ERR_BAD_ARG;
    int st = parse(rsdp_phys, map, ctx, out);
    if (st != ACPI_OK)
        memset(out, 0, sizeof(*out)); /* no half-filled CPU list for a caller to trust */
    return st;
}
