/* The virtual memory areas of one user address space, as a sorted array of
 * non-overlapping [start, end) ranges with protections and flags. Pure
 * bookkeeping (host-tested): the page tables follow from it in vm.c.
 *
 * Invariants: start < end, both page aligned, inside [VMA_USER_MIN,
 * VMA_USER_MAX); areas sorted and disjoint; `charged` is the number of
 * pages in areas that are writable and not VMA_NORESERVE (the memory the
 * node is promised), and never exceeds `limit`. */
#ifndef HYDROS_VMA_H
#define HYDROS_VMA_H
#include <stdbool.h>
#include <stdint.h>

#define VMA_MAX 1024
#define VMA_PAGE 4096ull
#define VMA_USER_MIN 0x10000ull
#define VMA_USER_MAX 0x00007ffffffff000ull

#define VMA_NORESERVE 1u /* memory comes at first touch, not promised at map time */
#define VMA_DEVICE 2u    /* a device's registers (MMIO), mapped whole: no memory of the node's */

struct vma {
    uint64_t start, end;
    uint32_t prot;  /* PROT_READ | PROT_WRITE | PROT_EXEC */
    uint32_t flags; /* VMA_* */
};

struct vma_set {
    int n;
    uint64_t charged, limit; /* pages */
    struct vma v[VMA_MAX];
};

void vma_init(struct vma_set *s, uint64_t limit_pages);
/* Maps [start, end) with prot/flags, replacing whatever was there (the
 * caller frees the old pages first). -ENOMEM when the charge would pass the
 * limit or the array is full; -EINVAL for a bad range. Nothing changes on error. */
int vma_map(struct vma_set *s, uint64_t start, uint64_t end, uint32_t prot, uint32_t flags);
int vma_unmap(struct vma_set *s, uint64_t start, uint64_t end);
/* New protection for every mapped page of [start, end); -ENOMEM if part of
 * the range is not mapped (Linux does the same) or the charge would pass the limit. */
int vma_protect(struct vma_set *s, uint64_t start, uint64_t end, uint32_t prot);
const struct vma *vma_find(const struct vma_set *s, uint64_t addr); /* the area holding addr, or NULL */
/* The highest free gap of len bytes below `below`, at or above VMA_USER_MIN; 0 if none. */
uint64_t vma_find_gap(const struct vma_set *s, uint64_t len, uint64_t below);
/* 0 if every byte of [addr, addr+len) is mapped with at least `prot`; -EFAULT otherwise
 * (also for ranges that wrap or leave user space). len 0 is always fine. */
int vma_check(const struct vma_set *s, uint64_t addr, uint64_t len, uint32_t prot);
bool vma_chargeable(uint32_t prot, uint32_t flags);

#endif
