/* A node's user address space: the areas (vma.c) and the page tables that
 * follow them. Pages come at first touch (vm_fault), zeroed; a mapping never
 * copies memory it does not have to (mremap moves page table entries).
 * The upper half of every user PML4 is the kernel's, copied at creation:
 * the kernel never adds top-level entries after boot.
 * The page tables live in the node's partition, where a wild write or a
 * memory error can change them under the kernel: every entry the kernel
 * follows or frees is checked first (a table inside the partition, a page
 * inside it or shared text, no reserved bit). One that fails marks the
 * address space corrupt: the walk stops there, the access fails with EIO
 * and the node dies of it; nothing outside the partition is ever touched
 * or freed. */
#include <string.h>

#include "arch/x86.h"
#include "pmm.h"
#include "sched.h"
#include "uapi.h"
#include "vm.h"

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PS (1ull << 7)
#define PTE_REVOKED (1ull << 9) /* software: page kept, access taken away (PROT_NONE) */
#define PTE_SHARED (1ull << 10) /* software: a shared read-only page the node does not own */
#define PTE_DEVICE (1ull << 11) /* software: a device's registers, given to the node (devices.c) */
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000FFFFFFFFFF000ull

#define PF_WRITE (1u << 1)
#define PF_INSTR (1u << 4)

static bool nx_enabled(void)
{
    return rdmsr(MSR_EFER) & (1ull << 11); /* cpu_init_core sets it when the CPU has NX */
}

/* Every page a node maps, and its page tables, come from its partition. */
static uint64_t vm_page_alloc(struct vm *vm)
{
    uint64_t pa = pmm_alloc(vm->pmm, 1, 1);
    if (pa)
        memset(P2V(pa), 0, PAGE_SIZE);
    return pa;
}

static void corrupt(struct vm *vm, const char *what, uint64_t entry)
{
    if (!vm->corrupt)
        kprintf("node %u: page tables corrupt: %s 0x%016lx; the node ends, the kernel goes on\n",
                this_core()->id, what, entry);
    vm->corrupt = true;
}

/* A page of the node's own back to its partition; a page that is not one
 * (free already, or elsewhere: only a corrupt entry can name it) is left
 * alone. */
static void vm_page_free(struct vm *vm, uint64_t pa)
{
    if (pmm_free(vm->pmm, pa, 1) != 0)
        corrupt(vm, "an entry names a page it does not own:", pa);
}

static uint64_t *table(uint64_t pa)
{
    return P2V(pa & PTE_ADDR);
}

/* Bits between the CPU's physical address width and bit 51 must be clear. */
static uint64_t reserved_bits(void)
{
    static uint64_t mask;
    if (!mask) {
        uint32_t r[4];
        cpuid(0x80000008, 0, r);
        mask = PTE_ADDR & ~((1ull << (r[0] & 0xFF)) - 1);
    }
    return mask;
}

static bool in_partition(const struct vm *vm, uint64_t pa)
{
    return pa >= vm->pmm->base && pa < vm->pmm->base + vm->pmm->npages * PAGE_SIZE;
}

/* The table a present upper-level entry points to, or NULL (and corrupt)
 * when it is no table of this node's. */
static uint64_t *next_table(struct vm *vm, uint64_t e)
{
    if ((e & (PTE_PS | reserved_bits())) || !in_partition(vm, e & PTE_ADDR)) {
        corrupt(vm, "a table entry", e);
        return NULL;
    }
    return table(e);
}

/* A leaf the kernel may follow: a page of the partition, shared text, or
 * registers of a device this node holds. */
static bool leaf_ok(struct vm *vm, uint64_t pte)
{
    uint64_t pa = pte & PTE_ADDR;
    bool ok = (pte & PTE_DEVICE)   ? devices_is_mmio(pa)
              : (pte & PTE_SHARED) ? pa < direct_map_end
                                   : in_partition(vm, pa);
    if (!(pte & reserved_bits()) && ok)
        return true;
    corrupt(vm, "a page entry", pte);
    return false;
}

static int walk_error(const struct vm *vm)
{
    return vm->corrupt ? -EIO : -ENOMEM;
}

/* The PTE for va, creating page tables on the way if asked; NULL if absent,
 * out of memory (walk_error tells which) or corrupt. */
static uint64_t *walk(struct vm *vm, uint64_t va, bool create)
{
    uint64_t *t = table(vm->pml4);
    for (int shift = 39; shift > 12 && t; shift -= 9) {
        uint64_t *e = &t[(va >> shift) & 511];
        if (!(*e & PTE_P)) {
            if (!create)
                return NULL;
            uint64_t pa = vm_page_alloc(vm);
            if (!pa)
                return NULL;
            *e = pa | PTE_P | PTE_W | PTE_U;
        }
        t = next_table(vm, *e);
    }
    return t ? &t[(va >> 12) & 511] : NULL;
}

static uint64_t pte_flags(uint32_t prot)
{
    if (!(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
        return PTE_REVOKED;
    uint64_t f = PTE_P | PTE_U;
    if (prot & PROT_WRITE)
        f |= PTE_W;
    if (!(prot & PROT_EXEC) && nx_enabled())
        f |= PTE_NX;
    return f;
}

static void invlpg(uint64_t va)
{
    __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}

/* Calls fn on every PTE holding a page in [start, end), skipping absent
 * page tables whole: a reservation of gigabytes costs nothing to walk. */
static void for_each_page(struct vm *vm, uint64_t start, uint64_t end,
                          void (*fn)(struct vm *vm, uint64_t va, uint64_t *pte, void *arg), void *arg)
{
    uint64_t va = start;
    while (va < end) {
        uint64_t *t = table(vm->pml4);
        uint64_t skip = 0;
        for (int shift = 39; shift > 12; shift -= 9) {
            uint64_t e = t[(va >> shift) & 511];
            if (!(e & PTE_P) || !(t = next_table(vm, e))) {
                skip = 1ull << shift;
                break;
            }
        }
        if (skip) {
            va = (va & ~(skip - 1)) + skip;
            continue;
        }
        uint64_t *pte = &t[(va >> 12) & 511];
        if (*pte & (PTE_P | PTE_REVOKED))
            fn(vm, va, pte, arg);
        va += PAGE_SIZE;
        if (!(va & (511 * PAGE_SIZE))) /* a long unmap is work, not a hang (watchdog.c) */
            this_core()->progress++;
    }
}

static void drop_page(struct vm *vm, uint64_t va, uint64_t *pte, void *arg)
{
    (void)arg;
    if (*pte & PTE_DEVICE) {
        if (leaf_ok(vm, *pte))
            devices_page_unmapped(*pte & PTE_ADDR);
    } else if (*pte & PTE_SHARED)
        vm->shared--;
    else {
        if (leaf_ok(vm, *pte))
            vm_page_free(vm, *pte & PTE_ADDR);
        vm->resident--;
    }
    *pte = 0;
    invlpg(va);
}

static void reprotect_page(struct vm *vm, uint64_t va, uint64_t *pte, void *arg)
{
    if (!leaf_ok(vm, *pte))
        return;
    uint64_t shared = *pte & PTE_SHARED; /* never writable: other nodes map it too */
    *pte = (*pte & PTE_ADDR) | shared | (pte_flags(*(uint32_t *)arg) & ~(shared ? PTE_W : 0));
    invlpg(va);
}

int vm_create(struct vm *vm, struct pmm *pmm, uint64_t limit_pages)
{
    memset(vm, 0, sizeof(*vm));
    vm->pmm = pmm;
    vm->pml4 = vm_page_alloc(vm);
    if (!vm->pml4)
        return -ENOMEM;
    memcpy(table(vm->pml4) + 256, table(this_core()->cr3) + 256, 256 * sizeof(uint64_t));
    vma_init(&vm->areas, limit_pages);
    return 0;
}

static void free_tables(struct vm *vm, uint64_t pa, int level)
{
    uint64_t *t = table(pa);
    for (int i = 0; i < (level == 4 ? 256 : 512); i++)
        if (level > 1 && (t[i] & PTE_P) && next_table(vm, t[i]))
            free_tables(vm, t[i], level - 1);
    vm_page_free(vm, pa & PTE_ADDR);
}

void vm_destroy(struct vm *vm)
{
    for_each_page(vm, 0, VMA_USER_MAX, drop_page, NULL);
    free_tables(vm, vm->pml4, 4);
    vm->pml4 = 0;
}

static bool range_free(const struct vma_set *s, uint64_t start, uint64_t end)
{
    for (int i = 0; i < s->n; i++)
        if (s->v[i].start < end && s->v[i].end > start)
            return false;
    return true;
}

int vm_map(struct vm *vm, uint64_t *addr, uint64_t len, uint32_t prot, int flags)
{
    len = ALIGN_UP(len, PAGE_SIZE);
    if (len == 0 || len > VMA_USER_MAX)
        return -EINVAL;
    uint64_t a = *addr;
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        if (a % PAGE_SIZE)
            return -EINVAL;
        if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) && !range_free(&vm->areas, a, a + len))
            return -EEXIST;
    } else {
        a = ALIGN_DOWN(a, PAGE_SIZE); /* a hint: taken only if that space is free */
        if (a < VMA_USER_MIN || a + len > VMA_USER_MAX || !range_free(&vm->areas, a, a + len))
            a = vma_find_gap(&vm->areas, len, VM_MMAP_TOP);
        if (!a)
            return -ENOMEM;
    }
    int err = vma_map(&vm->areas, a, a + len, prot, (flags & MAP_NORESERVE) ? VMA_NORESERVE : 0);
    if (err)
        return err;
    for_each_page(vm, a, a + len, drop_page, NULL); /* MAP_FIXED replaces: fresh zero pages */
    *addr = a;
    return 0;
}

int vm_unmap(struct vm *vm, uint64_t addr, uint64_t len)
{
    len = ALIGN_UP(len, PAGE_SIZE);
    if (addr % PAGE_SIZE || len == 0 || addr + len < addr)
        return -EINVAL;
    if (addr >= VMA_USER_MAX)
        return -EINVAL;
    uint64_t end = addr + len > VMA_USER_MAX ? VMA_USER_MAX : addr + len;
    if (addr < VMA_USER_MIN)
        addr = VMA_USER_MIN;
    if (addr >= end)
        return 0;
    int err = vma_unmap(&vm->areas, addr, end);
    if (err)
        return err;
    for_each_page(vm, addr, end, drop_page, NULL);
    return 0;
}

/* Does [start, end) hold part of a device's area? */
static bool has_device(const struct vma_set *s, uint64_t start, uint64_t end)
{
    for (int i = 0; i < s->n; i++)
        if ((s->v[i].flags & VMA_DEVICE) && s->v[i].start < end && s->v[i].end > start)
            return true;
    return false;
}

int vm_protect(struct vm *vm, uint64_t addr, uint64_t len, uint32_t prot)
{
    len = ALIGN_UP(len, PAGE_SIZE);
    if (addr % PAGE_SIZE || addr + len < addr)
        return -EINVAL;
    if (len == 0)
        return 0;
    if (has_device(&vm->areas, addr, addr + len))
        return -EACCES; /* a read-only device stays read-only */
    int err = vma_protect(&vm->areas, addr, addr + len, prot);
    if (err)
        return err;
    for_each_page(vm, addr, addr + len, reprotect_page, &prot);
    return 0;
}

/* Moves the pages of [from, from+len) to [to, to+len), which has no pages. */
static int move_pages(struct vm *vm, uint64_t from, uint64_t to, uint64_t len)
{
    for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
        uint64_t *src = walk(vm, from + off, false);
        if (!src || !(*src & (PTE_P | PTE_REVOKED)))
            continue;
        if (!leaf_ok(vm, *src))
            return -EIO;
        uint64_t *dst = walk(vm, to + off, true);
        if (!dst)
            return walk_error(vm);
        *dst = *src;
        *src = 0;
        invlpg(from + off);
    }
    return 0;
}

int vm_remap(struct vm *vm, uint64_t old, uint64_t oldlen, uint64_t newlen, int flags, uint64_t *out)
{
    oldlen = ALIGN_UP(oldlen, PAGE_SIZE);
    newlen = ALIGN_UP(newlen, PAGE_SIZE);
    if (old % PAGE_SIZE || newlen == 0 || (flags & ~MREMAP_MAYMOVE))
        return -EINVAL;
    const struct vma *a = vma_find(&vm->areas, old);
    if (!a || old + oldlen > a->end)
        return -EFAULT;
    if (a->flags & VMA_DEVICE)
        return -EINVAL; /* its pages are the device's registers: they stay where they are */
    uint32_t prot = a->prot, vflags = a->flags;
    *out = old;
    if (newlen <= oldlen)
        return newlen < oldlen ? vm_unmap(vm, old + newlen, oldlen - newlen) : 0;
    /* Grow in place when the space after it is free. */
    if (old + newlen <= VMA_USER_MAX && range_free(&vm->areas, old + oldlen, old + newlen))
        return vma_map(&vm->areas, old + oldlen, old + newlen, prot, vflags);
    if (!(flags & MREMAP_MAYMOVE))
        return -ENOMEM;
    uint64_t to = vma_find_gap(&vm->areas, newlen, VM_MMAP_TOP);
    if (!to)
        return -ENOMEM;
    int err = vma_map(&vm->areas, to, to + newlen, prot, vflags);
    if (err)
        return err;
    err = move_pages(vm, old, to, oldlen);
    if (err) {
        vm_unmap(vm, to, newlen);
        return err;
    }
    vma_unmap(&vm->areas, old, old + oldlen);
    *out = to;
    return 0;
}

int vm_fault(struct vm *vm, uint64_t addr, uint32_t error)
{
    const struct vma *a = vma_find(&vm->areas, addr);
    if (!a || (a->flags & VMA_DEVICE)) /* its pages are all there: only a write to a read-only one faults */
        return -EFAULT;
    uint32_t need = (error & PF_WRITE) ? PROT_WRITE : (error & PF_INSTR) ? PROT_EXEC : PROT_READ;
    if (!(a->prot & need))
        return -EFAULT;
    uint64_t *pte = walk(vm, addr, true);
    if (!pte)
        return walk_error(vm);
    if ((*pte & (PTE_P | PTE_REVOKED)) && !leaf_ok(vm, *pte))
        return -EIO;
    if (*pte & PTE_REVOKED) { /* access given back since: keep the contents (a shared page stays read-only) */
        uint64_t shared = *pte & PTE_SHARED;
        *pte = (*pte & PTE_ADDR) | shared | (pte_flags(a->prot) & ~(shared ? PTE_W : 0));
    } else if (*pte & PTE_P) {
        if ((*pte & PTE_SHARED) && need == PROT_WRITE)
            return -EFAULT; /* shared text stays read-only even if mprotect says otherwise */
        invlpg(addr); /* a stale TLB entry after a protection change */
        return 0;
    } else {
        uint64_t pa = vm_page_alloc(vm);
        if (!pa)
            return -ENOMEM;
        *pte = pa | pte_flags(a->prot);
        vm->resident++;
    }
    invlpg(ALIGN_DOWN(addr, PAGE_SIZE));
    return 0;
}

int vm_map_shared(struct vm *vm, uint64_t va, uint64_t pa)
{
    const struct vma *a = vma_find(&vm->areas, va);
    if (!a || va % PAGE_SIZE || (a->prot & PROT_WRITE))
        return -EINVAL;
    uint64_t *pte = walk(vm, va, true);
    if (!pte)
        return walk_error(vm);
    if (*pte & (PTE_P | PTE_REVOKED))
        drop_page(vm, va, pte, NULL);
    *pte = pa | PTE_SHARED | pte_flags(a->prot);
    vm->shared++;
    return 0;
}

int vm_map_device(struct vm *vm, uint64_t pa, uint64_t len, bool writable, uint64_t *addr)
{
    uint32_t prot = PROT_READ | (writable ? PROT_WRITE : 0);
    uint64_t a = vma_find_gap(&vm->areas, len, VM_MMAP_TOP);
    if (!a)
        return -ENOMEM;
    int err = vma_map(&vm->areas, a, a + len, prot, VMA_DEVICE);
    for (uint64_t off = 0; !err && off < len; off += PAGE_SIZE) {
        uint64_t *pte = walk(vm, a + off, true);
        if (!pte)
            err = walk_error(vm);
        else {
            *pte = (pa + off) | PTE_DEVICE | PTE_PCD | PTE_PWT | pte_flags(prot);
            devices_page_mapped(pa + off);
        }
    }
    if (err) {
        vm_unmap(vm, a, len);
        return err;
    }
    *addr = a;
    return 0;
}

int vm_prefault(struct vm *vm, uint64_t addr, uint64_t len, bool write)
{
    int err = vma_check(&vm->areas, addr, len, write ? PROT_WRITE : PROT_READ);
    if (err)
        return err;
    if (has_device(&vm->areas, addr, addr + len))
        return -EFAULT; /* the kernel reads and writes no device's registers for a node */
    for (uint64_t p = ALIGN_DOWN(addr, PAGE_SIZE); p < addr + len; p += PAGE_SIZE) {
        this_core()->progress++; /* a long first touch is work, not a hang (watchdog.c) */
        uint64_t *pte = walk(vm, p, false);
        if (vm->corrupt)
            return -EIO;
        if (pte && (*pte & PTE_P) && (!write || (*pte & PTE_W)) && leaf_ok(vm, *pte))
            continue;
        err = vm_fault(vm, p, write ? PF_WRITE : 0);
        if (err)
            return err;
    }
    return 0;
}

uint64_t vm_random_page(struct vm *vm, uint64_t (*random)(void), int levels)
{
    uint64_t pa = vm->pml4 & PTE_ADDR;
    for (int level = 0; level < levels; level++) {
        const uint64_t *t = table(pa);
        uint64_t n = level == 0 ? 256 : 512, start = random() % n, e = 0;
        for (uint64_t i = 0; i < n && !(e & PTE_P); i++)
            e = t[(start + i) % n];
        if (!(e & PTE_P) || (e & PTE_SHARED) || !in_partition(vm, e & PTE_ADDR))
            return 0;
        pa = e & PTE_ADDR;
    }
    return pa;
}
