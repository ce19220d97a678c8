/* The /dev/hydros files (hydros_dev.h). Text files are rendered at every
 * read from the live status blocks in struct core, so two reads may differ:
 * callers read them whole in one go (file:read_file does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "heap.h"
#include "hydros_dev.h"
#include "pmm.h"
#include "sched.h"
#include "uapi.h"

#define TEXT_MAX 8192

static const char *const node_state_names[] = {"none", "booting", "running", "node_dead"};
static volatile int nodes_up, nodes_wanted;
static void add_channels(void);
static uint64_t boot_us;

void nodes_expect(int n)
{
    add_channels();
    nodes_wanted = n;
    boot_us = uptime_us();
}

static int render_self(char *out, int max)
{
    struct core *c = this_core();
    return snprintf(out, max, "core %u\npartition 0x%lx 0x%lx\nconsole %d\n", c->id, c->part_base, c->part_end,
                    console_owner());
}

/* A core's state as one word: its node's, unless the core itself is in
 * doubt or dead; and why, the rest of the line. */
static const char *state_name(const struct core *c)
{
    switch (c->state) {
    case CORE_DEAD:
        return "core_dead";
    case CORE_SUSPECT:
        return "suspect";
    case CORE_ONLINE:
        return node_state_names[c->node_state];
    default:
        return "none";
    }
}

static int render_nodes(char *out, int max)
{
    int n = 0;
    for (int i = 0; i < ncores && n < max; i++) {
        struct core *c = &cores[i];
        const char *why = c->state == CORE_DEAD ? c->death : c->last_fault;
        struct pmm *part = mm_partition_of(i, NULL, NULL);
        n += snprintf(out + n, max - n, "c%d %s %lu %lu %lu 0x%lx 0x%lx %d %s\n", i, state_name(c), c->ticks,
                      c->node_pages * 4, part ? pmm_free_pages(part) * 4 : 0, c->part_base, c->part_end,
                      c->node_starts, why[0] ? why : "-");
    }
    return n < max ? n : max;
}

/* A text file is rendered when read from its start, and the rest of it
 * read from that snapshot (f->priv): a reader that takes it in several
 * reads gets one text, though the status changes all the time (a line
 * that grew between two renders once handed a reader half of one). */
struct snapshot {
    int64_t size;
    char text[TEXT_MAX];
};

static int64_t text_read(struct file *f, void *buf, uint64_t len, int (*render)(char *, int))
{
    struct snapshot *s = f->priv;
    if (!s && !(s = f->priv = kmalloc(sizeof(*s))))
        return -ENOMEM;
    if (f->pos == 0)
        s->size = render(s->text, TEXT_MAX);
    int64_t n = f->pos >= s->size ? 0 : s->size - f->pos < (int64_t)len ? s->size - f->pos : (int64_t)len;
    memcpy(buf, s->text + f->pos, n);
    f->pos += n;
    return n;
}

static void text_release(struct file *f)
{
    kfree(f->priv);
}

/* Retired blocks, a line each: "cN BASE END". */
static int render_retired(char *out, int max)
{
    int n = 0;
    for (int i = 0; i < ncores && n < max; i++) {
        uint64_t blocks[16];
        int nb = mm_retired(i, blocks, (int)ARRAY_SIZE(blocks));
        for (int b = 0; b < nb && n < max; b++)
            n += snprintf(out + n, max - n, "c%d 0x%lx 0x%lx\n", i, blocks[b], blocks[b] + RETIRE_BLOCK);
    }
    return n < max ? n : max;
}

/* The kernel's own memory (what restarts must not make grow), its
 * clocks as calibrated at boot (what lapic_timer measures again) and the
 * source its random bytes come from on the reading core (random.c). */
static int render_kernel(char *out, int max)
{
    struct heap_stats h;
    heap_stats(&h);
    return snprintf(out, max,
                    "pool_free_kib %lu\nheap_kib %lu\nheap_in_use %lu\nheap_allocs %lu\nheap_frees %lu\n"
                    "tsc_khz %lu\napic_timer_hz %lu\nrandom %s\n",
                    page_free_count() * 4, (uint64_t)h.pages * 4, (uint64_t)h.bytes_in_use, (uint64_t)h.allocs,
                    (uint64_t)h.frees, tsc_khz, apic_timer_hz(), random_source());
}

static int64_t self_read(struct file *f, void *buf, uint64_t len) { return text_read(f, buf, len, render_self); }
static int64_t devices_read(struct file *f, void *buf, uint64_t len)
{
    return text_read(f, buf, len, devices_render);
}
static int64_t kernel_read(struct file *f, void *buf, uint64_t len) { return text_read(f, buf, len, render_kernel); }
static int64_t ioapic_read(struct file *f, void *buf, uint64_t len) { return text_read(f, buf, len, ioapic_render); }
static int64_t retired_read(struct file *f, void *buf, uint64_t len)
{
    return text_read(f, buf, len, render_retired);
}
static int64_t nodes_read(struct file *f, void *buf, uint64_t len) { return text_read(f, buf, len, render_nodes); }
static int64_t channels_read(struct file *f, void *buf, uint64_t len)
{
    return text_read(f, buf, len, chan_render_stats);
}

static int64_t ready_write(struct file *f, const void *buf, uint64_t len)
{
    (void)f, (void)buf;
    struct core *c = this_core();
    int booting = NODE_BOOTING; /* never over a death another core just declared */
    if (__atomic_compare_exchange_n(&c->node_state, &booting, NODE_RUNNING, false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST)) {
        kprintf("node %u: up\n", c->id);
        static bool counted[MAX_CORES]; /* a core's first node up, even a restarted one */
        if (!counted[c->id] && (counted[c->id] = true) &&
            __atomic_add_fetch(&nodes_up, 1, __ATOMIC_SEQ_CST) == nodes_wanted)
            kprintf("hydros: all %d nodes up, %lu ms after the first started\n", nodes_wanted,
                    (uptime_us() - boot_us) / 1000);
    }
    return (int64_t)len;
}

static int64_t poke_write(struct file *f, const void *buf, uint64_t len)
{
    (void)f;
    char text[32];
    if (!cmdline_get("debug_poke"))
        return -EPERM;
    if (len == 0 || len >= sizeof(text))
        return -EINVAL;
    memcpy(text, buf, len);
    text[len] = 0;
    char *end;
    uint64_t addr = strtoull(text, &end, 0);
    if (end == text)
        return -EINVAL;
    current()->poke_addr = addr;
    current()->poke = true;
    return (int64_t)len;
}

/* A command that starts with a core number: the text NUL-terminated in
 * text[size], *rest just past the number, and the core (MAX_CORES when
 * it is larger: the callee says ENXIO), or -EINVAL. */
static int command_core(const void *buf, uint64_t len, char *text, size_t size, char **rest)
{
    if (len == 0 || len >= size)
        return -EINVAL;
    memcpy(text, buf, len);
    text[len] = 0;
    unsigned long core = strtoul(text, rest, 10);
    if (*rest == text)
        return -EINVAL;
    return core >= MAX_CORES ? MAX_CORES : (int)core;
}

/* "CORE FAULT", e.g. "2 core_hang" (inject.c has the list). */
static int64_t inject_write(struct file *f, const void *buf, uint64_t len)
{
    (void)f;
    char text[32], *end;
    int core = command_core(buf, len, text, sizeof(text), &end);
    if (core < 0 || *end != ' ')
        return -EINVAL;
    size_t name_len = strlen(end + 1);
    if (name_len && end[name_len] == '\n')
        name_len--;
    int fault = fault_by_name(end + 1, name_len);
    int err = fault < 0 ? fault : inject_ask(core, fault);
    return err ? err : (int64_t)len;
}

/* A command that is just "CORE": act(core)'s error, or the whole write. */
static int64_t core_only(const void *buf, uint64_t len, int (*act)(int))
{
    char text[16], *end;
    int core = command_core(buf, len, text, sizeof(text), &end);
    if (core < 0 || (*end && *end != '\n'))
        return -EINVAL;
    int err = act(core);
    return err ? err : (int64_t)len;
}

/* "CORE": start that core's dead node again (node_restart_ask). */
static int64_t restart_write(struct file *f, const void *buf, uint64_t len)
{
    (void)f;
    return core_only(buf, len, node_restart_ask);
}

/* "CORE": end that core's node (node_kill_ask). */
static int64_t kill_write(struct file *f, const void *buf, uint64_t len)
{
    (void)f;
    return core_only(buf, len, node_kill_ask);
}

/* "mask LINE", "unmask LINE" (the operator's hold on an ISA line) or
 * "route LINE CORE" (the line's device, and so the line, to that core). */
static int64_t ioapic_write(struct file *f, const void *buf, uint64_t len)
{
    (void)f;
    char text[32], *p, *end;
    if (len == 0 || len >= sizeof(text))
        return -EINVAL;
    memcpy(text, buf, len);
    text[len] = 0;
    bool route = strncmp(text, "route ", 6) == 0, mask = strncmp(text, "mask ", 5) == 0;
    if (!route && !mask && strncmp(text, "unmask ", 7) != 0)
        return -EINVAL;
    p = strchr(text, ' ') + 1;
    long line = strtol(p, &end, 10), core = 0;
    if (end == p || line < 0 || line > INT32_MAX)
        return -EINVAL;
    if (route) {
        p = end;
        core = strtol(p, &end, 10);
        if (end == p || *p != ' ' || core < 0 || core > INT32_MAX)
            return -EINVAL;
    }
    if (*end && strcmp(end, "\n") != 0)
        return -EINVAL;
    int err = route ? devices_route_line((int)line, (int)core) : devices_hold_line((int)line, mask);
    return err ? err : (int64_t)len;
}

static const struct file_ops self_ops = {.read = self_read, .release = text_release};
static const struct file_ops kernel_ops = {.read = kernel_read, .release = text_release};
static const struct file_ops retired_ops = {.read = retired_read, .release = text_release};
static const struct file_ops nodes_ops = {.read = nodes_read, .release = text_release};
static const struct file_ops channels_ops = {.read = channels_read, .release = text_release};
static const struct file_ops ready_ops = {.write = ready_write};
static const struct file_ops poke_ops = {.write = poke_write};
static const struct file_ops inject_ops = {.write = inject_write};
static const struct file_ops restart_ops = {.write = restart_write};
static const struct file_ops kill_ops = {.write = kill_write};
static const struct file_ops devices_ops = {.read = devices_read, .release = text_release};
static const struct file_ops ioapic_ops = {.read = ioapic_read, .write = ioapic_write, .release = text_release};

/* The /dev/hydros files and the random devices (random.c), then /dev/chan/K for every core K and /dev/irq/N
 * for every ISA interrupt line N (devices.c): filled
 * by the boot core (nodes_expect) before any node starts. */
#define HYDROS_FILES 15
static struct vfs_device devices[HYDROS_FILES + MAX_CORES + IRQ_LINES + 1] = {
    {"/dev/hydros/self", S_IFCHR | 0444, &self_ops, NULL},
    {"/dev/hydros/nodes", S_IFCHR | 0444, &nodes_ops, NULL},
    {"/dev/hydros/ready", S_IFCHR | 0222, &ready_ops, NULL},
    {"/dev/hydros/poke", S_IFCHR | 0200, &poke_ops, NULL},
    {"/dev/hydros/inject", S_IFCHR | 0200, &inject_ops, NULL},
    {"/dev/hydros/channels", S_IFCHR | 0444, &channels_ops, NULL},
    {"/dev/hydros/restart", S_IFCHR | 0200, &restart_ops, NULL},
    {"/dev/hydros/kill", S_IFCHR | 0200, &kill_ops, NULL},
    {"/dev/hydros/log", S_IFCHR | 0200, &node_io_log_ops, NULL},
    {"/dev/hydros/kernel", S_IFCHR | 0444, &kernel_ops, NULL},
    {"/dev/hydros/retired", S_IFCHR | 0444, &retired_ops, NULL},
    {"/dev/hydros/devices", S_IFCHR | 0444, &devices_ops, NULL},
    {"/dev/hydros/ioapic", S_IFCHR | 0644, &ioapic_ops, NULL},
    {"/dev/urandom", S_IFCHR | 0666, &random_ops, NULL},
    {"/dev/random", S_IFCHR | 0666, &random_ops, NULL},
};
static char chan_paths[MAX_CORES][16];
static char irq_paths[IRQ_LINES][16];

const struct vfs_device *hydros_devices(void)
{
    return devices;
}

static void add_channels(void)
{
    for (int k = 0; k < ncores; k++) {
        snprintf(chan_paths[k], sizeof(chan_paths[k]), "/dev/chan/%d", k);
        devices[HYDROS_FILES + k] = (struct vfs_device){chan_paths[k], S_IFCHR | 0600, &chan_ops, (void *)(uintptr_t)k};
    }
    for (int l = 0; l < IRQ_LINES; l++) {
        snprintf(irq_paths[l], sizeof(irq_paths[l]), "/dev/irq/%d", l);
        devices[HYDROS_FILES + ncores + l] =
            (struct vfs_device){irq_paths[l], S_IFCHR | 0600, &irq_ops, (void *)(uintptr_t)l};
    }
}
