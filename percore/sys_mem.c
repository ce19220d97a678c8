/* Memory system calls, over vm.c. Only anonymous private memory exists
 * (MAP_SHARED anonymous behaves the same: a node has one process); a file
 * mapping gets -ENODEV. */
#include "sched.h"
#include "syscall.h"
#include "uapi.h"
#include "vm.h"

#define PROT_ALL (PROT_READ | PROT_WRITE | PROT_EXEC)
#define MAP_KNOWN (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_NORESERVE | \
                   MAP_FIXED_NOREPLACE | 0x0100 /* GROWSDOWN */ | 0x2000 /* LOCKED */ | \
                   0x8000 /* POPULATE */ | 0x10000 /* NONBLOCK */ | 0x40000 /* HUGETLB */)

static struct vm *vm(void)
{
    return &current()->node->vm;
}

int64_t sys_mmap(u64 addr, u64 len, u64 prot, u64 flags, u64 fd, u64 off)
{
    (void)off;
    if ((prot & ~PROT_ALL) || (flags & ~MAP_KNOWN) || !(flags & (MAP_SHARED | MAP_PRIVATE)))
        return -EINVAL;
    if (!(flags & MAP_ANONYMOUS))
        return (int)fd < 0 ? -EBADF : -ENODEV;
    int err = vm_map(vm(), &addr, len, prot, flags);
    return err ? err : (int64_t)addr;
}

int64_t sys_munmap(u64 addr, u64 len)
{
    return vm_unmap(vm(), addr, len);
}

int64_t sys_mprotect(u64 addr, u64 len, u64 prot)
{
    if (prot & ~PROT_ALL)
        return -EINVAL;
    return vm_protect(vm(), addr, len, prot);
}

int64_t sys_mremap(u64 old, u64 oldlen, u64 newlen, u64 flags, u64 newaddr)
{
    (void)newaddr;
    if (flags & MREMAP_FIXED)
        return -EINVAL; /* nobody we run asks for it */
    uint64_t out;
    int err = vm_remap(vm(), old, oldlen, newlen, flags, &out);
    return err ? err : (int64_t)out;
}

int64_t sys_madvise(u64 addr, u64 len, u64 advice)
{
    (void)addr, (void)len, (void)advice; /* MADV_FREE/DONTNEED as no-ops: the memory stays valid */
    return 0;
}

/* The break: an area right after the program, grown and shrunk in pages. */
int64_t sys_brk(u64 addr)
{
    struct vm *v = vm();
    uint64_t cur = ALIGN_UP(v->brk, PAGE_SIZE), want = ALIGN_UP(addr, PAGE_SIZE);
    if (addr < v->brk_start || addr > v->brk_start + (1ull << 30))
        return (int64_t)v->brk;
    if (want > cur) {
        uint64_t at = cur;
        if (vm_map(v, &at, want - cur, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED_NOREPLACE) != 0)
            return (int64_t)v->brk;
    } else if (want < cur) {
        vm_unmap(v, want, cur - want);
    }
    v->brk = addr;
    return (int64_t)addr;
}
