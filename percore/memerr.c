/* Uncorrected memory errors (#MC). The error's physical address says who
 * pays:
 *   - inside a node's partition: that node ends, whichever core took the
 *     machine check; every kernel lives on;
 *   - anywhere else (kernel memory, the rings, no address given), or the
 *     interrupted kernel code met the error itself (EIPV) or cannot go on
 *     (no RIPV): the core that took it stops.
 * The 2 MiB around an error in a partition are retired (mm_retire): the
 * node restarts in what is left. A node whose core took it in user mode
 * goes back to it only to be ended
 * at its next kernel entry (kernel_chores). Errors the CPU corrected are
 * only reported. The IPIs that tell the others may, in a rare race, cut
 * into one this core was sending: a lost doorbell or probe is made good
 * by the next tick. */
#include <stdio.h>

#include "kernel.h"

/* The core whose partition holds pa, or -1. */
static int partition_owner(uint64_t pa)
{
    for (int i = 0; i < ncores; i++) {
        uint64_t base, end;
        if (mm_partition_of(i, &base, &end) && pa >= base && pa < end)
            return i;
    }
    return -1;
}

void mce_trap(struct trap_frame *f, bool from_user)
{
    struct core *c = this_core(); /* isr_paranoid made GS the kernel's */
    struct mce_record r;
    mce_collect(&r);
    if (!r.uncorrected) {
        kprintf("core %u: machine check: %d corrected error(s), nothing lost\n", c->id, r.corrected);
        mce_done();
        return;
    }
    int owner = r.has_addr ? partition_owner(r.addr) : -1;
    kprintf("*** core %u: machine check: uncorrected error, bank %d, status 0x%016lx, address %s0x%lx, %s mode at "
            "rip %p\n",
            c->id, r.bank, r.status, r.has_addr ? "" : "(none) ", r.addr, from_user ? "user" : "kernel",
            (void *)f->rip);
    if (owner >= 0 && (from_user || (r.restartable && !r.caused_here))) {
        char why[96];
        snprintf(why, sizeof(why), "memory error at 0x%lx (uncorrected, bank %d)", r.addr, r.bank);
        node_declare_dead(&cores[owner], why);
        if (!mm_retire(r.addr))
            kprintf("*** core %u: memory error at 0x%lx: no room to retire its block\n", c->id, r.addr);
        mce_done();
        return;
    }
    mce_done(); /* this stack is not returned to: a later #MC may reuse it */
    if (owner >= 0)
        core_die("uncorrected machine check at 0x%lx, met by the kernel", r.addr);
    core_die("uncorrected machine check at 0x%lx, outside every partition", r.addr);
}
