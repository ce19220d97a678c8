/* Boot-time physical memory: the E820 map cleaned up (memmap.c), printed in
 * the banner, and every usable page above 1 MiB that is not the kernel, its
 * file or the boot archive handed to one page allocator (pmm.c). */
#include <string.h>

#include "bootinfo.h"
#include "heap.h"
#include "kernel.h"
#include "memmap.h"
#include "pmm.h"

#define LOW_MEMORY_END 0x100000 /* below 1 MiB: BIOS data, trampoline, loader */
#define MAX_RANGES (2 * BOOT_E820_MAX)

static struct mem_range map[MAX_RANGES];
static int nmap;
static struct pmm kernel_pmm;
static uint64_t phys_top;

static void print_map(void)
{
    kprintf("memory map (E820, sanitized):\n");
    for (int i = 0; i < nmap; i++)
        kprintf("  %016lx-%016lx %-8s %8lu KiB\n", map[i].base, map[i].end - 1,
                memmap_type_name(map[i].type), (map[i].end - map[i].base) >> 10);
}

/* The bitmap goes into the first usable range that holds it; the loader's
 * map covers the first 4 GiB, so it must lie there. */
static uint64_t place_bitmap(const struct mem_range *usable, int n, uint64_t bytes)
{
    bytes = ALIGN_UP(bytes, PAGE_SIZE);
    for (int i = 0; i < n; i++)
        if (usable[i].end - usable[i].base >= bytes && usable[i].base + bytes <= (4ull << 30))
            return usable[i].base;
    panic("no room below 4 GiB for the page bitmap (%lu bytes)", bytes);
}

/* The kernel heap draws whole pages from the same allocator. */
static void *heap_pages(size_t npages)
{
    uint64_t pa = pmm_alloc(&kernel_pmm, npages, 1);
    return pa ? P2V(pa) : NULL;
}

static void heap_return(void *p, size_t npages)
{
    page_free(V2P(p), npages);
}

static void heap_fail(const char *why, const void *ptr)
{
    panic("kfree(%p): %s", ptr, why);
}

static const struct heap_ops kernel_heap_ops = {heap_pages, heap_return, heap_fail};

void mm_init(const struct boot_info *bi)
{
    extern char __kernel_start[], __kernel_end[];
    int nraw = bi->e820_count < BOOT_E820_MAX ? (int)bi->e820_count : BOOT_E820_MAX;
    nmap = memmap_sanitize(bi->e820, nraw, map, MAX_RANGES);
    if (nmap <= 0)
        panic("the E820 memory map has no valid entries");
    print_map();

    struct mem_range in_use[] = {
        {V2P_KERNEL(__kernel_start), V2P_KERNEL(__kernel_end), 0},
        {bi->kernel_file_phys, bi->kernel_file_phys + bi->kernel_file_size, 0},
        {bi->archive_phys, bi->archive_phys + bi->archive_size, 0},
    };
    static struct mem_range usable[MAX_RANGES];
    int nusable = memmap_usable(map, nmap, LOW_MEMORY_END, in_use, ARRAY_SIZE(in_use), usable, MAX_RANGES);
    if (nusable <= 0)
        panic("no usable RAM above 1 MiB");
    phys_top = usable[nusable - 1].end;

    uint64_t bm_bytes = pmm_bitmap_bytes(LOW_MEMORY_END, phys_top);
    uint64_t bm = place_bitmap(usable, nusable, bm_bytes);
    pmm_init(&kernel_pmm, LOW_MEMORY_END, phys_top, P2V(bm));
    for (int i = 0; i < nusable; i++)
        pmm_add_free(&kernel_pmm, usable[i].base, usable[i].end);
    pmm_reserve(&kernel_pmm, bm, bm + bm_bytes);
    heap_init(&kernel_heap_ops);
    kprintf("memory: %lu MiB usable, %lu MiB free; kernel %lu KiB, archive %lu KiB\n",
            memmap_total(usable, nusable) >> 20, pmm_free_pages(&kernel_pmm) >> 8,
            (uint64_t)(__kernel_end - __kernel_start) >> 10, bi->archive_size >> 10);
}

uint64_t page_alloc_try(uint64_t npages)
{
    uint64_t pa = pmm_alloc(&kernel_pmm, npages, 1);
    if (pa)
        memset(P2V(pa), 0, npages * PAGE_SIZE);
    return pa;
}

uint64_t page_alloc(uint64_t npages)
{
    uint64_t pa = page_alloc_try(npages);
    if (!pa)
        panic("out of physical memory (%lu pages wanted, %lu free)", npages, pmm_free_pages(&kernel_pmm));
    return pa;
}

void page_free(uint64_t pa, uint64_t npages)
{
    if (pmm_free(&kernel_pmm, pa, npages) != 0)
        panic("page_free(%p, %lu): not allocated", (void *)pa, npages);
}

uint64_t page_free_count(void)
{
    return pmm_free_pages(&kernel_pmm);
}


uint64_t mm_phys_top(void)
{
    return phys_top;
}
