/* Physical page allocator: one bitmap over one physical range. An object, not
 * a global, because every core's memory partition gets its own instance.
 * Pure logic: the bitmap is caller-provided memory, pages are never touched.
 *
 * Invariants (hold whenever p->lock is free):
 *   - bit i of bitmap is page base + i*PAGE_SIZE, 1 = in use, 0 = free;
 *   - bits at and past npages in the last word are 1 and never change;
 *   - nfree is exactly the number of 0 bits;
 *   - physical page 0 is never free, so 0 can mean "no page";
 *   - hint < npages (or 0 when npages is 0): where the next search starts.
 * Every function except pmm_bitmap_bytes takes p->lock itself; none may be
 * called with it held. The lock does not disable interrupts. */
#ifndef HYDROS_PMM_H
#define HYDROS_PMM_H
#include <stdint.h>
#include "spinlock.h"

#define PAGE_SIZE 4096ull

struct pmm {
    struct spinlock lock;
    uint64_t base;   /* physical address of page 0 of the bitmap, page aligned */
    uint64_t npages;
    uint64_t nfree;
    uint64_t hint;   /* next-fit: page index where the next search starts */
    uint64_t *bitmap;
};

/* Bytes of bitmap a pmm over [base, end) needs, a multiple of 8. Only whole
 * pages inside the range are managed (base rounds up, end rounds down). */
uint64_t pmm_bitmap_bytes(uint64_t base, uint64_t end);

/* Sets p up over the whole pages of [base, end) with bitmap (at least
 * pmm_bitmap_bytes(base, end) bytes, 8-byte aligned). Every page starts in
 * use; pmm_add_free then hands the allocator what it may give out. */
void pmm_init(struct pmm *p, uint64_t base, uint64_t end, uint64_t *bitmap);

/* Marks free the pages lying wholly inside [base, end), clipped to the pmm's
 * range. Physical page 0 is skipped. Pages already free stay free. */
void pmm_add_free(struct pmm *p, uint64_t base, uint64_t end);

/* Marks in use every page that has a byte in [base, end), clipped to the
 * pmm's range. Pages already in use stay in use. */
void pmm_reserve(struct pmm *p, uint64_t base, uint64_t end);

/* Allocates npages contiguous pages whose physical address is a multiple of
 * align_pages * PAGE_SIZE. Returns that address, or 0 if npages is 0,
 * align_pages is not a power of two, or no such run is free. */
uint64_t pmm_alloc(struct pmm *p, uint64_t npages, uint64_t align_pages);

/* Frees npages pages starting at phys. Returns 0, or -1 with nothing changed
 * if phys is not page aligned, npages is 0, any page lies outside the range
 * (physical page 0 included), or any page is already free (double free). */
int pmm_free(struct pmm *p, uint64_t phys, uint64_t npages);

/* Number of free pages at the moment of the call. */
uint64_t pmm_free_pages(struct pmm *p);

#endif
