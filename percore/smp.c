/* Starting the application cores. The boot core is core 0; every other
 * enabled CPU of the MADT becomes core 1, 2, ... in MADT order. Each is
 * started with INIT-SIPI-SIPI into the real-mode trampoline, one at a time
 * (the trampoline page holds one core's arguments), and gives a sign of
 * life by going online; one that does not within a second is reported and
 * left out.
 * A dead core is started again from any live core (smp_restart_core): INIT
 * resets the CPU whatever it was doing, and its kernel starts from scratch
 * in ap_main, as an application core's does at boot. An application core
 * then waits for a SIPI. Core 0, the boot processor, runs the BIOS from the
 * reset vector instead: with the CMOS shutdown byte at 0x0A the BIOS
 * (SeaBIOS handle_resume, Bochs rombios) skips POST and jumps through the
 * warm-reset vector at 40:67, set to the trampoline. */
#include <string.h>

#include "acpi.h"
#include "arch/x86.h"
#include "kernel.h"
#include "uapi.h"

#define TRAMPOLINE_PHYS 0x7000ull
#define START_TIMEOUT_US 1000000
#define STOP_WAIT_US 200000 /* for the NMI of whoever declared it dead */
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_SHUTDOWN 0x0F
#define SHUTDOWN_JUMP_467 0x0A    /* jump through 40:67, no EOI */
#define WARM_RESET_VECTOR 0x467ull /* offset, then segment */

struct trampoline_args {
    uint64_t cr3, stack, entry, arg;
};

struct core cores[MAX_CORES];
int ncores = 1;
static uint64_t tramp_cr3;          /* kept for restarts */
static volatile bool starting_one;  /* a restart holds the trampoline */

extern const char _binary_trampoline_bin_start[], _binary_trampoline_bin_end[];
extern char ap_start64[];

/* A copy of the kernel's PML4 that also maps low memory at its own address,
 * for the few instructions between paging on and the jump to the kernel. */
static uint64_t trampoline_cr3(void)
{
    uint64_t pml4 = page_alloc(1);
    uint64_t *t = P2V(pml4);
    memcpy(t, P2V(kernel_cr3), PAGE_SIZE);
    t[0] = t[256];
    if (pml4 >= (1ull << 32))
        panic("trampoline page table above 4 GiB");
    return pml4;
}

/* Waits until done(c), at most us, with interrupts on, and counts the wait
 * as progress: a restart asked by a node waits here inside its system
 * call. done(c) at the end. */
static bool wait_for(bool (*done)(const struct core *), const struct core *c, uint64_t us)
{
    uint64_t end = uptime_us() + us, flags = read_rflags();
    sti();
    while (!done(c) && uptime_us() < end) {
        this_core()->progress++;
        cpu_relax();
    }
    if (!(flags & RFLAGS_IF))
        cli();
    return done(c);
}

static bool started(const struct core *c)
{
    return c->state != CORE_STARTING;
}

/* Whoever declared c dead sent it one NMI first (mark_dead): a restart
 * must not overtake it, and a declarer the host did not run for a while
 * may still owe it. */
static bool stopped(const struct core *c)
{
    return __atomic_load_n(&c->stopped, __ATOMIC_ACQUIRE);
}

static bool wait_started(struct core *c, uint64_t us)
{
    return wait_for(started, c, us);
}

static void trampoline_for(const struct core *c, uint64_t cr3)
{
    volatile struct trampoline_args *args = P2V(TRAMPOLINE_PHYS + 8);
    args->cr3 = cr3;
    args->stack = (uint64_t)c->stack + KSTACK_SIZE;
    args->entry = (uint64_t)ap_start64;
    args->arg = c->id;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* An application core that did not come online is held in INIT, so that
 * it cannot run the trampoline later with another core's arguments. (Core
 * 0 is not: an INIT would send it to the BIOS, which no longer resumes.) */
static void not_started(struct core *c)
{
    kprintf("smp: core %u (lapic id %u) did not start; continuing without it\n", c->id, c->lapic_id);
    if (c->id != 0)
        lapic_send_init(c->lapic_id);
    c->state = CORE_ABSENT;
}

/* 0 once the core is online; the core is marked absent if it never is. */
static int start_core(struct core *c, uint64_t cr3)
{
    trampoline_for(c, cr3);
    lapic_send_sipi(c->lapic_id, TRAMPOLINE_PHYS >> 12);
    if (wait_started(c, 200)) /* most CPUs are up after the first SIPI... */
        return 0;
    lapic_send_sipi(c->lapic_id, TRAMPOLINE_PHYS >> 12); /* ...the MP spec sends two */
    if (wait_started(c, START_TIMEOUT_US))
        return 0;
    not_started(c);
    return -ETIMEDOUT;
}

/* The BIOS's warm reset: on, the next reset of core 0 jumps to the
 * trampoline; off again once it has (a later reset of the machine must
 * run POST). Only the core restarting core 0 touches the CMOS meanwhile. */
static void warm_reset(bool on)
{
    if (on) {
        volatile uint16_t *vector = P2V(WARM_RESET_VECTOR);
        vector[0] = 0;
        vector[1] = TRAMPOLINE_PHYS >> 4;
    }
    outb(CMOS_INDEX, CMOS_SHUTDOWN);
    outb(CMOS_DATA, on ? SHUTDOWN_JUMP_467 : 0);
}

static int start_boot_core(struct core *c, uint64_t cr3)
{
    trampoline_for(c, cr3);
    warm_reset(true);
    lapic_send_init(c->lapic_id);
    /* QEMU's TCG does not wake a halted CPU for an INIT alone
     * (x86_cpu_pending_interrupt has no INIT), but does for a SIPI, and
     * takes the INIT first; a boot processor not waiting for a SIPI
     * ignores the SIPI itself, as hardware does. */
    lapic_send_sipi(c->lapic_id, TRAMPOLINE_PHYS >> 12);
    bool started = wait_started(c, START_TIMEOUT_US);
    warm_reset(false);
    if (started)
        return 0;
    not_started(c);
    return -ETIMEDOUT;
}

void smp_start(const struct acpi_info *ai)
{
    uint32_t self = lapic_id();
    for (int i = 0; i < ai->ncpus && ncores < MAX_CORES; i++) {
        if (ai->cpus[i].apic_id == self)
            continue;
        struct core *c = &cores[ncores];
        c->id = ncores++;
        c->lapic_id = ai->cpus[i].apic_id;
        c->state = CORE_STARTING;
    }
    if (ncores == 1)
        return;

    size_t len = _binary_trampoline_bin_end - _binary_trampoline_bin_start;
    memcpy(P2V(TRAMPOLINE_PHYS), _binary_trampoline_bin_start, len);
    tramp_cr3 = trampoline_cr3();
    for (int i = 1; i < ncores; i++)
        lapic_send_init(cores[i].lapic_id);
    udelay(10000); /* INIT to SIPI: 10 ms */
    for (int i = 1; i < ncores; i++)
        start_core(&cores[i], tramp_cr3);
}

int smp_restart_core(int id)
{
    if (id < 0 || id >= ncores)
        return -ENXIO;
    struct core *c = &cores[id];
    if (c->state != CORE_DEAD)
        return -EBUSY;
    if (__atomic_exchange_n(&starting_one, true, __ATOMIC_ACQUIRE))
        return -EAGAIN;
    int err = -EAGAIN, dead = CORE_DEAD;
    if (wait_for(stopped, c, STOP_WAIT_US) && /* else refused: asked again later */
        __atomic_compare_exchange_n(&c->state, &dead, CORE_STARTING, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        c->stopped = false;
        c->lives++;
        if (id == 0) {
            kprintf("smp: restarting core 0 (INIT, the BIOS's warm reset)\n");
            err = start_boot_core(c, tramp_cr3);
        } else {
            kprintf("smp: restarting core %d (INIT, SIPI)\n", id);
            lapic_send_init(c->lapic_id);
            wait_started(c, 10000); /* INIT to SIPI: 10 ms (it cannot start before its SIPI) */
            err = start_core(c, tramp_cr3);
        }
    }
    __atomic_store_n(&starting_one, false, __ATOMIC_RELEASE);
    return err;
}

void ap_main(uint64_t core_id)
{
    struct core *c = &cores[core_id];
    write_cr3(kernel_cr3);
    c->cr3 = kernel_cr3; /* until chan_init_core adds the channel view */
    desc_init_core(c);
    cpu_init_core();
    if (c->lives)
        core_reclaim(c); /* before the timer: it resets the scheduler's state */
    lapic_init_core();
    core_online(c);
    core_run_node();
}
