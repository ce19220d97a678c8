/* SMBIOS entry point finder: where the firmware's SMBIOS structure table
 * lies, so that the firmware device (devices.c) lets a node read it. The
 * table itself is decoded in Erlang (drivers_erl/smbios).
 *
 * Contract:
 *  - Pure logic, like acpi.c: no state, no printing, memory read only
 *    through the caller's map callback and inside what it returned.
 *  - Untrusted input: an entry point counts only with its anchor, a sane
 *    length and a zero checksum ("_SM_" also needs its "_DMI_" part). A
 *    3.x entry point ("_SM3_") wins over a 2.x one, as the spec says.
 * Tested on the host: tests/unit/test_smbios.c. */
#ifndef HYDROS_SMBIOS_H
#define HYDROS_SMBIOS_H
#include <stdint.h>

typedef const void *(*smbios_map_fn)(uint64_t phys, uint64_t len, void *ctx);

struct smbios_where {
    uint64_t entry;               /* the entry point's address */
    uint64_t table, table_end;    /* the structure table: [table, table_end) */
    uint8_t major, minor;
};

/* Scans 0xF0000-0xFFFFF on 16-byte boundaries. 0 and *out filled, or -1
 * when there is no valid entry point. */
int smbios_find(smbios_map_fn map, void *ctx, struct smbios_where *out);

#endif
