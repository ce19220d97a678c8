/* SMBIOS entry point finder (smbios.h). */
#include "smbios.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define SCAN_FIRST 0xF0000
#define SCAN_END 0x100000
#define EP2_LEN 0x1F /* "_SM_", the 2.1 entry point */
#define EP3_LEN 0x18 /* "_SM3_" */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool sums_to_zero(const uint8_t *p, uint32_t len)
{
    uint8_t s = 0;
    while (len--)
        s += *p++;
    return s == 0;
}

/* The entry point at phys, if it is one of the kind anchor names. */
static const uint8_t *entry(smbios_map_fn map, void *ctx, uint64_t phys, const char *anchor, uint32_t min)
{
    const uint8_t *p = map(phys, min, ctx);
    if (!p || memcmp(p, anchor, strlen(anchor)) != 0)
        return NULL;
    uint32_t len = p[strlen(anchor) == 4 ? 5 : 6];
    if (len < min || len > 0x40 || !(p = map(phys, len, ctx)) || !sums_to_zero(p, len))
        return NULL;
    return p;
}

int smbios_find(smbios_map_fn map, void *ctx, struct smbios_where *out)
{
    if (!map || !out)
        return -1;
    const uint8_t *two = NULL;
    uint64_t two_at = 0;
    for (uint64_t a = SCAN_FIRST; a + 16 <= SCAN_END; a += 16) {
        const uint8_t *p = entry(map, ctx, a, "_SM3_", EP3_LEN);
        if (p) {
            uint64_t table = rd32(p + 0x10) | (uint64_t)rd32(p + 0x14) << 32;
            *out = (struct smbios_where){a, table, table + rd32(p + 0x0C), p[7], p[8]};
            return out->table_end > table ? 0 : -1;
        }
        if (!two && (p = entry(map, ctx, a, "_SM_", EP2_LEN)) && memcmp(p + 0x10, "_DMI_", 5) == 0 &&
            sums_to_zero(p + 0x10, 0x0F))
            two = p, two_at = a;
    }
    if (!two || (two[0x16] | two[0x17] << 8) == 0)
        return -1;
    uint64_t table = rd32(two + 0x18);
    *out = (struct smbios_where){two_at, table, table + (two[0x16] | two[0x17] << 8), two[6], two[7]};
    return 0;
}
