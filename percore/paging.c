/* The kernel's page tables: all physical memory (at least the first 4 GiB,
 * where the local APIC and IOAPIC live) mapped at PHYS_MAP_BASE with 2 MiB
 * pages, and the kernel image at KERNEL_VIRT_BASE. Nothing is mapped at low
 * addresses: that half belongs to user space. Supervisor-only throughout. */
#include "arch/x86.h"
#include "kernel.h"

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
    write_cr3(pml4);
}
