/* Program text shared by every node that runs the same program: the first
 * node to load a read-only page of an archive file copies it into a page of
 * the kernel pool, and every node after it maps that same page read-only.
 * Keyed by the page's address in the boot archive, which never moves. The
 * cache only grows: there is one program (beam.smp) and a few MiB of it. */
#include <string.h>

#include "kernel.h"
#include "spinlock.h"

#define SLOTS 4096 /* 16 MiB of text */

static struct {
    const void *src;
    uint64_t pa;
} cache[SLOTS];
static struct spinlock lock = SPINLOCK_INIT;

uint64_t sharedtext_page(const void *src)
{
    uint64_t h = ((uint64_t)src >> 12) % SLOTS, pa = 0;
    spin_lock(&lock);
    for (uint64_t i = 0; i < SLOTS; i++) {
        uint64_t k = (h + i) % SLOTS;
        if (cache[k].src == src) {
            pa = cache[k].pa;
            break;
        }
        if (!cache[k].src) {
            pa = page_alloc_try(1);
            if (pa) {
                memcpy(P2V(pa), src, PAGE_SIZE);
                cache[k].src = src;
                cache[k].pa = pa;
            }
            break;
        }
    }
    spin_unlock(&lock);
    return pa; /* 0: no room, the caller copies privately */
}
