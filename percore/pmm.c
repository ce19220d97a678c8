/* Physical page allocator: a bitmap, 1 bit per page, searched a 64-bit word at
 * a time from a next-fit hint. Full words are skipped with one compare, so a
 * single-page allocation is O(1) amortized even over millions of pages, and a
 * run search never looks at a bit twice within one pass. */
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "string.h"
#include "spinlock.h"
#include "pmm.h"

#define NO_PAGE UINT64_MAX

static uint64_t page_down(uint64_t x)
{
    return x & ~(PAGE_SIZE - 1);
}

/* Saturates: an address in the last partial page has no page above it. */
static uint64_t page_up(uint64_t x)
{
    if (x > UINT64_MAX - (PAGE_SIZE - 1))
        return UINT64_MAX;
    return page_down(x + PAGE_SIZE - 1);
}

/* Written out because __builtin_popcountll becomes a libgcc call without
 * -mpopcnt, and the kernel links no libgcc. */
static uint64_t popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (x * 0x0101010101010101ull) >> 56;
}

/* Bits [lo, hi) of one word, 0 <= lo < hi <= 64. */
static uint64_t word_mask(uint64_t lo, uint64_t hi)
{
    uint64_t upto = hi == 64 ? ~0ull : (1ull << hi) - 1;
    return upto & (~0ull << lo);
}

/* Sets bits [from, to); returns how many were 0 before. Lock held. */
static uint64_t set_bits(struct pmm *p, uint64_t from, uint64_t to)
{
    uint64_t changed = 0;

    while (from < to) {
        uint64_t w = from >> 6, lo = from & 63;
        uint64_t hi = (to - (w << 6)) < 64 ? to - (w << 6) : 64;
        uint64_t m = word_mask(lo, hi);
        changed += popcount64(~p->bitmap[w] & m);
        p->bitmap[w] |= m;
        from = (w << 6) + hi;
    }
    return changed;
}

/* Clears bits [from, to); returns how many were 1 before. Lock held. */
static uint64_t clear_bits(struct pmm *p, uint64_t from, uint64_t to)
{
    uint64_t changed = 0;

    while (from < to) {
        uint64_t w = from >> 6, lo = from & 63;
        uint64_t hi = (to - (w << 6)) < 64 ? to - (w << 6) : 64;
        uint64_t m = word_mask(lo, hi);
        changed += popcount64(p->bitmap[w] & m);
        p->bitmap[w] &= ~m;
        from = (w << 6) + hi;
    }
    return changed;
}

/* First index in [pos, limit) whose bit equals `used`, or limit.
 * limit <= npages. Lock held. */
static uint64_t next_bit(const struct pmm *p, uint64_t pos, uint64_t limit, bool used)
{
    if (pos >= limit)
        return limit;
    uint64_t flip = used ? 0 : ~0ull;
    uint64_t w = pos >> 6, lastw = (limit - 1) >> 6;
    uint64_t bits = (p->bitmap[w] ^ flip) & (~0ull << (pos & 63));
    while (bits == 0) {
        if (++w > lastw)
            return limit;
        bits = p->bitmap[w] ^ flip;
    }
    uint64_t idx = (w << 6) + (uint64_t)__builtin_ctzll(bits);
    return idx < limit ? idx : limit;
}

/* The first index in [from, to) where n free pages start at a physical
 * address aligned to align pages, or NO_PAGE. Each failed candidate moves the
 * search past the used page that broke it, so bits are scanned once.
 * 1 <= n <= npages, align a power of two. Lock held. */
static uint64_t find_run(const struct pmm *p, uint64_t from, uint64_t to,
                         uint64_t n, uint64_t align)
{
    uint64_t base_pfn = p->base / PAGE_SIZE;
    uint64_t pos = from;

    for (;;) {
        pos = next_bit(p, pos, to, false);
        if (pos >= to)
            return NO_PAGE;
        uint64_t rem = (base_pfn + pos) & (align - 1);
        uint64_t start = rem ? pos + (align - rem) : pos;
        /* Candidates only grow, so one that cannot fit ends the search. */
        if (start >= to || start > p->npages - n)
            return NO_PAGE;
        uint64_t used = next_bit(p, start, start + n, true);
        if (used == start + n)
            return start;
        pos = used + 1;
    }
}

/* Page indices [*from, *to) of the pmm covering [lo, hi), clipped to its range.
 * Returns false if nothing is left. */
static bool clip(const struct pmm *p, uint64_t lo, uint64_t hi, uint64_t *from, uint64_t *to)
{
    uint64_t end = p->base + p->npages * PAGE_SIZE;

    if (lo < p->base)
        lo = p->base;
    if (hi > end)
        hi = end;
    if (lo >= hi)
        return false;
    *from = (lo - p->base) / PAGE_SIZE;
    *to = (hi - p->base) / PAGE_SIZE;
    return *from < *to;
}

uint64_t pmm_bitmap_bytes(uint64_t base, uint64_t end)
{
    uint64_t b = page_up(base), e = page_down(end);

    if (b >= e)
        return 0;
    return ((e - b) / PAGE_SIZE + 63) / 64 * 8;
}

/* Not locked: p is not shared with anyone until init returns. */
void pmm_init(struct pmm *p, uint64_t base, uint64_t end, uint64_t *bitmap)
{
    uint64_t b = page_up(base), e = page_down(end);

    p->lock.locked = 0;
    p->base = b < e ? b : 0;
    p->npages = b < e ? (e - b) / PAGE_SIZE : 0;
    p->nfree = 0;
    p->hint = 0;
    p->bitmap = bitmap;
    /* All ones also covers the tail bits past npages, which stay set. */
    if (p->npages)
        memset(bitmap, 0xff, pmm_bitmap_bytes(b, e));
}

void pmm_add_free(struct pmm *p, uint64_t base, uint64_t end)
{
    uint64_t from, to;

    /* Physical page 0 is never free: 0 is pmm_alloc's "no page". */
    if (base < PAGE_SIZE)
        base = PAGE_SIZE;
    spin_lock(&p->lock);
    if (clip(p, page_up(base), page_down(end), &from, &to))
        p->nfree += clear_bits(p, from, to);
    spin_unlock(&p->lock);
}

void pmm_reserve(struct pmm *p, uint64_t base, uint64_t end)
{
    uint64_t from, to;

    if (end <= base)
        return;
    spin_lock(&p->lock);
    if (clip(p, page_down(base), page_up(end), &from, &to))
        p->nfree -= set_bits(p, from, to);
    spin_unlock(&p->lock);
}

uint64_t pmm_alloc(struct pmm *p, uint64_t npages, uint64_t align_pages)
{
    uint64_t start = NO_PAGE;

    if (npages == 0 || align_pages == 0 || (align_pages & (align_pages - 1)))
        return 0;
    spin_lock(&p->lock);
    if (npages <= p->nfree) {
        start = find_run(p, p->hint, p->npages, npages, align_pages);
        if (start == NO_PAGE && p->hint > 0)
            start = find_run(p, 0, p->hint, npages, align_pages);
    }
    if (start == NO_PAGE) {
        spin_unlock(&p->lock);
        return 0;
    }
    set_bits(p, start, start + npages);
    p->nfree -= npages;
    p->hint = start + npages < p->npages ? start + npages : 0;
    uint64_t phys = p->base + start * PAGE_SIZE;
    spin_unlock(&p->lock);
    return phys;
}

int pmm_free(struct pmm *p, uint64_t phys, uint64_t npages)
{
    if (npages == 0 || phys == 0 || (phys & (PAGE_SIZE - 1)))
        return -1;
    spin_lock(&p->lock);
    uint64_t idx = phys >= p->base ? (phys - p->base) / PAGE_SIZE : NO_PAGE;
    if (npages > p->npages || idx > p->npages - npages ||
        next_bit(p, idx, idx + npages, false) != idx + npages) {
        spin_unlock(&p->lock);
        return -1;
    }
    clear_bits(p, idx, idx + npages);
    p->nfree += npages;
    spin_unlock(&p->lock);
    return 0;
}

uint64_t pmm_free_pages(struct pmm *p)
{
    spin_lock(&p->lock);
    uint64_t n = p->nfree;
    spin_unlock(&p->lock);
    return n;
}
