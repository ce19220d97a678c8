/* Partition planning: binary search for the largest even size that a
 * first-fit placement, in core order, can give to every unfixed core. */
#include "part.h"

#include <stddef.h>

#include "uapi.h"

static uint64_t align_up(uint64_t x) { return (x + PART_ALIGN - 1) & ~(PART_ALIGN - 1); }
static uint64_t align_down(uint64_t x) { return x & ~(PART_ALIGN - 1); }

/* First fit in core order; 0 when every partition found a place. */
static int place(const struct mem_range *usable, int nr, int n, const uint64_t *fixed, uint64_t even,
                 struct part *out)
{
    int r = 0;
    uint64_t at = 0;
    for (int i = 0; i < n; i++) {
        uint64_t size = fixed && fixed[i] ? fixed[i] : even;
        for (;; r++) {
            if (r == nr)
                return -ENOMEM;
            uint64_t lo = align_up(usable[r].base), hi = align_down(usable[r].end);
            if (at < lo)
                at = lo;
            if (at < hi && hi - at >= size)
                break;
        }
        out[i].base = at;
        out[i].end = at + size;
        at += size;
    }
    return 0;
}

static uint64_t total(const struct mem_range *usable, int nr)
{
    uint64_t t = 0;
    for (int i = 0; i < nr; i++)
        if (align_down(usable[i].end) > align_up(usable[i].base))
            t += align_down(usable[i].end) - align_up(usable[i].base);
    return t;
}

int part_plan(const struct mem_range *usable, int nr, int n, const uint64_t *fixed, uint64_t min,
              struct part *out)
{
    if (n < 1 || n > PART_MAX)
        return -EINVAL;
    int nfree = 0;
    uint64_t fixed_sum = 0;
    for (int i = 0; i < n; i++) {
        if (fixed && fixed[i]) {
            if (fixed[i] % PART_ALIGN || fixed[i] < min)
                return -EINVAL;
            fixed_sum += fixed[i];
        } else {
            nfree++;
        }
    }
    uint64_t avail = total(usable, nr);
    if (fixed_sum > avail)
        return -ENOMEM;
    if (nfree == 0)
        return place(usable, nr, n, fixed, 0, out);
    /* The largest even size in [min, hi] that places: the answer is monotone. */
    uint64_t lo = align_up(min ? min : PART_ALIGN), hi = align_down((avail - fixed_sum) / nfree);
    if (hi < lo || place(usable, nr, n, fixed, lo, out) != 0)
        return -ENOMEM;
    while (lo < hi) {
        uint64_t mid = align_down(lo + (hi - lo) / 2 + PART_ALIGN);
        if (place(usable, nr, n, fixed, mid, out) == 0)
            lo = mid;
        else
            hi = mid - PART_ALIGN;
    }
    return place(usable, nr, n, fixed, lo, out);
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
