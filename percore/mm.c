/* Physical memory: the E820 map cleaned up (memmap.c), printed in the
 * banner, and every usable page above 1 MiB that is not the kernel, its file
 * or the boot archive handed to the kernel's page allocator (pmm.c). Then
 * the partitions: the kernel keeps a pool at the bottom, and the rest is
 * split into one partition per core (part.c), each with its own allocator,
 * from which that core's node gets every page it maps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootinfo.h"
#include "heap.h"
#include "chan.h"
#include "kernel.h"
#include "memmap.h"
#include "msgchan.h"
#include "part.h"
#include "uapi.h"
#include "pmm.h"

#define LOW_MEMORY_END 0x100000 /* below 1 MiB: BIOS data, trampoline, loader */
#define MAX_RANGES (2 * BOOT_E820_MAX)

static struct mem_range map[MAX_RANGES];
static int nmap;
static struct mem_range usable[MAX_RANGES]; /* RAM the kernel may hand out, from mm_init */
static int nusable;
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
    nusable = memmap_usable(map, nmap, LOW_MEMORY_END, in_use, ARRAY_SIZE(in_use), usable, MAX_RANGES);
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

/* ---- partitions */

#define KERNEL_POOL (32ull << 20)          /* heap, page tables of the kernel, stacks */
#define KERNEL_POOL_PER_CORE (8ull << 20)  /* each node's threads and kernel objects */
#define PART_MIN ((uint64_t)64 << 20)      /* below this ERTS does not boot */


static struct part parts[MAX_CORES];
static struct pmm part_pmm[MAX_CORES];
static int nparts;

/* Blocks of a partition retired after an uncorrected memory error: never
 * handed out again (mm_partition_reset keeps them reserved). Written by
 * the #MC handler, so only a counter taken atomically, never a lock. */
#define RETIRED_MAX 16
static uint64_t retired[MAX_CORES][RETIRED_MAX];
static volatile int nretired[MAX_CORES];
static int reserved[MAX_CORES]; /* how many of them the last reset reserved */
static uint64_t chan_region, chan_region_size;

/* The usable ranges above the kernel's pool, which stays at the bottom. */
static int above_pool(uint64_t pool, struct mem_range *out)
{
    int n = 0;
    for (int i = 0; i < nusable; i++) {
        uint64_t len = usable[i].end - usable[i].base;
        if (pool >= len) {
            pool -= len;
            continue;
        }
        out[n] = usable[i];
        out[n++].base += pool;
        pool = 0;
    }
    return n;
}

/* "partN=SIZE" on the command line (SIZE in MiB, or with a K/M/G suffix)
 * fixes core N's partition. */
static uint64_t fixed_size(int core)
{
    char key[16];
    snprintf(key, sizeof(key), "part%d", core);
    const char *v = cmdline_get(key);
    if (!v)
        return 0;
    char *end;
    uint64_t size = strtoull(v, &end, 10);
    switch (*end) {
    case 'G': return size << 30;
    case 'K': return size << 10;
    default: return size << 20;
    }
}

/* The shared channel region: the N x N rings of msgchan/, in the kernel
 * pool, laid out (msgchan_region_init) before any core uses it. */
static void reserve_channels(int ncores)
{
    uint32_t ring_bytes = chan_ring_bytes(ncores);
    chan_region_size = ALIGN_UP(msgchan_region_size(ncores, ring_bytes), PAGE_SIZE);
    chan_region = page_alloc(chan_region_size / PAGE_SIZE);
    int err = msgchan_region_init(P2V(chan_region), chan_region_size, ncores, ring_bytes);
    if (err)
        panic("msgchan_region_init: %d", err);
    kprintf("channels: %d x %d rings of %lu KiB at %016lx (%lu KiB)\n", ncores, ncores,
            (unsigned long)ring_bytes >> 10, chan_region, chan_region_size >> 10);
}

uint64_t mm_channel_region(uint64_t *size)
{
    *size = chan_region_size;
    return chan_region;
}

bool mm_is_ram(uint64_t pa, uint64_t len)
{
    for (int i = 0; i < nmap; i++)
        if (map[i].type != E820_RESERVED && map[i].type != E820_BAD && map[i].base < pa + len && pa < map[i].end)
            return true;
    return pa < LOW_MEMORY_END && pa + len > 0 && !(pa >= 0xA0000 && pa + len <= 0x100000);
}

int mm_partition(int ncores)
{
    static struct mem_range ranges[MAX_RANGES];
    reserve_channels(ncores);
    uint64_t fixed[MAX_CORES];
    int nr = above_pool(KERNEL_POOL + ncores * KERNEL_POOL_PER_CORE, ranges);
    for (int i = 0; i < ncores; i++)
        fixed[i] = fixed_size(i);
    int n = ncores, err = part_plan(ranges, nr, n, fixed, PART_MIN, parts);
    if (err == -EINVAL) {
        kprintf("memory: partition sizes on the command line are not whole multiples of 2 MiB "
                "of at least %lu MiB; splitting evenly\n", PART_MIN >> 20);
        err = part_plan(ranges, nr, n, NULL, PART_MIN, parts);
    }
    if (err) {
        n = part_max_count(ranges, nr, PART_MIN);
        kprintf("memory: %d cores need %lu MiB each, only %d such partitions fit: "
                "core%s %d%s%.0d get%s no node\n", ncores, PART_MIN >> 20, n, ncores - n > 1 ? "s" : "", n,
                ncores - n > 1 ? " to " : "", ncores - n > 1 ? ncores - 1 : 0, ncores - n > 1 ? "" : "s");
        if (n == 0 || part_plan(ranges, nr, n, NULL, PART_MIN, parts) != 0)
            return 0;
    }
    for (int i = 0; i < n; i++) {
        uint64_t bytes = pmm_bitmap_bytes(parts[i].base, parts[i].end);
        uint64_t *bitmap = kzalloc(bytes);
        if (!bitmap)
            panic("no kernel memory for partition %d's bitmap", i);
        pmm_reserve(&kernel_pmm, parts[i].base, parts[i].end);
        pmm_init(&part_pmm[i], parts[i].base, parts[i].end, bitmap);
        pmm_add_free(&part_pmm[i], parts[i].base, parts[i].end);
        kprintf("partition c%d: %016lx-%016lx %lu MiB\n", i, parts[i].base, parts[i].end - 1,
                (parts[i].end - parts[i].base) >> 20);
    }
    nparts = n;
    return n;
}

uint64_t mm_partition_reset(int core)
{
    struct pmm *p = &part_pmm[core];
    int n = nretired[core] < RETIRED_MAX ? nretired[core] : RETIRED_MAX;
    uint64_t lost = p->npages - pmm_free_pages(p) - (uint64_t)reserved[core] * (RETIRE_BLOCK / PAGE_SIZE);
    pmm_init(p, parts[core].base, parts[core].end, p->bitmap);
    pmm_add_free(p, parts[core].base, parts[core].end);
    for (int i = 0; i < n; i++)
        pmm_reserve(p, retired[core][i], retired[core][i] + RETIRE_BLOCK);
    reserved[core] = n;
    return lost;
}

bool mm_retire(uint64_t pa)
{
    uint64_t block = ALIGN_DOWN(pa, RETIRE_BLOCK);
    for (int core = 0; core < nparts; core++) {
        if (pa < parts[core].base || pa >= parts[core].end)
            continue;
        int n = nretired[core] < RETIRED_MAX ? nretired[core] : RETIRED_MAX;
        for (int i = 0; i < n; i++)
            if (retired[core][i] == block)
                return true;
        int slot = __atomic_fetch_add(&nretired[core], 1, __ATOMIC_SEQ_CST);
        if (slot >= RETIRED_MAX)
            return false;
        retired[core][slot] = block;
        return true;
    }
    return false;
}

int mm_retired(int core, uint64_t *blocks, int max)
{
    int n = core < nparts ? nretired[core] : 0;
    if (n > RETIRED_MAX)
        n = RETIRED_MAX;
    for (int i = 0; i < n && i < max; i++)
        blocks[i] = retired[core][i];
    return n < max ? n : max;
}

struct pmm *mm_partition_of(int core, uint64_t *base, uint64_t *end)
{
    if (core >= nparts)
        return NULL;
    if (base)
        *base = parts[core].base;
    if (end)
        *end = parts[core].end;
    return &part_pmm[core];
}
