/* Devices the nodes drive themselves: the machine's one device table
 * (devtab.h: what a device is, the file it comes from) and the I/O
 * permission bitmaps it opens.
 *
 * Contract:
 *   - A device is held by one core. Only while that core's node runs are
 *     the device's ports open, in that core's TSS bitmap; a node that ends
 *     has them closed, and a node started again on the core has them open
 *     again. Nothing else ever opens a port to ring 3.
 *   - hydros_dev(HYDROS_DEV_PORT) tells a node whether it may use ports,
 *     so that ERTS answers {error, {owned_by, C}} instead of taking a #GP.
 *   - hydros_dev(HYDROS_DEV_MAP) maps a device's registers (MMIO) into the
 *     holder's node only, uncached, read-only where the table says :ro;
 *     never RAM (mm_is_ram), which devices_init also keeps out of the table.
 *   - hydros_dev(HYDROS_DEV_GIVE) moves a device: the holder's node may
 *     give what it holds, and any node may give a device whose holder's
 *     node is not running; never while the holder has its registers mapped.
 *     The ports close on the old holder's core before the call returns
 *     (ERTS keeps its own port IO out meanwhile).
 *   - One lock for the table and the bitmaps: a bitmap is written only
 *     under it (another core's included: the CPU reads the bitmap at each
 *     IN and OUT, so a change is in force at once). */
#include <stdio.h>
#include <string.h>

#include "cpio.h"
#include "devtab.h"
#include "kernel.h"
#include "spinlock.h"
#include "sched.h"
#include "uapi.h"
#include "vm.h"

#define DEVICES_FILE "etc/hydros/devices"

static struct devtab table;
static uint64_t mapped[DEV_MAX][MAX_CORES]; /* pages of each device each core's node has mapped */
static struct spinlock lock = SPINLOCK_INIT;

_Static_assert(sizeof(((struct core *)0)->iomap) == IOMAP_BYTES + 1, "TSS bitmap size");

static void bad_line(int line, const char *why)
{
    kprintf("devices: /%s line %d left out: %s\n", DEVICES_FILE, line, why);
}

void devices_init(const void *archive, uint64_t len)
{
    int err;
    uint64_t bad;
    uint32_t idx;
    struct cpio_index *ix = cpio_index_new(archive, len, NULL, &err, &bad);
    if (!ix)
        return; /* node_start says what is wrong with the archive */
    if (cpio_lookup(ix, DEVICES_FILE, strlen(DEVICES_FILE), &idx) == 0) {
        const struct cpio_entry *e = &ix->entries[idx];
        devtab_parse(&table, (const char *)e->data, e->size, ncores, bad_line);
        for (int i = 0; i < table.n; i++)
            for (int r = 0; r < table.dev[i].nmmio; r++) {
                const struct dev_mmio *m = &table.dev[i].mmio[r];
                if (mm_is_ram(m->first, m->last - m->first + 1)) {
                    kprintf("devices: %s left out: 0x%lx-0x%lx is memory, not a device's\n", table.dev[i].name,
                            m->first, m->last);
                    devtab_remove(&table, i--);
                    break;
                }
            }
        kprintf("devices: %d from /%s\n", table.n, DEVICES_FILE);
    }
    cpio_index_put(ix);
}

static bool node_up(int core)
{
    int s = cores[core].node_state;
    return core_alive(&cores[core]) && (s == NODE_BOOTING || s == NODE_RUNNING);
}

void devices_node_started(struct core *c)
{
    spin_lock(&lock);
    devtab_iomap(&table, (int)c->id, c->iomap);
    spin_unlock(&lock);
}

void devices_node_ended(struct core *c)
{
    spin_lock(&lock);
    memset(c->iomap, 0xFF, IOMAP_BYTES);
    spin_unlock(&lock);
}

static int64_t port_query(uint64_t first, uint64_t last)
{
    if (first > last || last > 0xFFFF)
        return -EINVAL;
    spin_lock(&lock);
    struct device *d = devtab_port_device(&table, (unsigned)first, (unsigned)last);
    int64_t r = !d ? -ENOENT : d->holder == (int)this_core()->id ? 0 : d->holder + 1;
    spin_unlock(&lock);
    return r;
}

/* The device pages vm.c maps and drops, counted on their device. */
bool devices_is_mmio(uint64_t pa)
{
    bool ro;
    return devtab_mmio_device(&table, pa, pa + PAGE_SIZE - 1, &ro) != NULL; /* the table is fixed but for holders */
}

/* A node maps and drops pages on its own core. */
static void count_page(uint64_t pa, int delta)
{
    bool ro;
    spin_lock(&lock);
    struct device *d = devtab_mmio_device(&table, pa, pa + PAGE_SIZE - 1, &ro);
    uint64_t *n = d ? &mapped[d - table.dev][this_core()->id] : NULL;
    if (n && (delta > 0 || *n > 0))
        *n += delta;
    spin_unlock(&lock);
}

void devices_page_mapped(uint64_t pa) { count_page(pa, 1); }
void devices_page_unmapped(uint64_t pa) { count_page(pa, -1); }

/* Maps first..first+len-1 of a device this node holds; tells the node,
 * at uaddr, where first is and whether it may write there. */
static int64_t map(uint64_t first, uint64_t len, uint64_t uaddr)
{
    if (len == 0 || first + len - 1 < first)
        return -EINVAL;
    if (mm_is_ram(first, len))
        return -EACCES;
    uint64_t last = first + len - 1, base = ALIGN_DOWN(first, PAGE_SIZE);
    bool ro;
    spin_lock(&lock);
    struct device *d = devtab_mmio_device(&table, first, last, &ro);
    int64_t r = !d ? -ENOENT : d->holder == (int)this_core()->id ? 0 : d->holder + 1;
    spin_unlock(&lock);
    if (r)
        return r;
    /* Only this node gives its devices away, and not while a system call
     * of its own is here (one core, no preemption in the kernel). */
    uint64_t at, len_pages = ALIGN_UP(last + 1, PAGE_SIZE) - base;
    r = vm_map_device(&current()->node->vm, base, len_pages, !ro, &at);
    if (r)
        return r;
    uint64_t out[2] = {at + (first - base), !ro};
    if (copy_to_user(uaddr, out, sizeof(out)) != 0) {
        vm_unmap(&current()->node->vm, at, len_pages);
        return -EFAULT;
    }
    return 0;
}

static int64_t give(uint64_t uname, uint64_t to)
{
    char name[HYDROS_DEV_NAME_MAX];
    int64_t n = strncpy_from_user(name, uname, sizeof(name));
    if (n == -ENAMETOOLONG)
        return -ENOENT; /* no device has a name that long */
    if (n < 0)
        return n;
    if (to >= (uint64_t)ncores || cores[to].state == CORE_ABSENT)
        return -ESRCH;
    int64_t r = 0;
    spin_lock(&lock);
    struct device *d = devtab_find(&table, name);
    int me = (int)this_core()->id;
    if (!d)
        r = -ENOENT;
    else if (d->holder != me && node_up(d->holder))
        r = d->holder + 1;
    else if (mapped[d - table.dev][d->holder] && node_up(d->holder))
        r = -EBUSY; /* its registers are mapped in its holder: unmap them first */
    else if (d->holder != (int)to) {
        devtab_iomap_set(d, cores[d->holder].iomap, false);
        d->holder = (int)to;
        if (node_up((int)to))
            devtab_iomap_set(d, cores[to].iomap, true);
        kprintf("devices: %s given to core %lu by node %d\n", d->name, to, me);
    }
    spin_unlock(&lock);
    return r;
}

int64_t sys_hydros_dev(uint64_t op, uint64_t a, uint64_t b, uint64_t c)
{
    switch (op) {
    case HYDROS_DEV_PORT:
        return port_query(a, b);
    case HYDROS_DEV_MAP:
        return map(a, b, c);
    case HYDROS_DEV_GIVE:
        return give(a, b);
    default:
        return -EINVAL;
    }
}

int devices_render(char *out, int max)
{
    int n = 0;
    spin_lock(&lock);
    for (int i = 0; i < table.n && n < max; i++) {
        const struct device *d = &table.dev[i];
        n += snprintf(out + n, max - n, "%s c%d %s", d->name, d->holder, node_up(d->holder) ? "open" : "closed");
        for (int r = 0; r < d->nports && n < max; r++)
            n += snprintf(out + n, max - n, " port:0x%x-0x%x", d->ports[r].first, d->ports[r].last);
        for (int r = 0; r < d->nmmio && n < max; r++)
            n += snprintf(out + n, max - n, " mmio:0x%lx-0x%lx%s", d->mmio[r].first, d->mmio[r].last,
                          d->mmio[r].ro ? ":ro" : "");
        if (n < max)
            n += snprintf(out + n, max - n, "\n");
    }
    spin_unlock(&lock);
    return n < max ? n : max;
}
