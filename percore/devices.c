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
 *   - /dev/irq/N: the holder's node opens it (one file a line) and the
 *     IO APIC sends line N to the holder's core: every interrupt counts,
 *     a read takes the count (EAGAIN while it is 0), a write acknowledges.
 *     A level-triggered line is masked from its interrupt to its
 *     acknowledgement; an edge-triggered one (every ISA line) never is,
 *     so no edge is lost. Closing the file (the node's end closes it)
 *     masks the line.
 *   - hydros_dev(HYDROS_DEV_GIVE) moves a device: the holder's node may
 *     give what it holds, and any node may give a device whose holder's
 *     node is not running; never while the holder has its registers mapped
 *     or its line open.
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
#include "vfs.h"
#include "vm.h"

#define DEVICES_FILE "etc/hydros/devices"

static struct devtab table;
static uint64_t mapped[DEV_MAX][MAX_CORES]; /* pages of each device each core's node has mapped */
static struct spinlock lock = SPINLOCK_INIT;

/* An interrupt line's file. Only the core it is routed to touches it
 * (its node's calls, its interrupts), but for give, under the lock. */
static struct irq {
    struct file *file;         /* open, or NULL */
    int core;                  /* where it is routed */
    volatile uint64_t pending; /* interrupts not yet read */
    volatile bool news;        /* pending moved: tell the file's waiters (devices_poll) */
} irqs[IRQ_LINES] = {[0 ... IRQ_LINES - 1] = {.core = -1}};
/* A line of this core's fired: one load for devices_poll, which runs at
 * every return to user mode, before it looks at the lines. */
static volatile bool fired[MAX_CORES];

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

void devices_found(bool ecam, const char *what, uint64_t first, uint64_t end)
{
    if (end <= first)
        return;
    first &= ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t last = ALIGN_UP(end, PAGE_SIZE) - 1;
    for (int i = 0; i < table.n; i++) {
        struct device *d = &table.dev[i];
        bool ro, inside = devtab_mmio_device(&table, first, last, &ro) == d;
        if (!(ecam ? d->ecam : d->firmware) || inside)
            continue;
        const char *why = mm_is_ram(first, last - first + 1) ? "it is memory a node may get"
                                                             : devtab_add_mmio(&table, d, first, last, !ecam);
        if (why)
            kprintf("devices: %s left out of %s (0x%lx-0x%lx): %s\n", what, d->name, first, last, why);
    }
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

/* ---- interrupt lines */

static bool irq_open(const struct device *d)
{
    for (int l = 0; l < d->nirqs; l++)
        if (irqs[d->irqs[l]].file)
            return true;
    return false;
}

static void irq_forget(struct irq *q)
{
    if (q->file)
        ioapic_mask((int)(q - irqs), true);
    q->file = NULL;
    q->core = -1;
    q->pending = 0;
}

void devices_irq(int line)
{
    struct irq *q = &irqs[line];
    if (ioapic_level(line))
        ioapic_mask(line, true); /* until the node acknowledges it */
    q->pending++;
    q->news = true;
    fired[this_core()->id] = true; /* after news: devices_poll clears this first */
}

void devices_poll(void)
{
    int me = (int)this_core()->id;
    if (!fired[me])
        return;
    fired[me] = false;
    for (int l = 0; l < IRQ_LINES; l++)
        if (irqs[l].news && irqs[l].core == me) { /* rare: take the lock only then */
            spin_lock(&lock);
            if (irqs[l].news && irqs[l].core == me && irqs[l].file) /* not given away meanwhile */
                file_changed(irqs[l].file);
            irqs[l].news = false;
            spin_unlock(&lock);
        }
}

static int line_of(struct file *f)
{
    return (int)(uintptr_t)f->priv;
}

static int64_t irq_held(int line)
{
    if (line < 0 || line >= IRQ_LINES)
        return -EINVAL;
    spin_lock(&lock);
    struct device *d = devtab_irq_device(&table, line);
    int64_t r = !d ? -ENOENT : d->holder == (int)this_core()->id ? 0 : d->holder + 1;
    spin_unlock(&lock);
    return r;
}

static int irq_open_file(struct file *f)
{
    int line = line_of(f);
    if (irq_held(line) != 0)
        return -EPERM;
    spin_lock(&lock);
    struct irq *q = &irqs[line];
    int err = q->file ? -EBUSY : 0;
    if (!err) {
        q->pending = 0;
        q->news = false;
        q->core = (int)this_core()->id;
        err = ioapic_route(line, this_core()->lapic_id);
        if (!err)
            q->file = f;
    }
    spin_unlock(&lock);
    return err;
}

/* The count of interrupts since the last read, as a u64. */
static int64_t irq_read(struct file *f, void *buf, uint64_t len)
{
    struct irq *q = &irqs[line_of(f)];
    if (len < sizeof(uint64_t))
        return -EINVAL;
    uint64_t n = __atomic_exchange_n(&q->pending, 0, __ATOMIC_SEQ_CST);
    if (n == 0)
        return -EAGAIN;
    memcpy(buf, &n, sizeof(n));
    return sizeof(n);
}

/* Any write acknowledges: a level-triggered line is unmasked again. */
static int64_t irq_write(struct file *f, const void *buf, uint64_t len)
{
    (void)buf;
    if (ioapic_level(line_of(f)))
        ioapic_mask(line_of(f), false);
    return (int64_t)len;
}

static uint32_t irq_poll(struct file *f)
{
    return POLLOUT | (irqs[line_of(f)].pending ? POLLIN : 0);
}

static void irq_release(struct file *f)
{
    spin_lock(&lock);
    if (irqs[line_of(f)].file == f) /* not taken from a dead holder meanwhile (give) */
        irq_forget(&irqs[line_of(f)]);
    spin_unlock(&lock);
}

const struct file_ops irq_ops = {
    .open = irq_open_file, .read = irq_read, .write = irq_write, .poll = irq_poll, .release = irq_release};

/* ---- device registers */

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

/* Moves d to core to; the caller holds the lock. 0, its holder + 1 when
 * that holder's node runs, or -EBUSY while its registers or lines are in use. */
static int64_t move(struct device *d, uint64_t to)
{
    int me = (int)this_core()->id;
    if (d->holder != me && node_lives(&cores[d->holder]))
        return d->holder + 1;
    if (node_lives(&cores[d->holder]) && (mapped[d - table.dev][d->holder] || irq_open(d)))
        return -EBUSY; /* its registers are mapped or its line open in its holder: let them go first */
    if (d->holder != (int)to) {
        for (int l = 0; l < d->nirqs; l++) /* a dead holder's line: masked, and free for the new one */
            irq_forget(&irqs[d->irqs[l]]);
        devtab_iomap_set(d, cores[d->holder].iomap, false);
        d->holder = (int)to;
        if (node_lives(&cores[(int)to]))
            devtab_iomap_set(d, cores[to].iomap, true);
        kprintf("devices: %s given to core %lu by node %d\n", d->name, to, me);
    }
    return 0;
}

static bool core_exists(uint64_t core)
{
    return core < (uint64_t)ncores && cores[core].state != CORE_ABSENT;
}

static int64_t give(uint64_t uname, uint64_t to)
{
    char name[HYDROS_DEV_NAME_MAX];
    int64_t n = strncpy_from_user(name, uname, sizeof(name));
    if (n == -ENAMETOOLONG)
        return -ENOENT; /* no device has a name that long */
    if (n < 0)
        return n;
    if (!core_exists(to))
        return -ESRCH;
    spin_lock(&lock);
    struct device *d = devtab_find(&table, name);
    int64_t r = d ? move(d, to) : -ENOENT;
    spin_unlock(&lock);
    return r;
}

int devices_route_line(int line, int core)
{
    if (line < 0 || line >= IRQ_LINES)
        return -EINVAL;
    if (core < 0 || !core_exists((uint64_t)core))
        return -ESRCH;
    spin_lock(&lock);
    struct device *d = devtab_irq_device(&table, line);
    int64_t r = d ? move(d, (uint64_t)core) : -ENOENT;
    spin_unlock(&lock);
    return r > 0 ? -EPERM : (int)r; /* another node holds it and runs: only it may */
}

int devices_hold_line(int line, bool held)
{
    if (line < 0 || line >= IRQ_LINES)
        return -EINVAL;
    spin_lock(&lock);
    int r = ioapic_hold(line, held);
    if (!r && !held && irqs[line].file) /* a subscriber's line: open again */
        ioapic_mask(line, false);
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
    case HYDROS_DEV_IRQ:
        return irq_held(a > INT32_MAX ? -1 : (int)a);
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
        n += snprintf(out + n, max - n, "%s c%d %s", d->name, d->holder, node_lives(&cores[d->holder]) ? "open" : "closed");
        for (int r = 0; r < d->nports && n < max; r++)
            n += snprintf(out + n, max - n, " port:0x%x-0x%x", d->ports[r].first, d->ports[r].last);
        for (int r = 0; r < d->nmmio && n < max; r++)
            n += snprintf(out + n, max - n, " mmio:0x%lx-0x%lx%s", d->mmio[r].first, d->mmio[r].last,
                          d->mmio[r].ro ? ":ro" : "");
        for (int r = 0; r < d->nirqs && n < max; r++)
            n += snprintf(out + n, max - n, " irq:%d", d->irqs[r]);
        if (n < max)
            n += snprintf(out + n, max - n, "\n");
    }
    spin_unlock(&lock);
    return n < max ? n : max;
}
