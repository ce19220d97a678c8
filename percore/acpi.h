/* ACPI table parser: finds the RSDP, follows the RSDT/XSDT to the MADT and
 * reports the CPUs (local APIC ids), I/O APICs and ISA interrupt overrides.
 *
 * Contract:
 *  - Pure logic. It never prints, never panics, never touches hardware and
 *    keeps no state; physical memory is read only through the caller's map
 *    callback, and only inside ranges that callback returned.
 *  - Everything it reads is untrusted: every table it uses is checked for
 *    signature, sane length, mappability and checksum, and every MADT entry
 *    is bounds-checked, so corrupt firmware gives an error, not a hang.
 *  - Failures are a status from enum acpi_status; the caller (boot.c) prints
 *    acpi_strerror() and falls back to one CPU.
 * Tested on the host against real QEMU and Bochs tables: tests/unit/test_acpi.c. */
#ifndef HYDROS_ACPI_H
#define HYDROS_ACPI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_MAX_CPUS 64
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_OVERRIDES 16

/* Returns a pointer through which len bytes at physical address phys can be
 * read, or NULL if that memory is not available. Pointers it returned must
 * stay valid until the acpi_* call that asked for them returns. */
typedef const void *(*acpi_map_fn)(uint64_t phys, uint64_t len, void *ctx);

struct acpi_cpu {
    uint32_t apic_id; /* local APIC id (x2APIC id for x2APIC entries) */
    uint32_t uid;     /* ACPI processor UID */
};

struct acpi_ioapic {
    uint32_t id, addr, gsi_base;
};

/* An ISA IRQ that is not identity-mapped to a GSI, or has non-ISA polarity or
 * trigger. flags is the MPS INTI field; decode it with the macros below. */
struct acpi_override {
    uint8_t bus, source_irq;
    uint16_t flags;
    uint32_t gsi;
};
#define ACPI_IRQ_POLARITY(flags) ((flags) & 3)      /* one of ACPI_POL_* */
#define ACPI_IRQ_TRIGGER(flags) (((flags) >> 2) & 3) /* one of ACPI_TRIG_* */
#define ACPI_POL_BUS 0   /* conforms to the bus: active high for ISA */
#define ACPI_POL_HIGH 1
#define ACPI_POL_LOW 3
#define ACPI_TRIG_BUS 0  /* conforms to the bus: edge for ISA */
#define ACPI_TRIG_EDGE 1
#define ACPI_TRIG_LEVEL 3

struct acpi_info {
    char oem_id[7];      /* from the RSDP, NUL terminated, as the firmware wrote it */
    uint8_t revision;    /* RSDP revision: 0 for ACPI 1.0 (RSDT only), 2 and up with XSDT */
    uint64_t lapic_addr; /* MADT, or its 64-bit override entry */
    /* Enabled (or online-capable) local APICs and x2APICs, in MADT order,
     * each APIC id once. */
    int ncpus;
    struct acpi_cpu cpus[ACPI_MAX_CPUS];
    int nioapics;
    struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
    int noverrides;
    struct acpi_override overrides[ACPI_MAX_OVERRIDES];
    bool legacy_pics; /* MADT flags PCAT_COMPAT: 8259s present, mask them */
    /* Entries that did not fit above (CPUs past ACPI_MAX_CPUS, ...); they
     * are dropped, not an error, but worth a warning. */
    int dropped;
    bool power_off;       /* the two below were found: S5 works */
    uint32_t pm1a_cnt;    /* FADT PM1a control block port */
    uint8_t slp_typ_s5;   /* DSDT \_S5 sleep type for PM1a */
    /* The memory holding the root table, every table it lists whose header
     * maps, and the DSDT and FACS the FADT names: [tables_first,
     * tables_end). The firmware device (devices.c) lets a node read it. */
    uint64_t tables_first, tables_end;
    /* PCI Express configuration space in memory (ECAM), from the MCFG:
     * segment 0 from bus 0, 1 MiB a bus; ecam_buses 0 when there is none. */
    uint64_t ecam_base;
    unsigned ecam_buses;
};

enum acpi_status {
    ACPI_OK = 0,
    ACPI_ERR_BAD_ARG,         /* NULL map callback or output */
    ACPI_ERR_NO_RSDP,         /* no "RSD PTR " at that address, or unmappable */
    ACPI_ERR_RSDP_CHECKSUM,   /* RSDP checksum or extended checksum wrong */
    ACPI_ERR_RSDP_LENGTH,     /* revision >= 2 RSDP with a bad or unmappable length */
    ACPI_ERR_NO_ROOT,         /* RSDP names neither an RSDT nor an XSDT */
    ACPI_ERR_SDT_MAP,         /* a table (or its full length) is not mappable */
    ACPI_ERR_SDT_SIGNATURE,   /* RSDT/XSDT pointer leads to another signature */
    ACPI_ERR_SDT_CHECKSUM,    /* a table's checksum is wrong */
    ACPI_ERR_SDT_LENGTH,      /* a table's length is below its header or absurd */
    ACPI_ERR_NO_MADT,         /* no "APIC" table listed */
    ACPI_ERR_MADT_TRUNCATED,  /* an entry of length < 2 or running past the end */
    ACPI_ERR_MADT_ENTRY,      /* an entry shorter than its type requires */
    ACPI_ERR_NO_CPUS,         /* MADT lists no enabled processor */
    ACPI_NSTATUS
};

/* A short human sentence for each status; never NULL. */
const char *acpi_strerror(int status);

/* Scans the first KiB of the EBDA (segment word at phys 0x40E) and then
 * 0xE0000-0xFFFFF on 16-byte boundaries for "RSD PTR " with a valid checksum
 * (20 bytes for revision 0, plus the extended checksum over `length` for
 * revision >= 2). Returns its physical address, or 0 if there is none. */
uint64_t acpi_find_rsdp(acpi_map_fn map, void *ctx);

/* Reads the RSDP at rsdp_phys, then the XSDT (revision >= 2 and a nonzero
 * address) or the RSDT, validates every table it uses, finds the MADT and
 * fills *out. Returns ACPI_OK, or an acpi_status with *out all zero (so
 * ncpus = 0). More CPUs, I/O APICs or overrides than the arrays hold: the
 * first ones are kept, out->dropped counts the rest, and it still succeeds. */
int acpi_parse(uint64_t rsdp_phys, acpi_map_fn map, void *ctx, struct acpi_info *out);

#endif
