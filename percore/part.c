/* Partition planning: the largest even size, tried from the top, that a
 * first-fit placement in core order can give to every unfixed core. */
#include "part.h"

#include <stddef.h>

#include "uapi.h"

#define RANGES_MAX 256 /* usable ranges looked at; the E820 map is smaller */

static uint64_t align_up(uint64_t x) { return (x + PART_ALIGN - 1) & ~(PART_ALIGN - 1); }
static uint64_t align_down(uint64_t x) { return x & ~(PART_ALIGN - 1); }

/* The aligned part of each usable range; a range at the very top of the
 * address space, where aligning up would wrap, is left out. */
static int free_list(const struct mem_range *usable, int nr, struct part *free)
{
    int nf = 0;
    for (int r = 0; r < nr && r < RANGES_MAX; r++) {
        if (usable[r].base > UINT64_MAX - PART_ALIGN)
            continue;
        uint64_t lo = align_up(usable[r].base), hi = align_down(usable[r].end);
        if (lo < hi)
            free[nf++] = (struct part){lo, hi};
    }
    return nf;
}

/* Places the partitions in core order, each at the lowest free place that
 * holds it (carved from the front of a free range, so ranges never split).
 * 0 when every partition found a place. */
static int place(const struct mem_range *usable, int nr, int n, const uint64_t *fixed, uint64_t even,
                 struct part *out)
{
    struct part free[RANGES_MAX];
    int nf = free_list(usable, nr, free);
    for (int i = 0; i < n; i++) {
        uint64_t size = fixed && fixed[i] ? fixed[i] : even;
        int f = 0;
        while (f < nf && free[f].end - free[f].base < size)
            f++;
        if (f == nf)
            return -ENOMEM;
        out[i] = (struct part){free[f].base, free[f].base + size};
        free[f].base += size;
    }
    return 0;
}

static uint64_t total(const struct mem_range *usable, int nr)
{
    struct part free[RANGES_MAX];
    uint64_t t = 0;
    for (int f = 0, nf = free_list(usable, nr, free); f < nf; f++)
        t += free[f].end - free[f].base;
    return t;
}

int part_plan(const struct mem_range *usable, int nr, int n, const uint64_t *fixed, uint64_t min,
              struct part *out)
{
    if (n < 1 || n > PART_MAX)
        return -EINVAL;
    int nfree = 0;
    uint64_t fixed_sum = 0, avail = total(usable, nr);
    for (int i = 0; i < n; i++)
        if (fixed && fixed[i] && (fixed[i] % PART_ALIGN || fixed[i] < min))
            return -EINVAL;
    for (int i = 0; i < n; i++) {
        if (!fixed || !fixed[i])
            nfree++;
        else if (fixed[i] > avail - fixed_sum)
            return -ENOMEM;
        else
            fixed_sum += fixed[i];
    }
    if (nfree == 0)
        return place(usable, nr, n, fixed, 0, out);
    if (min > avail)
        return -ENOMEM;
    /* Largest even size first, down by 2 MiB: first-fit placement is not
     * monotone in the size, so no binary search. A few thousand tries at most. */
    uint64_t lo = align_up(min ? min : PART_ALIGN);
    for (uint64_t size = align_down((avail - fixed_sum) / nfree); size >= lo && size > 0; size -= PART_ALIGN)
        if (place(usable, nr, n, fixed, size, out) == 0)
            return 0;
    return -ENOMEM;
}

int part_max_count(const struct mem_range *usable, int nr, uint64_t min)
{
    struct part scratch[PART_MAX];
    int best = 0;
    for (int n = 1; n <= PART_MAX; n++)
        if (part_plan(usable, nr, n, NULL, min, scratch) == 0)
            best = n;
    return best;
}
