/* The vDSO (percore/vdso/vdso.c): its image, linked into the kernel, and
 * its data page (vdso_data.h), made once at boot and mapped read-only by
 * every node at VDSO_BASE: the data page there, the image (read, execute)
 * right above it, whose address the node gets as AT_SYSINFO_EHDR. musl's
 * clock_gettime and gettimeofday then run there with no system call. */
#ifndef HYDROS_VDSO_H
#define HYDROS_VDSO_H
#include <stdint.h>

#include "sched.h"

#define VDSO_BASE 0x00007ffffff10000ull /* above the stack, below VMA_USER_MAX */

void vdso_init(void);                    /* boot core, after rtc_init */
int vdso_map(struct vm *vm, uint64_t *ehdr); /* 0 and the image's user address, or -errno */

#endif
