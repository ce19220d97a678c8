/* The kernel's page tables: all physical memory (at least the first 4 GiB,
 * where the local APIC and IOAPIC live) mapped at PHYS_MAP_BASE with 2 MiB
 * pages, and the kernel image at KERNEL_VIRT_BASE. Nothing is mapped at low
 * addresses: that half belongs to user space. Supervisor-only throughout.
 * Each core then gets a copy with its own view of the channel region at
 * CHAN_VIEW_BASE (paging_core_tables). */
#include "arch/x86.h"
#include "kernel.h"

#include <stdbool.h>
#include <string.h>

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_PS (1ull << 7)
#define GIB (1ull << 30)
#define MMIO_START 0xFE000000ull /* IOAPIC, HPET, LAPIC: never cached */

uint64_t kernel_cr3;
uint64_t direct_map_end;

static uint64_t *table(uint64_t phys)
{
    /* Until the switch only the loader's map (first 4 GiB) is there. */
    if (phys >= 4 * GIB)
        panic("page table page %p above 4 GiB during boot", (void *)phys);
    return P2V(phys);
}

static uint64_t pd_for_gib(uint64_t gib)
{
    uint64_t pd = page_alloc(1);
    uint64_t *e = table(pd);
    for (uint64_t i = 0; i < 512; i++) {
        uint64_t pa = gib * GIB + i * (2ull << 20);
        e[i] = pa | PTE_P | PTE_W | PTE_PS | (pa >= MMIO_START && pa < 4 * GIB ? PTE_PCD | PTE_PWT : 0);
    }
    return pd;
}

void paging_init(void)
{
    uint64_t top = ALIGN_UP(mm_phys_top() > 4 * GIB ? mm_phys_top() : 4 * GIB, GIB);
    uint64_t pml4 = page_alloc(1);
    uint64_t *l4 = table(pml4);
    uint64_t first_pd = 0;
    for (uint64_t gib = 0; gib < top / GIB; gib++) {
        uint64_t slot = 256 + gib / 512;
        if (slot >= 511)
            panic("more physical memory than the direct map holds");
        if (!l4[slot])
            l4[slot] = page_alloc(1) | PTE_P | PTE_W;
        uint64_t pd = pd_for_gib(gib);
        table(l4[slot] & ~0xFFFull)[gib % 512] = pd | PTE_P | PTE_W;
        if (gib == 0)
            first_pd = pd;
    }
    /* -2 GiB: PML4[511], PDPT[510] -> the same PD as physical 0-1 GiB. */
    uint64_t kpdpt = page_alloc(1);
    table(kpdpt)[510] = first_pd | PTE_P | PTE_W;
    l4[511] = kpdpt | PTE_P | PTE_W;

    direct_map_end = top;
    kernel_cr3 = pml4;
    this_core()->cr3 = pml4; /* until chan_init_core adds the channel view */
    write_cr3(pml4);
}

/* The tables a core changes in its copy of the kernel's: each original
 * table gets one private copy, whichever alias reaches it. */
struct private_tables {
    int n;
    struct { uint64_t orig, copy; } t[8];
};

/* Makes *entry point to this core's own copy of the table it points to. */
static uint64_t *make_private(struct private_tables *pt, uint64_t *entry)
{
    uint64_t cur = *entry & ~0xFFFull;
    for (int i = 0; i < pt->n; i++)
        if (pt->t[i].orig == cur || pt->t[i].copy == cur) {
            *entry = pt->t[i].copy | (*entry & 0xFFF);
            return P2V(pt->t[i].copy);
        }
    if (pt->n == (int)(sizeof(pt->t) / sizeof(pt->t[0])))
        panic("paging_core_tables: too many tables to copy");
    uint64_t copy = page_alloc(1);
    memcpy(P2V(copy), P2V(cur), PAGE_SIZE);
    pt->t[pt->n].orig = cur, pt->t[pt->n].copy = copy, pt->n++;
    *entry = copy | (*entry & 0xFFF);
    return P2V(copy);
}

/* In the tables at pml4, the alias at va0 + phys of [pa, pa + size): read
 * only but for [pa + w_off, pa + w_off + w_len). The 2 MiB pages holding it
 * become 4 KiB pages, the rest of them as writable as before. */
static void protect_alias(uint64_t pml4, uint64_t va0, uint64_t pa, uint64_t size, uint64_t w_off,
                          uint64_t w_len, struct private_tables *pt)
{
    for (uint64_t big = ALIGN_DOWN(pa, 2ull << 20); big < pa + size; big += 2ull << 20) {
        uint64_t va = va0 + big;
        uint64_t *l3 = make_private(pt, &((uint64_t *)P2V(pml4))[(va >> 39) & 511]);
        uint64_t *l2 = make_private(pt, &l3[(va >> 30) & 511]);
        uint64_t *e = &l2[(va >> 21) & 511];
        if (*e & PTE_PS) {
            uint64_t table = page_alloc(1), flags = *e & (PTE_P | PTE_W | PTE_PWT | PTE_PCD);
            for (uint64_t j = 0; j < 512; j++)
                ((uint64_t *)P2V(table))[j] = (big + j * PAGE_SIZE) | flags;
            *e = table | PTE_P | PTE_W;
        }
        uint64_t *l1 = P2V(*e & ~0xFFFull);
        for (uint64_t j = 0; j < 512; j++) {
            uint64_t at = big + j * PAGE_SIZE;
            if (at >= pa && at < pa + size && !(at - pa >= w_off && at - pa < w_off + w_len))
                l1[j] &= ~PTE_W;
        }
    }
}

/* A new top-level table: the kernel's, plus size bytes of physical memory
 * from pa mapped at CHAN_VIEW_BASE (PML4[510]) with 4 KiB pages, writable
 * only in [w_off, w_off + w_len); the same bytes are read-only there in the
 * direct map and the kernel image's alias too. Every core builds its own,
 * so each core writes only its own part of the channel region. */
uint64_t paging_core_tables(uint64_t pa, uint64_t size, uint64_t w_off, uint64_t w_len)
{
    if (size > GIB || (pa | size | w_off | w_len) & (PAGE_SIZE - 1))
        panic("paging_core_tables: region %p + %lu is not page aligned or above 1 GiB", (void *)pa, size);
    uint64_t pml4 = page_alloc(1), pdpt = page_alloc(1), pd = page_alloc(1);
    memcpy(P2V(pml4), P2V(kernel_cr3), PAGE_SIZE);
    uint64_t *pts = P2V(pd);
    for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
        uint64_t i = off >> 21, j = (off >> 12) & 511;
        if (!pts[i])
            pts[i] = page_alloc(1) | PTE_P | PTE_W;
        bool writable = off >= w_off && off < w_off + w_len;
        ((uint64_t *)P2V(pts[i] & ~0xFFFull))[j] = (pa + off) | PTE_P | (writable ? PTE_W : 0);
    }
    ((uint64_t *)P2V(pdpt))[0] = pd | PTE_P | PTE_W;
    ((uint64_t *)P2V(pml4))[(CHAN_VIEW_BASE >> 39) & 511] = pdpt | PTE_P | PTE_W;
    struct private_tables pt = {0};
    protect_alias(pml4, PHYS_MAP_BASE, pa, size, w_off, w_len, &pt);
    if (pa + size <= GIB) /* the kernel image's alias maps the first GiB */
        protect_alias(pml4, KERNEL_VIRT_BASE, pa, size, w_off, w_len, &pt);
    return pml4;
}
