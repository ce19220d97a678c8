/* Exceptions and interrupts. An exception in the kernel prints the vector,
 * error code, registers, the core and a stack trace, then stops that core
 * only (core_die: the other cores are told and keep running). The timer
 * interrupt counts ticks and runs the watchdog; NMIs answer its probes;
 * machine checks go to mce.c. */
#include <stdarg.h>
#include <stdio.h>

#include "arch/x86.h"
#include "chan.h"
#include "kernel.h"
#include "sched.h"
#include "syscall.h"
#include "uapi.h"
#include "vm.h"

static const char *const exception_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
    "invalid opcode", "device not available", "double fault", "coprocessor overrun",
    "invalid TSS", "segment not present", "stack fault", "general protection",
    "page fault", "reserved", "x87 FP error", "alignment check", "machine check",
    "SIMD FP error", "virtualization", "control protection",
};

static bool kernel_text(uint64_t a)
{
    extern char __kernel_start[], __kernel_end[];
    return a >= (uint64_t)__kernel_start && a < (uint64_t)__kernel_end;
}

/* Kernel stacks live in the image's bss (boot and interrupt stacks) or,
 * for the thread running, at kstack_top in the direct map: frames are
 * followed only there, where a read touches RAM and cannot fault. */
static bool on_kernel_stack(uint64_t a)
{
    uint64_t top = this_core()->kstack_top;
    bool mapped = (kernel_text(a) && kernel_text(a + 16)) ||
                  (a >= top - THREAD_KSTACK_PAGES * PAGE_SIZE && a + 16 <= top);
    return mapped && (a & 7) == 0;
}

/* Return addresses along the frame-pointer chain (the kernel keeps frame pointers). */
/* " 0x... 0x..." : the return addresses of up to 16 frames, into buf. */
static void stack_trace(char *buf, size_t len, uint64_t rbp)
{
    size_t n = 0;
    buf[0] = 0;
    for (int depth = 0; depth < 16 && on_kernel_stack(rbp) && n < len; depth++) {
        uint64_t *frame = (uint64_t *)rbp;
        if (!kernel_text(frame[1]))
            break;
        n += (size_t)snprintf(buf + n, len - n, " %p", (void *)frame[1]);
        if (frame[0] <= rbp)
            break; /* stacks grow down: a caller's frame is always higher */
        rbp = frame[0];
    }
}

static _Noreturn void exception(struct trap_frame *f)
{
    struct core *c = this_core();
    const char *name = f->vector < 32 && exception_names[f->vector] ? exception_names[f->vector] : "reserved";
    char trace[16 * 19 + 1];
    stack_trace(trace, sizeof(trace), f->rbp);
    /* One kprintf: another core's line cannot land inside the report. */
    kprintf("*** core %u: exception %lu (%s), error code 0x%lx, %s mode\n"
            "  rip %p  rsp %p  rflags 0x%lx  cr2 %p\n"
            "  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n"
            "  rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n"
            "  r9  %016lx r10 %016lx r11 %016lx r12 %016lx\n"
            "  r13 %016lx r14 %016lx r15 %016lx\n"
            "  at %p  stack trace:%s\n",
            c->id, f->vector, name, f->error, (f->cs & 3) ? "user" : "kernel", (void *)f->rip,
            (void *)f->rsp, f->rflags, (void *)read_cr2(), f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi,
            f->rbp, f->r8, f->r9, f->r10, f->r11, f->r12, f->r13, f->r14, f->r15, (void *)f->rip, trace);
    core_die("kernel exception %lu (%s) at rip %p", f->vector, name, (void *)f->rip);
}

/* A fault in user mode ends the node (never the core): the others are told
 * first (nodedown must not wait for the console), then a register dump
 * naming the thread, then every thread of the node is unwound. */
static _Noreturn void user_fault(struct trap_frame *f, const char *why)
{
    struct thread *t = current();
    struct node *n = t->node;
    const char *name = f->vector < 32 && exception_names[f->vector] ? exception_names[f->vector] : "reserved";
    char fault[64];
    snprintf(fault, sizeof(fault), "exception-%lu,rip=0x%lx,cr2=0x%lx", f->vector, f->rip, read_cr2());
    node_mark_dead(this_core(), fault);
    /* One kprintf: the whole dump stays together when several cores fault at once. */
    kprintf("*** node %d, thread %d: %s: exception %lu (%s), error code 0x%lx\n"
            "  rip %p  rsp %p  rflags 0x%lx  cr2 %p  fs %p\n"
            "  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n"
            "  rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n"
            "  r9  %016lx r10 %016lx r11 %016lx r12 %016lx\n"
            "  r13 %016lx r14 %016lx r15 %016lx\n"
            "*** node %d is dead; the kernel of core %u keeps running\n",
            n->id, t->tid, why, f->vector, name, f->error, (void *)f->rip, (void *)f->rsp, f->rflags,
            (void *)read_cr2(), (void *)rdmsr(MSR_FS_BASE), f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi,
            f->rbp, f->r8, f->r9, f->r10, f->r11, f->r12, f->r13, f->r14, f->r15, n->id, this_core()->id);
    n->crashed = true;
    node_kill(n, 128 + 11);
    thread_exit(t);
}

/* A kernel page fault on a user address, with reserved bits set in an
 * entry, while a thread of this core's node runs: the node's page tables
 * changed under the kernel (a wild write, a memory error), and the node
 * pays for it, not the core. Any other kernel fault is the kernel's. */
#define PF_RSVD (1u << 3)
static bool node_memory_fault(const struct trap_frame *f)
{
    struct thread *t = current();
    return f->vector == 14 && (f->error & PF_RSVD) && read_cr2() < VMA_USER_MAX && t && t->node &&
           t->node == this_core()->node;
}

static const char *vm_error_name(int err)
{
    return err == -ENOMEM ? "out of memory" : err == -EIO ? "page tables corrupt" : "segmentation fault";
}

void trap(struct trap_frame *f)
{
    bool from_user = f->cs & 3;
    if (f->vector == 2) { /* an NMI or #MC returns straight to what it interrupted */
        watchdog_nmi(f);
        return;
    }
    if (f->vector == 18) {
        mce_trap(f, from_user);
        return;
    }
    if (f->vector == VEC_TIMER || f->vector == VEC_CHAN ||
        (f->vector >= VEC_IRQ_BASE && f->vector < VEC_IRQ_BASE + IRQ_LINES))
        this_core()->irqs++;
    if (f->vector >= VEC_IRQ_BASE && f->vector < VEC_IRQ_BASE + IRQ_LINES) {
        devices_irq((int)(f->vector - VEC_IRQ_BASE));
        lapic_eoi();
    } else switch (f->vector) {
    case VEC_TIMER: {
        struct core *c = this_core();
        uint64_t now = uptime_us();
        if (now >= c->sched.tick_deadline) { /* a tick, not an early wake-up for a ktimer */
            c->ticks++;
            c->sched.need_resched = true;
            c->sched.tick_deadline = now + TICK_US;
        }
        lapic_timer_oneshot(c->sched.tick_deadline); /* sched moves it earlier for a ktimer */
        c->sched.armed = c->sched.tick_deadline;
        lapic_eoi();
        watchdog_tick(f);
        break;
    }
    case VEC_CHAN:
        chan_kicked();
        lapic_eoi();
        break;
    case VEC_SPURIOUS:
        return; /* no EOI for a spurious interrupt */
    case VEC_SYSCALL:
        syscall_dispatch(f);
        break;
    case 14:
        if (!from_user && !node_memory_fault(f))
            exception(f);
        if (!from_user)
            user_fault(f, "its page tables failed the kernel");
        sti();
        int err = vm_fault(&current()->node->vm, read_cr2(), (uint32_t)f->error);
        if (err)
            user_fault(f, vm_error_name(err));
        break;
    default:
        if (!from_user)
            exception(f);
        user_fault(f, "fault");
    }
    if (from_user)
        sched_user_return(f);
}

_Noreturn void panic(const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    uint64_t rbp;
    __asm__ volatile("mov %%rbp, %0" : "=r"(rbp));
    char trace[16 * 19 + 1];
    stack_trace(trace, sizeof(trace), rbp);
    kprintf("*** core %u: panic: %s\n  at %p  stack trace:%s\n", this_core()->id, msg,
            __builtin_return_address(0), trace);
    core_die("panic: %s", msg);
}
