/* The one way into user memory. Every user pointer is checked against the
 * current node's areas and its pages made present before the kernel touches
 * it; since the kernel is not preempted, nothing can unmap it in between. */
#include <string.h>

#include "sched.h"
#include "uapi.h"
#include "vm.h"

static struct vm *cur_vm(void)
{
    return &current()->node->vm;
}

void *user_buffer(uint64_t uaddr, uint64_t len, bool write)
{
    if (vm_prefault(cur_vm(), uaddr, len, write) != 0)
        return NULL;
    return (void *)uaddr;
}

int copy_from_user(void *dst, uint64_t usrc, uint64_t n)
{
    const void *src = user_buffer(usrc, n, false);
    if (!src && n)
        return -EFAULT;
    memcpy(dst, src, n);
    return 0;
}

int copy_to_user(uint64_t udst, const void *src, uint64_t n)
{
    void *dst = user_buffer(udst, n, true);
    if (!dst && n)
        return -EFAULT;
    memcpy(dst, src, n);
    return 0;
}

int64_t strncpy_from_user(char *dst, uint64_t usrc, uint64_t max)
{
    uint64_t i = 0;
    while (i < max) {
        /* Page by page: a string may end just before an unmapped page. */
        uint64_t chunk = PAGE_SIZE - (usrc + i) % PAGE_SIZE;
        if (chunk > max - i)
            chunk = max - i;
        const char *src = user_buffer(usrc + i, chunk, false);
        if (!src)
            return -EFAULT;
        for (uint64_t j = 0; j < chunk; j++, i++) {
            dst[i] = src[j];
            if (!src[j])
                return (int64_t)i;
        }
    }
    return -ENAMETOOLONG;
}
