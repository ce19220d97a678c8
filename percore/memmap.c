/* E820 sanitizing and the usable-RAM list the page allocator is fed from.
 * Firmware maps are small (at most BOOT_E820_MAX entries), so the code favours
 * obviously-correct O(n^2) sweeps that need no scratch memory over sorting:
 * it runs once at boot, before there is any allocator to get scratch from. */
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "bootinfo.h"
#include "memmap.h"

/* The byte range of a raw entry, or false if the entry is to be ignored. */
static bool raw_range(const struct e820_entry *e, uint64_t *base, uint64_t *end)
{
    uint64_t b = e->base, len = e->len;

    if (len == 0 || !(e->ext & 1))
        return false;
    *base = b;
    /* base + len may wrap: clip at the top of the address space. */
    *end = len > UINT64_MAX - b ? UINT64_MAX : b + len;
    return *base < *end;
}

/* Higher rank is more restrictive. Unknown types rank with RESERVED: memory
 * we do not understand is memory we must not use. */
static int type_rank(uint32_t type)
{
    switch (type) {
    case E820_USABLE: return 1;
    case E820_ACPI: return 3;
    case E820_NVS: return 4;
    case E820_BAD: return 5;
    default: return 2;
    }
}

/* Whether type a takes precedence over type b. Ties go to the lower number so
 * that the result is independent of entry order. */
static bool type_wins(uint32_t a, uint32_t b)
{
    int ra = type_rank(a), rb = type_rank(b);
    return ra > rb || (ra == rb && a < b);
}

/* Appends [base,end) to out, merging with the last range if they touch and
 * share a type. Returns false when out is full. */
static bool emit(struct mem_range *out, int *count, int max,
                 uint64_t base, uint64_t end, uint32_t type)
{
    if (*count > 0 && out[*count - 1].end == base && out[*count - 1].type == type) {
        out[*count - 1].end = end;
        return true;
    }
    if (*count >= max)
        return false;
    out[*count].base = base;
    out[*count].end = end;
    out[*count].type = type;
    (*count)++;
    return true;
}

/* Sweeps the address line from boundary to boundary (every base and end of a
 * valid entry). Between two consecutive boundaries the set of covering entries
 * is constant, so one type decision per gap is exact. */
int memmap_sanitize(const struct e820_entry *raw, int n, struct mem_range *out, int max)
{
    uint64_t cur = 0, b, e;
    bool started = false;
    int count = 0;

    for (int i = 0; i < n; i++)
        if (raw_range(&raw[i], &b, &e) && (!started || b < cur)) {
            cur = b;
            started = true;
        }
    if (!started)
        return 0;

    for (;;) {
        uint64_t next = 0;
        bool more = false;
        for (int i = 0; i < n; i++) {
            if (!raw_range(&raw[i], &b, &e))
                continue;
            if (b > cur && (!more || b < next)) {
                next = b;
                more = true;
            }
            if (e > cur && (!more || e < next)) {
                next = e;
                more = true;
            }
        }
        if (!more)
            break;

        /* No boundary lies inside (cur, next), so an entry covering cur covers
         * the whole gap. */
        uint32_t type = 0;
        bool covered = false;
        for (int i = 0; i < n; i++) {
            if (!raw_range(&raw[i], &b, &e) || b > cur || e <= cur)
                continue;
            if (!covered || type_wins(raw[i].type, type)) {
                type = raw[i].type;
                covered = true;
            }
        }
        if (covered && !emit(out, &count, max, cur, next, type))
            return -1;
        cur = next;
    }
    return count;
}

static uint64_t page_down(uint64_t x)
{
    return x & ~(MEMMAP_PAGE - 1);
}

/* Rounds up; an address in the last partial page has no page above it, so it
 * saturates to UINT64_MAX, which is above every page-aligned end. */
static uint64_t page_up(uint64_t x)
{
    if (x > UINT64_MAX - (MEMMAP_PAGE - 1))
        return UINT64_MAX;
    return page_down(x + MEMMAP_PAGE - 1);
}

/* Moves cur past every exclusion that contains it, repeating because leaving
 * one may land inside another. Each move strictly increases cur, so it ends. */
static uint64_t skip_excluded(uint64_t cur, const struct mem_range *ex, int nex)
{
    bool moved;

    do {
        moved = false;
        for (int j = 0; j < nex; j++)
            if (ex[j].base < ex[j].end && ex[j].base <= cur && cur < ex[j].end) {
                cur = ex[j].end;
                moved = true;
            }
    } while (moved);
    return cur;
}

/* The lowest exclusion start above cur, or limit if none is below it. */
static uint64_t next_excluded(uint64_t cur, uint64_t limit, const struct mem_range *ex, int nex)
{
    for (int j = 0; j < nex; j++)
        if (ex[j].base < ex[j].end && ex[j].base > cur && ex[j].base < limit)
            limit = ex[j].base;
    return limit;
}

int memmap_usable(const struct mem_range *map, int n, uint64_t min_addr,
                  const struct mem_range *exclude, int nexclude,
                  struct mem_range *out, int max)
{
    int count = 0;

    for (int i = 0; i < n; i++) {
        if (map[i].type != E820_USABLE)
            continue;
        uint64_t cur = map[i].base > min_addr ? map[i].base : min_addr;
        uint64_t end = page_down(map[i].end);

        /* Each turn takes one maximal exclusion-free piece [cur, stop). */
        while (cur < end) {
            cur = skip_excluded(cur, exclude, nexclude);
            if (cur >= end)
                break;
            uint64_t stop = next_excluded(cur, end, exclude, nexclude);
            uint64_t pb = page_up(cur), pe = page_down(stop);
            if (pb < pe && !emit(out, &count, max, pb, pe, E820_USABLE))
                return -1;
            cur = stop;
        }
    }
    return count;
}

uint64_t memmap_total(const struct mem_range *r, int n)
{
    uint64_t sum = 0;

    for (int i = 0; i < n; i++)
        if (r[i].end > r[i].base)
            sum += r[i].end - r[i].base;
    return sum;
}

const char *memmap_type_name(uint32_t type)
{
    switch (type) {
    case E820_USABLE: return "usable";
    case E820_RESERVED: return "reserved";
    case E820_ACPI: return "ACPI";
    case E820_NVS: return "NVS";
    case E820_BAD: return "bad";
    default: return "unknown";
    }
}
