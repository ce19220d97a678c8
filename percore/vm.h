/* A node's user address space (struct vm in sched.h): mmap and friends,
 * demand paging, and the checks behind every user pointer. Addresses and
 * lengths come straight from system calls; every function validates them
 * and returns 0 or -errno. */
#ifndef HYDROS_VM_H
#define HYDROS_VM_H
#include <stdbool.h>
#include <stdint.h>

#include "sched.h"

#define VM_STACK_TOP 0x00007ffffff00000ull
#define VM_STACK_SIZE (8ull << 20)
#define VM_MMAP_TOP (VM_STACK_TOP - VM_STACK_SIZE - (1ull << 30)) /* mmaps grow down from here */

struct pmm;
int vm_create(struct vm *vm, struct pmm *pmm, uint64_t limit_pages); /* pages come from pmm */
void vm_destroy(struct vm *vm); /* every page and page table back; not while it is CR3 */
/* Anonymous private memory. *addr is the hint (or the place with MAP_FIXED),
 * and the result. MAP_FIXED replaces what was there with zero pages. */
int vm_map(struct vm *vm, uint64_t *addr, uint64_t len, uint32_t prot, int flags);
int vm_unmap(struct vm *vm, uint64_t addr, uint64_t len);
int vm_protect(struct vm *vm, uint64_t addr, uint64_t len, uint32_t prot);
int vm_remap(struct vm *vm, uint64_t old, uint64_t oldlen, uint64_t newlen, int flags, uint64_t *out);
/* A user page fault at addr with the CPU's error code: 0 when the page is
 * now there, -EFAULT for an access the areas do not allow, -ENOMEM. */
int vm_fault(struct vm *vm, uint64_t addr, uint32_t error);
/* Checks [addr, addr+len) against the areas and makes every page present
 * (and writable if asked): afterwards the kernel may touch it directly. */
int vm_prefault(struct vm *vm, uint64_t addr, uint64_t len, bool write);
/* Maps a page the node does not own (shared program text) at va, inside a
 * read-only area: never writable, never freed with the node. */
int vm_map_shared(struct vm *vm, uint64_t va, uint64_t pa);
/* Maps the device registers at pa..pa+len (whole pages) uncached at a
 * free place, *addr; read-only unless writable. The kernel never touches
 * such an area for a system call, never frees its pages, and refuses to
 * change its protection or move it; a fault in it ends the node. */
int vm_map_device(struct vm *vm, uint64_t pa, uint64_t len, bool writable, uint64_t *addr);
/* Fault injection's aim: a page of the node's own, by a random walk down
 * `levels` levels of its tables (1-3: a table, 4: a page it maps); 0 when
 * the walk met nothing. */
uint64_t vm_random_page(struct vm *vm, uint64_t (*random)(void), int levels);

#endif
