/* Virtual memory areas: a sorted array, changed by cutting a range out and
 * putting the new area in. Arrays beat trees at ERTS's few hundred areas. */
#include "vma.h"

#include <string.h>

#include "uapi.h"

void vma_init(struct vma_set *s, uint64_t limit_pages)
{
    s->n = 0;
    s->charged = 0;
    s->limit = limit_pages;
}

bool vma_chargeable(uint32_t prot, uint32_t flags)
{
    return (prot & PROT_WRITE) && !(flags & (VMA_NORESERVE | VMA_DEVICE));
}

static uint64_t pages(uint64_t start, uint64_t end)
{
    return (end - start) / VMA_PAGE;
}

static bool range_ok(uint64_t start, uint64_t end)
{
    return start < end && start >= VMA_USER_MIN && end <= VMA_USER_MAX &&
           start % VMA_PAGE == 0 && end % VMA_PAGE == 0;
}

/* Charged pages of the existing areas inside [start, end). */
static uint64_t charged_in(const struct vma_set *s, uint64_t start, uint64_t end)
{
    uint64_t c = 0;
    for (int i = 0; i < s->n; i++) {
        const struct vma *a = &s->v[i];
        uint64_t lo = a->start > start ? a->start : start, hi = a->end < end ? a->end : end;
        if (lo < hi && vma_chargeable(a->prot, a->flags))
            c += pages(lo, hi);
    }
    return c;
}

/* Areas that [start, end) cuts in two need one more slot each. */
static int slots_needed(const struct vma_set *s, uint64_t start, uint64_t end)
{
    int extra = 0;
    for (int i = 0; i < s->n; i++)
        if (s->v[i].start < start && s->v[i].end > end)
            extra++;
    return extra;
}

static void insert_at(struct vma_set *s, int i, struct vma a)
{
    memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(struct vma));
    s->v[i] = a;
    s->n++;
}

/* Removes [start, end) from every area; the caller checked there is room for splits. */
static void cut(struct vma_set *s, uint64_t start, uint64_t end)
{
    for (int i = 0; i < s->n; i++) {
        struct vma *a = &s->v[i];
        if (a->end <= start || a->start >= end)
            continue;
        if (vma_chargeable(a->prot, a->flags)) {
            uint64_t lo = a->start > start ? a->start : start, hi = a->end < end ? a->end : end;
            s->charged -= pages(lo, hi);
        }
        if (a->start < start && a->end > end) { /* split: keep both ends */
            struct vma tail = *a;
            tail.start = end;
            a->end = start;
            insert_at(s, i + 1, tail);
            return;
        }
        if (a->start < start) {
            a->end = start;
        } else if (a->end > end) {
            a->start = end;
        } else { /* wholly inside: drop */
            memmove(a, a + 1, (s->n - i - 1) * sizeof(struct vma));
            s->n--;
            i--;
        }
    }
}

static void put(struct vma_set *s, struct vma a)
{
    int i = 0;
    while (i < s->n && s->v[i].start < a.start)
        i++;
    insert_at(s, i, a);
    if (vma_chargeable(a.prot, a.flags))
        s->charged += pages(a.start, a.end);
}

int vma_map(struct vma_set *s, uint64_t start, uint64_t end, uint32_t prot, uint32_t flags)
{
    if (!range_ok(start, end))
        return -EINVAL;
    uint64_t add = vma_chargeable(prot, flags) ? pages(start, end) : 0;
    if (s->charged - charged_in(s, start, end) + add > s->limit)
        return -ENOMEM;
    if (s->n + slots_needed(s, start, end) + 1 > VMA_MAX)
        return -ENOMEM;
    cut(s, start, end);
    put(s, (struct vma){start, end, prot, flags});
    return 0;
}

int vma_unmap(struct vma_set *s, uint64_t start, uint64_t end)
{
    if (!range_ok(start, end))
        return -EINVAL;
    if (s->n + slots_needed(s, start, end) > VMA_MAX)
        return -ENOMEM;
    cut(s, start, end);
    return 0;
}

int vma_protect(struct vma_set *s, uint64_t start, uint64_t end, uint32_t prot)
{
    if (!range_ok(start, end))
        return -EINVAL;
    if (vma_check(s, start, end - start, PROT_NONE) != 0)
        return -ENOMEM;
    uint64_t after = s->charged - charged_in(s, start, end);
    int first = -1, last = -1;
    for (int i = 0; i < s->n; i++) {
        const struct vma *a = &s->v[i];
        if (a->end <= start || a->start >= end)
            continue;
        uint64_t lo = a->start > start ? a->start : start, hi = a->end < end ? a->end : end;
        if (vma_chargeable(prot, a->flags))
            after += pages(lo, hi);
        if (first < 0)
            first = i;
        last = i;
    }
    if (after > s->limit)
        return -ENOMEM;
    /* Splits at both ends at most; afterwards every area inside gets prot. */
    int splits = (s->v[first].start < start) + (s->v[last].end > end);
    if (s->n + splits > VMA_MAX)
        return -ENOMEM;
    for (int i = 0; i < s->n; i++) {
        struct vma a = s->v[i];
        if (a.end <= start || a.start >= end)
            continue;
        uint64_t lo = a.start > start ? a.start : start, hi = a.end < end ? a.end : end;
        cut(s, lo, hi);
        a.start = lo;
        a.end = hi;
        a.prot = prot;
        put(s, a);
    }
    return 0;
}

const struct vma *vma_find(const struct vma_set *s, uint64_t addr)
{
    int lo = 0, hi = s->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (s->v[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->v[lo].start <= addr ? &s->v[lo] : NULL;
}

uint64_t vma_find_gap(const struct vma_set *s, uint64_t len, uint64_t below)
{
    if (len == 0 || len % VMA_PAGE || below > VMA_USER_MAX)
        return 0;
    uint64_t top = below & ~(VMA_PAGE - 1);
    for (int i = s->n - 1; i >= -1; i--) {
        uint64_t floor = i >= 0 ? s->v[i].end : VMA_USER_MIN;
        if (i >= 0 && s->v[i].start >= top)
            continue;
        if (floor > top)
            floor = top;
        if (top - floor >= len)
            return top - len;
        if (i >= 0)
            top = s->v[i].start;
    }
    return 0;
}

int vma_check(const struct vma_set *s, uint64_t addr, uint64_t len, uint32_t prot)
{
    if (len == 0)
        return 0;
    uint64_t end = addr + len;
    if (end < addr || end > VMA_USER_MAX || addr < VMA_USER_MIN)
        return -EFAULT;
    while (addr < end) {
        const struct vma *a = vma_find(s, addr);
        if (!a || (a->prot & prot) != prot)
            return -EFAULT;
        addr = a->end;
    }
    return 0;
}
