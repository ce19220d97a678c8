/* Exceptions and interrupts. An exception in the kernel prints the vector,
 * error code, registers, the core and a stack trace, then stops that core
 * only: the other cores keep running. The timer interrupt counts ticks. */
#include <stdarg.h>
#include <stdio.h>

#include "arch/x86.h"
#include "kernel.h"

static const char *const exception_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
    "invalid opcode", "device not available", "double fault", "coprocessor overrun",
    "invalid TSS", "segment not present", "stack fault", "general protection",
    "page fault", "reserved", "x87 FP error", "alignment check", "machine check",
    "SIMD FP error", "virtualization", "control protection",
};

_Noreturn void core_stop(void)
{
    cli();
    this_core()->state = CORE_HALTED;
    for (;;)
        hlt();
}

static bool kernel_text(uint64_t a)
{
    extern char __kernel_start[], __kernel_end[];
    return a >= (uint64_t)__kernel_start && a < (uint64_t)__kernel_end;
}

static bool on_kernel_stack(uint64_t a)
{
    /* Frames are only followed inside the kernel's own image (stacks live in its bss). */
    return kernel_text(a) && kernel_text(a + 16) && (a & 7) == 0;
}

/* Return addresses along the frame-pointer chain (the kernel keeps frame pointers). */
static void stack_trace(uint64_t rbp)
{
    kprintf("  stack trace:");
    for (int depth = 0; depth < 16 && on_kernel_stack(rbp); depth++) {
        uint64_t *frame = (uint64_t *)rbp;
        if (!kernel_text(frame[1]))
            break;
        kprintf(" %p", (void *)frame[1]);
        if (frame[0] <= rbp)
            break; /* stacks grow down: a caller's frame is always higher */
        rbp = frame[0];
    }
    kprintf("\n");
}

static void exception(struct trap_frame *f)
{
    struct core *c = this_core();
    const char *name = f->vector < 32 && exception_names[f->vector] ? exception_names[f->vector] : "reserved";
    kprintf("\n*** core %u: exception %lu (%s), error code 0x%lx, %s mode\n", c->id, f->vector, name,
            f->error, (f->cs & 3) ? "user" : "kernel");
    kprintf("  rip %p  rsp %p  rflags 0x%lx  cr2 %p\n", (void *)f->rip, (void *)f->rsp, f->rflags,
            (void *)read_cr2());
    kprintf("  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
    kprintf("  rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
    kprintf("  r9  %016lx r10 %016lx r11 %016lx r12 %016lx\n", f->r9, f->r10, f->r11, f->r12);
    kprintf("  r13 %016lx r14 %016lx r15 %016lx\n", f->r13, f->r14, f->r15);
    kprintf("  at %p", (void *)f->rip);
    stack_trace(f->rbp);
    kprintf("*** core %u stopped; the other cores keep running\n", c->id);
    core_stop();
}

void trap(struct trap_frame *f)
{
    switch (f->vector) {
    case VEC_TIMER:
        this_core()->ticks++;
        lapic_eoi();
        return;
    case VEC_SPURIOUS:
        return; /* no EOI for a spurious interrupt */
    default:
        exception(f);
    }
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
    kprintf("\n*** core %u: panic: %s\n", this_core()->id, msg);
    stack_trace(rbp);
    core_stop();
}
