/* A node's life on its core: created from a static ELF in the boot archive
 * (its own address space, name space and console fds), run by the
 * scheduler, and torn down when its last thread is gone. A clean exit of
 * the console node powers the machine off (the operator typed halt()); a
 * crash is reported and leaves the core's kernel running. */
#include <stdlib.h>
#include <string.h>

#include "arch/x86.h"
#include "elf.h"
#include "heap.h"
#include "sched.h"
#include "syscall.h"
#include "tty.h"
#include "uapi.h"
#include "vfs.h"
#include "vm.h"

#define STACK_IMAGE (64 * 1024)   /* room for argv, envp and auxv at the stack top */
#define ARGS_FILE "/etc/hydros/node.args"
#define ENV_FILE "/etc/hydros/node.env"
#define MAX_ARGS 128
#define KERNEL_RESERVE (16 << 20) /* left to the kernel when a node takes the rest */

static struct tty *console;

/* ---- test hook: "node_fault=MS" makes a thread of the console node jump
 * to an unmapped address MS milliseconds after it starts, as a wild
 * pointer in native code would. */
static struct ktimer fault_timer;
static volatile bool fault_armed;

static void fault_now(struct ktimer *t)
{
    (void)t;
    fault_armed = true;
}

static void arm_test_fault(void)
{
    const char *v = cmdline_get("node_fault");
    if (this_core()->id != 0 || !v)
        return;
    fault_timer.fn = fault_now;
    ktimer_arm(&fault_timer, uptime_us() + strtoul(v, NULL, 10) * 1000);
}

void node_before_user(struct trap_frame *f)
{
    if (fault_armed && this_core()->id == 0) {
        fault_armed = false;
        f->rip = 0xdead0000;
    }
}

/* After a crash the core's kernel carries on: it says so once a second
 * later, from a timer, which proves its clock and scheduler still run. */
static struct ktimer alive_timer;
static uint64_t ticks_at_death;

static void say_alive(struct ktimer *t)
{
    (void)t;
    struct core *c = this_core();
    kprintf("core %u: kernel alive after the node's crash: %lu timer ticks since\n", c->id,
            c->ticks - ticks_at_death);
}

static void console_out(const char *s, uint64_t n, void *ctx)
{
    (void)ctx;
    console_write(s, n);
}

struct tty *console_tty(void)
{
    return this_core()->id == 0 ? console : NULL;
}

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

/* Places the PT_LOAD segments: zero pages, file bytes copied in through the
 * node's own page tables (CR3 is the node's while this runs), then the
 * segments' protections; a page segments share gets the union (elf_page_prot). */
static int load_segments(struct vm *vm, const struct elf_image *img, const uint8_t *file)
{
    for (int i = 0; i < img->nsegs; i++) {
        const struct elf_segment *s = &img->segs[i];
        uint64_t start = ALIGN_DOWN(s->vaddr, PAGE_SIZE), end = ALIGN_UP(s->vaddr + s->memsz, PAGE_SIZE);
        if (i > 0) {
            uint64_t prev_end = ALIGN_UP(img->segs[i - 1].vaddr + img->segs[i - 1].memsz, PAGE_SIZE);
            if (start < prev_end)
                start = prev_end; /* already mapped by the previous segment */
        }
        if (start < end) {
            uint64_t at = start;
            int err = vm_map(vm, &at, end - start, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED);
            if (err)
                return err;
        }
        int err = vm_prefault(vm, s->vaddr, s->filesz, true);
        if (err)
            return err;
        memcpy((void *)s->vaddr, file + s->offset, s->filesz);
    }
    for (int i = 0; i < img->nsegs; i++) {
        const struct elf_segment *s = &img->segs[i];
        uint64_t start = ALIGN_DOWN(s->vaddr, PAGE_SIZE), last = ALIGN_DOWN(s->vaddr + s->memsz - 1, PAGE_SIZE);
        vm_protect(vm, start, last + PAGE_SIZE - start, s->prot);
    }
    for (int i = 0; i < img->nsegs; i++) { /* pages shared with a neighbour: the union */
        const struct elf_segment *s = &img->segs[i];
        uint64_t first = ALIGN_DOWN(s->vaddr, PAGE_SIZE), last = ALIGN_DOWN(s->vaddr + s->memsz - 1, PAGE_SIZE);
        vm_protect(vm, first, PAGE_SIZE, elf_page_prot(img, first));
        vm_protect(vm, last, PAGE_SIZE, elf_page_prot(img, last));
    }
    return 0;
}

/* The stack area (pages on demand) with argv, envp and auxv at its top. */
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
    *rsp = elf_build_stack(image, STACK_IMAGE, VM_STACK_TOP, img, argv, envp, random, r[3]);
    err = *rsp ? vm_prefault(vm, VM_STACK_TOP - STACK_IMAGE, STACK_IMAGE, true) : -E2BIG;
    if (!err)
        memcpy((void *)(VM_STACK_TOP - STACK_IMAGE), image, STACK_IMAGE);
    kfree(image);
    return err;
}

static int open_console_fds(struct node *n)
{
    for (int fd = 0; fd < 3; fd++) {
        struct file *f = tty_open(console, O_RDWR);
        if (!f)
            return -ENOMEM;
        fd_install(n, f, fd, false);
    }
    return 0;
}

static int load(struct node *n, const char *path, const char *const argv[], const char *const envp[])
{
    void *file;
    uint64_t len, rsp;
    struct elf_image img;
    int err = read_file(n->vfs, path, &file, &len);
    if (err)
        return err;
    err = elf_parse(file, len, &img);
    if (!err) {
        write_cr3(n->vm.pml4);
        err = load_segments(&n->vm, &img, file);
        if (!err)
            err = build_stack(&n->vm, &img, argv, envp, &rsp);
        write_cr3(kernel_cr3);
    }
    kfree(file);
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

static int start(struct node *n, const char *const argv[], const char *const envp[])
{
    int err = open_console_fds(n);
    return err ? err : load(n, argv[0], argv, envp);
}

/* The program and its arguments come from the archive: ARGS_FILE holds one
 * argument a line, the first the program's path; ENV_FILE, if there, one
 * NAME=value a line. Both end with a newline. */
static int start_from_archive(struct node *n)
{
    char *args, *env = NULL;
    uint64_t alen, elen = 0;
    const char *argv[MAX_ARGS], *envp[MAX_ARGS];
    int err = read_file(n->vfs, ARGS_FILE, (void **)&args, &alen);
    if (err)
        return err;
    if (split_lines(args, alen, argv, MAX_ARGS) == 0) {
        kfree(args);
        return -ENOEXEC;
    }
    if (read_file(n->vfs, ENV_FILE, (void **)&env, &elen) != 0)
        env = NULL;
    split_lines(env, elen, envp, MAX_ARGS);
    err = start(n, argv, envp);
    kfree(args);
    kfree(env);
    return err;
}

int node_start(const void *archive, uint64_t archive_len)
{
    struct core *c = this_core();
    struct node *n = kzalloc(sizeof(*n));
    if (!n)
        return -ENOMEM;
    n->id = c->id;
    n->next_tid = 1;
    strlcpy(n->cwd, "/", sizeof(n->cwd));
    uint64_t free = page_free_count() * PAGE_SIZE;
    uint64_t limit = free > 2 * KERNEL_RESERVE ? (free - KERNEL_RESERVE) / PAGE_SIZE : free / 2 / PAGE_SIZE;
    int err = vm_create(&n->vm, limit);
    if (err)
        goto fail;
    n->vfs = vfs_new(archive, archive_len, NULL, &err);
    if (!n->vfs)
        goto fail;
    if (c->id == 0 && !console)
        console = tty_new(console_out, NULL);
    if (!console) {
        err = -ENOMEM;
        goto fail;
    }
    if ((err = start_from_archive(n)))
        goto fail;
    c->node = n;
    kprintf("node %u: started, %lu MiB of memory\n", c->id, limit >> 8);
    arm_test_fault();
    return 0;
fail:
    kprintf("node %u: cannot start the program in %s: error %d\n", c->id, ARGS_FILE, err);
    fd_close_all(n);
    if (n->vfs)
        vfs_free(n->vfs);
    if (n->vm.pml4)
        vm_destroy(&n->vm);
    kfree(n);
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
    if (n->crashed)
        kprintf("node %u: crashed (status %d); core %u keeps running\n", n->id, n->exit_status, c->id);
    else
        kprintf("node %u: exited with status %d\n", n->id, n->exit_status);
    fd_close_all(n);
    vfs_free(n->vfs);
    write_cr3(kernel_cr3); /* off the node's page tables before freeing them */
    vm_destroy(&n->vm);
    c->node = NULL;
    bool power_off = c->id == 0 && !n->crashed;
    if (n->crashed) {
        ticks_at_death = c->ticks;
        alive_timer.fn = say_alive;
        ktimer_arm(&alive_timer, uptime_us() + 1000000);
    }
    kfree(n);
    if (power_off)
        acpi_power_off();
}
