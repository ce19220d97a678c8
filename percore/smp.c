/* Starting the application cores. The boot core is core 0; every other
 * enabled CPU of the MADT becomes core 1, 2, ... in MADT order. Each is
 * started with INIT-SIPI-SIPI into the real-mode trampoline, one at a time
 * (the trampoline page holds one core's arguments), and gives a sign of
 * life by going online; one that does not within a second is reported and
 * left out.
 * A dead application core is started again the same way, from any live
 * core (smp_restart_core): INIT resets the CPU whatever it was doing, and
 * its kernel starts from scratch in ap_main, as at boot. Core 0 cannot be:
 * INIT sends the boot processor to the BIOS. */
#include <string.h>

#include "acpi.h"
#include "arch/x86.h"
#include "kernel.h"
#include "uapi.h"

#define TRAMPOLINE_PHYS 0x7000ull
#define START_TIMEOUT_US 1000000

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

/* Waits with interrupts on, and counts the wait as progress: a restart
 * asked by a node waits here inside its system call. */
static bool wait_started(struct core *c, uint64_t us)
{
    uint64_t end = uptime_us() + us, flags = read_rflags();
    sti();
    while (c->state == CORE_STARTING && uptime_us() < end) {
        this_core()->progress++;
        cpu_relax();
    }
    if (!(flags & RFLAGS_IF))
        cli();
    return c->state != CORE_STARTING;
}

/* 0 once the core is online; the core is marked absent if it never is. */
static int start_core(struct core *c, uint64_t cr3)
{
    volatile struct trampoline_args *args = P2V(TRAMPOLINE_PHYS + 8);
    args->cr3 = cr3;
    args->stack = (uint64_t)c->stack + KSTACK_SIZE;
    args->entry = (uint64_t)ap_start64;
    args->arg = c->id;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    lapic_send_sipi(c->lapic_id, TRAMPOLINE_PHYS >> 12);
    if (wait_started(c, 200)) /* most CPUs are up after the first SIPI... */
        return 0;
    lapic_send_sipi(c->lapic_id, TRAMPOLINE_PHYS >> 12); /* ...the MP spec sends two */
    if (wait_started(c, START_TIMEOUT_US))
        return 0;
    kprintf("smp: core %u (lapic id %u) did not start; continuing without it\n", c->id, c->lapic_id);
    c->state = CORE_ABSENT;
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
    if (id == 0)
        return -ENOTSUP;
    struct core *c = &cores[id];
    if (c->state != CORE_DEAD)
        return -EBUSY;
    if (__atomic_exchange_n(&starting_one, true, __ATOMIC_ACQUIRE))
        return -EAGAIN;
    int err = -EBUSY, dead = CORE_DEAD;
    if (__atomic_compare_exchange_n(&c->state, &dead, CORE_STARTING, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        c->lives++;
        kprintf("smp: restarting core %d (INIT, SIPI)\n", id);
        lapic_send_init(c->lapic_id);
        wait_started(c, 10000); /* INIT to SIPI: 10 ms (it cannot start before its SIPI) */
        err = start_core(c, tramp_cr3);
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
