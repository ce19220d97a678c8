/* A node's life on its core: created from a static ELF in the boot archive
 * (its own address space in its core's partition, its own name space, its
 * fds 0-2 from node_io.c), run by the scheduler, and torn down when its last
 * thread is gone. A clean exit of the console node powers the machine off
 * (the operator typed halt()); any other exit ends that node only; a crash
 * is reported and leaves the core's kernel running. The core's status block
 * (struct core) follows it: booting, running (hydros_dev.c), dead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86.h"
#include "chan.h"
#include "elf.h"
#include "heap.h"
#include "hydros_dev.h"
#include "sched.h"
#include "syscall.h"
#include "uapi.h"
#include "vdso.h"
#include "vfs.h"
#include "vm.h"

#define STACK_IMAGE (64 * 1024) /* room for argv, envp and auxv at the stack top */
#define ENV_FILE "/etc/hydros/node.env"
#define MAX_ARGS 128

/* Reads the whole file at path into a kmalloc'd buffer, with a NUL after it. */
static int read_file(struct vfs *v, const char *path, void **data, uint64_t *len)
{
    struct file *f;
    struct linux_stat st;
    int err = vfs_open(v, path, O_RDONLY, 0, &f);
    if (err)
        return err;
    err = f->ops->stat(f, &st);
    uint8_t *buf = err ? NULL : kmalloc(st.st_size + 1);
    if (!err && !buf)
        err = -ENOMEM;
    for (int64_t got = 0; !err && got < st.st_size;) {
        int64_t r = f->ops->read(f, buf + got, st.st_size - got);
        if (r <= 0)
            err = r ? (int)r : -EIO;
        got += r;
    }
    file_put(f);
    if (err) {
        kfree(buf);
        return err;
    }
    buf[st.st_size] = 0;
    *data = buf;
    *len = st.st_size;
    return 0;
}

/* The whole pages of a read-only segment that hold nothing but file bytes:
 * those are shared between nodes (sharedtext.c) instead of copied. */
static void shared_span(const struct elf_segment *s, uint64_t *lo, uint64_t *hi)
{
    *lo = ALIGN_UP(s->vaddr, PAGE_SIZE);
    *hi = ALIGN_DOWN(s->vaddr + s->filesz, PAGE_SIZE);
    if ((s->prot & PROT_WRITE) || *hi < *lo)
        *lo = *hi = ALIGN_UP(s->vaddr, PAGE_SIZE);
}

static int copy_in(struct vm *vm, uint64_t va, const uint8_t *src, uint64_t len)
{
    int err = vm_prefault(vm, va, len, true);
    if (!err)
        memcpy((void *)va, src, len);
    return err;
}

/* No room left in the shared text cache: a page of the node's own. */
static int copy_private(struct vm *vm, uint64_t va, const uint8_t *src, uint32_t prot)
{
    int err = vm_protect(vm, va, PAGE_SIZE, PROT_READ | PROT_WRITE);
    if (!err)
        err = copy_in(vm, va, src, PAGE_SIZE);
    return err ? err : vm_protect(vm, va, PAGE_SIZE, prot);
}

/* Places the PT_LOAD segments: zero pages, file bytes copied in through the
 * node's own page tables (CR3 is the node's while this runs), then the
 * segments' protections (a page segments share gets the union,
 * elf_page_prot), then the shared pages of read-only segments. */
static int load_segments(struct vm *vm, const struct elf_image *img, const uint8_t *file)
{
    int err = 0;
    for (int i = 0; i < img->nsegs && !err; i++) {
        const struct elf_segment *s = &img->segs[i];
        uint64_t start = ALIGN_DOWN(s->vaddr, PAGE_SIZE), end = ALIGN_UP(s->vaddr + s->memsz, PAGE_SIZE);
        if (i > 0) {
            uint64_t prev_end = ALIGN_UP(img->segs[i - 1].vaddr + img->segs[i - 1].memsz, PAGE_SIZE);
            if (start < prev_end)
                start = prev_end; /* already mapped by the previous segment */
        }
        if (start < end) {
            uint64_t at = start;
            err = vm_map(vm, &at, end - start, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED);
        }
        uint64_t lo, hi, fend = s->vaddr + s->filesz;
        shared_span(s, &lo, &hi);
        if (!err) /* the bytes before the shared pages, then those after them */
            err = copy_in(vm, s->vaddr, file + s->offset, (lo < fend ? lo : fend) - s->vaddr);
        if (!err && hi < fend && hi >= s->vaddr)
            err = copy_in(vm, hi, file + s->offset + (hi - s->vaddr), fend - hi);
    }
    for (int i = 0; i < img->nsegs && !err; i++) {
        const struct elf_segment *s = &img->segs[i];
        uint64_t start = ALIGN_DOWN(s->vaddr, PAGE_SIZE), last = ALIGN_DOWN(s->vaddr + s->memsz - 1, PAGE_SIZE);
        err = vm_protect(vm, start, last + PAGE_SIZE - start, s->prot);
    }
    for (int i = 0; i < img->nsegs && !err; i++) { /* pages shared with a neighbour: the union */
        const struct elf_segment *s = &img->segs[i];
        uint64_t first = ALIGN_DOWN(s->vaddr, PAGE_SIZE), last = ALIGN_DOWN(s->vaddr + s->memsz - 1, PAGE_SIZE);
        vm_protect(vm, first, PAGE_SIZE, elf_page_prot(img, first));
        vm_protect(vm, last, PAGE_SIZE, elf_page_prot(img, last));
    }
    for (int i = 0; i < img->nsegs && !err; i++) {
        const struct elf_segment *s = &img->segs[i];
        uint64_t lo, hi;
        shared_span(s, &lo, &hi);
        for (uint64_t va = lo; va < hi && !err; va += PAGE_SIZE) {
            const uint8_t *src = file + s->offset + (va - s->vaddr);
            uint64_t pa = sharedtext_page(src);
            err = pa ? vm_map_shared(vm, va, pa) : copy_private(vm, va, src, s->prot);
        }
    }
    return err;
}

/* The stack area (pages on demand) with argv, envp and auxv at its top, and
 * the vDSO (its address is in the auxv). */
static int build_stack(struct vm *vm, const struct elf_image *img, const char *const argv[],
                       const char *const envp[], uint64_t *rsp)
{
    uint64_t base = VM_STACK_TOP - VM_STACK_SIZE;
    int err = vm_map(vm, &base, VM_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE);
    if (err)
        return err;
    uint8_t *image = kzalloc(STACK_IMAGE);
    if (!image)
        return -ENOMEM;
    uint8_t random[16];
    for (int i = 0; i < 16; i++)
        random[i] = (uint8_t)(rdtsc() >> (i % 8));
    uint32_t r[4];
    cpuid(1, 0, r);
    uint64_t vdso;
    err = vdso_map(vm, &vdso);
    if (err) {
        kfree(image);
        return err;
    }
    *rsp = elf_build_stack(image, STACK_IMAGE, VM_STACK_TOP, img, argv, envp, random, r[3], vdso);
    err = *rsp ? vm_prefault(vm, VM_STACK_TOP - STACK_IMAGE, STACK_IMAGE, true) : -E2BIG;
    if (!err)
        memcpy((void *)(VM_STACK_TOP - STACK_IMAGE), image, STACK_IMAGE);
    kfree(image);
    return err;
}

static int load(struct node *n, const char *path, const char *const argv[], const char *const envp[])
{
    const void *file;
    uint64_t len, rsp;
    struct elf_image img;
    int err = vfs_archive_file(n->vfs, path, &file, &len); /* in place: no copy */
    if (err)
        return err == -EINVAL ? -ENOEXEC : err;
    err = elf_parse(file, len, &img);
    if (!err) {
        write_cr3(n->vm.pml4);
        err = load_segments(&n->vm, &img, file);
        if (!err)
            err = build_stack(&n->vm, &img, argv, envp, &rsp);
        if (!err)
            err = inject_node_started(n);
        write_cr3(this_core()->cr3);
    }
    if (err)
        return err;
    n->vm.brk_start = n->vm.brk = img.hi;
    struct trap_frame f = {.rip = img.entry, .rsp = rsp, .cs = SEL_UCODE, .ss = SEL_UDATA, .rflags = 0x202};
    struct thread *t = thread_new(n, &f, 0);
    if (!t)
        return -ENOMEM;
    sched_make_runnable(t);
    return 0;
}

/* Splits a file's lines into a NULL-terminated vector, in place. */
static int split_lines(char *text, uint64_t len, const char **vec, int max)
{
    int n = 0;
    for (uint64_t i = 0; i < len && n < max - 1;) {
        uint64_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        text[j] = 0;
        if (j > i)
            vec[n++] = text + i;
        i = j + 1;
    }
    vec[n] = NULL;
    return n;
}

/* The node's command line: /etc/hydros/cN.args if there is one, else
 * console.args for the console node (core 0 at boot; a node restarted
 * after the console moved away is an ordinary one) and node.args for the
 * others.
 * One argument a line, the first the program's path; the kernel adds
 * "-sname cN@hydros -hydros core N" at the end, or before "-extra" (what
 * follows it is the program's plain arguments: IEx's, docs/elixir.md),
 * for the node's name and init:get_argument(hydros), its core. */
static int read_args(struct node *n, char **text, const char **argv)
{
    char path[40];
    uint64_t len;
    snprintf(path, sizeof(path), "/etc/hydros/c%d.args", n->id);
    int err = read_file(n->vfs, path, (void **)text, &len);
    if (err == -ENOENT)
        err = read_file(n->vfs, n->id == console_owner() ? "/etc/hydros/console.args" : "/etc/hydros/node.args",
                        (void **)text, &len);
    if (err)
        return err;
    int argc = split_lines(*text, len, argv, MAX_ARGS - 5);
    if (argc == 0)
        return -ENOEXEC;
    snprintf(n->core_arg, sizeof(n->core_arg), "%d", n->id);
    snprintf(n->name_arg, sizeof(n->name_arg), "c%d@hydros", n->id);
    const char *ours[] = {"-sname", n->name_arg, "-hydros", "core", n->core_arg};
    int at = 1;
    while (at < argc && strcmp(argv[at], "-extra") != 0)
        at++;
    memmove(&argv[at + ARRAY_SIZE(ours)], &argv[at], (argc - at) * sizeof(argv[0]));
    memcpy(&argv[at], ours, sizeof(ours));
    argc += ARRAY_SIZE(ours);
    argv[argc] = NULL;
    return 0;
}

/* The program and its arguments come from the archive (read_args); the
 * environment from ENV_FILE, one NAME=value a line, if it is there. */
static int start_from_archive(struct node *n)
{
    char *args = NULL, *env = NULL;
    uint64_t elen = 0;
    const char *argv[MAX_ARGS], *envp[MAX_ARGS];
    int err = read_args(n, &args, argv);
    if (!err) {
        if (read_file(n->vfs, ENV_FILE, (void **)&env, &elen) != 0)
            env = NULL;
        split_lines(env, elen, envp, MAX_ARGS);
        err = node_io_open(n);
    }
    if (!err)
        err = load(n, argv[0], argv, envp);
    kfree(args);
    kfree(env);
    return err;
}

static void free_node(struct node *n)
{
    fd_close_all(n);
    if (n->vfs)
        vfs_free(n->vfs);
    if (n->vm.pml4)
        vm_destroy(&n->vm);
    kfree(n);
}

int node_start(const void *archive, uint64_t archive_len)
{
    struct core *c = this_core();
    uint64_t base, end;
    struct pmm *part = mm_partition_of((int)c->id, &base, &end);
    if (!part)
        return -ENOMEM;
    c->part_base = base;
    c->part_end = end;
    c->last_fault[0] = 0;
    c->node_starts++;
    c->node_state = NODE_BOOTING;
    struct node *n = kzalloc(sizeof(*n));
    int err = -ENOMEM;
    if (!n)
        goto fail;
    n->id = (int)c->id;
    n->next_tid = 1;
    strlcpy(n->cwd, "/", sizeof(n->cwd));
    /* Page tables come out of the partition too: keep 1/64 of it for them. */
    uint64_t limit = (end - base) / PAGE_SIZE;
    if ((err = vm_create(&n->vm, part, limit - limit / 64)))
        goto fail;
    if (!(n->vfs = vfs_new(archive, archive_len, hydros_devices(), &err)))
        goto fail;
    if ((err = start_from_archive(n)))
        goto fail;
    c->node = n;
    devices_node_started(c);
    kprintf("node %u: started, partition %lu MiB\n", c->id, (end - base) >> 20);
    return 0;
fail:
    kprintf("node %u: cannot start its program (/etc/hydros/*.args): error %d\n", c->id, err);
    c->node_state = NODE_DEAD;
    snprintf(c->last_fault, sizeof(c->last_fault), "start-error:%d", err);
    if (n)
        free_node(n);
    return err;
}

void node_kill(struct node *n, int status)
{
    if (n->dying)
        return;
    n->dying = true;
    n->exit_status = status;
    sched_interrupt_node(n);
}

void node_exited(struct node *n)
{
    struct core *c = this_core();
    if (n->crashed) {
        kprintf("node %u: crashed (status %d); core %u keeps running\n", n->id, n->exit_status, c->id);
        if (!c->last_fault[0])
            snprintf(c->last_fault, sizeof(c->last_fault), "status:%d", n->exit_status);
    } else {
        kprintf("node %u: exited with status %d\n", n->id, n->exit_status);
        snprintf(c->last_fault, sizeof(c->last_fault), "exit:%d", n->exit_status);
    }
    /* The console node's clean exit is the operator's halt(): power off,
     * and the console stays where it is meanwhile. */
    bool power_off = (int)c->id == console_owner() && !n->crashed && !n->injected_halt;
    if (power_off)
        console_stay();
    c->node_state = NODE_DEAD;
    devices_node_ended(c);
    c->node_pages = 0;
    c->node = NULL;
    if (power_off)
        chan_tell_all();
    else
        tell_survivors();
    write_cr3(this_core()->cr3); /* off the node's page tables before freeing them */
    if (n->crashed)
        inject_node_crashed();
    free_node(n);
    if (power_off)
        acpi_power_off();
}

void node_reclaim(struct core *c)
{
    struct node *n = c->node;
    sched_reset_core(); /* its run queue and timers: none of them runs again */
    if (!n)
        return;
    c->node = NULL;
    c->node_pages = 0;
    for (struct thread *t = n->threads; t; t = t->node_next)
        if (t->io_file) /* a read or write that never returned */
            file_put(t->io_file);
    fd_close_all(n); /* closing may wake its threads onto the new run queue... */
    while (n->threads)
        thread_discard(n->threads);
    sched_reset_core(); /* ...which forgets them */
    free_node(n);
}

int node_restart_ask(int core)
{
    if (core < 0 || core >= ncores || !mm_partition_of(core, NULL, NULL))
        return -ENXIO;
    struct core *c = &cores[core];
    if (c != this_core() && c->node_state == NODE_DEAD && core_alive(c) && watchdog_kernel_stuck(c))
        core_declare_dead(c, "its kernel is stuck where it hung its node; restarted whole");
    if (c->state == CORE_DEAD)
        return smp_restart_core(core);
    if (!core_alive(c))
        return -EBUSY;
    if (c->node_state != NODE_DEAD)
        return -EBUSY;
    c->restart_asked = true;
    if (core != (int)this_core()->id)
        lapic_send_ipi(c->lapic_id, VEC_CHAN); /* to kernel_chores now, even from hlt */
    return 0;
}

int node_kill_ask(int core)
{
    if (core < 0 || core >= ncores)
        return -ENXIO;
    struct core *c = &cores[core];
    if (!node_lives(c))
        return -ESRCH;
    node_declare_dead(c, "killed");
    if (core != (int)this_core()->id)
        lapic_send_ipi(c->lapic_id, VEC_CHAN); /* its kernel ends the node now, even from hlt */
    return 0;
}

/* The Erlang policy (hydros_policy) needs a live node to act. When none is
 * left for NO_NODE_US, the lowest live core starts its own node again: it
 * becomes the console node. Not more than FALLBACK_MAX times before some
 * node is running again: a node that cannot start is left down. */
#define NO_NODE_US 1000000
#define FALLBACK_MAX 3

void node_fallback_tick(void)
{
    static uint64_t none_since;
    static int tries;
    struct core *me = this_core();
    int lowest = -1;
    bool any = false;
    for (int k = 0; k < ncores; k++) {
        struct core *c = &cores[k];
        if (!core_alive(c))
            continue;
        if (lowest < 0)
            lowest = k;
        any |= node_lives(c);
        if (c->node_state == NODE_RUNNING)
            tries = 0;
    }
    if (lowest != (int)me->id || any || console_staying()) {
        if (lowest == (int)me->id)
            none_since = 0;
        return;
    }
    uint64_t now = uptime_us();
    if (!none_since) {
        none_since = now;
        return;
    }
    if (now - none_since < NO_NODE_US || tries > FALLBACK_MAX)
        return;
    none_since = 0;
    if (tries++ == FALLBACK_MAX) {
        kprintf("hydros: no node is alive and core %u's did not come up %d times: left down\n", me->id,
                FALLBACK_MAX);
        return;
    }
    kprintf("hydros: no node is alive: core %u starts its node again\n", me->id);
    node_restart_ask((int)me->id);
}

void node_restart_poll(void)
{
    struct core *c = this_core();
    if (!c->restart_asked || c->node) /* a dying node's threads are still leaving */
        return;
    c->restart_asked = false;
    if (c->node_state != NODE_DEAD) /* asked while an earlier request was starting it */
        return;
    uint64_t lost = mm_partition_reset((int)c->id);
    if (lost)
        kprintf("node %u: %lu pages of its partition were still in use at its end; all free again\n", c->id,
                lost);
    chan_restart();
    uint64_t len;
    const void *archive = boot_archive(&len);
    if (node_start(archive, len) == 0)
        chan_tell_all(); /* the peers reopen their rings to it */
}
