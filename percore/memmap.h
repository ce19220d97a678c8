/* The physical memory map: turns the firmware's raw E820 list into something
 * the kernel can trust. Pure logic over plain numbers: nothing here reads
 * physical memory, prints, or allocates, so host tests run it unchanged.
 *
 * Invariants of a sanitized map (what memmap_sanitize guarantees):
 *   - ranges are sorted by base, non-empty (base < end) and do not overlap;
 *   - two ranges that touch (a.end == b.base) have different types;
 *   - each byte has the most restrictive type any valid raw entry gave it.
 * Firmware input is not trusted: any order, overlaps, nesting, duplicates,
 * zero lengths and base+len past 2^64 are all handled, never rejected. */
#ifndef HYDROS_MEMMAP_H
#define HYDROS_MEMMAP_H
#include <stdint.h>
#include "bootinfo.h"

#define MEMMAP_PAGE 4096ull

/* A half-open byte range [base, end) with an E820 type. */
struct mem_range {
    uint64_t base;
    uint64_t end; /* exclusive */
    uint32_t type;
};

/* Turns n raw E820 entries into a sanitized map in out[0..max).
 * Dropped: zero-length entries and entries whose ext bit 0 is clear (ACPI 3
 * "ignore"; stage 2 must store ext = 1 when the BIOS returned 20-byte entries).
 * An entry reaching past 2^64 is clipped to end at UINT64_MAX (the last byte is
 * lost; it is never part of a whole page anyway).
 * Where entries overlap the more restrictive type wins:
 *   BAD(5) > NVS(4) > ACPI(3) > RESERVED(2) = unknown types > USABLE(1);
 * between equal ranks (RESERVED and unknown ones) the lower type number wins,
 * so the result never depends on the order of the raw entries.
 * Returns the number of ranges written, or -1 if max slots are not enough (out
 * then holds a partial map that must not be used). n <= 0 gives 0. */
int memmap_sanitize(const struct e820_entry *raw, int n, struct mem_range *out, int max);

/* The usable RAM of a sanitized map as whole pages: each USABLE range limited
 * to [min_addr, ...), with every range of exclude[0..nexclude) cut out (their
 * type is ignored; they may be unsorted, overlap, or be empty), and then every
 * piece shrunk to page boundaries (base rounded up, end rounded down).
 * A page that touches an excluded byte is never in the result.
 * Output is sorted and non-overlapping. Returns the count, or -1 if max slots
 * are not enough. */
int memmap_usable(const struct mem_range *map, int n, uint64_t min_addr,
                  const struct mem_range *exclude, int nexclude,
                  struct mem_range *out, int max);

/* Sum of end - base over r[0..n); ranges with end <= base count as 0. */
uint64_t memmap_total(const struct mem_range *r, int n);

/* "usable", "reserved", "ACPI", "NVS", "bad" or "unknown"; never NULL. */
const char *memmap_type_name(uint32_t type);

#endif
