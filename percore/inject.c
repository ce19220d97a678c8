/* Fault injection for the tests, switched on from the kernel command line;
 * without those switches nothing here acts.
 *   node_fault=MS  a thread of the console node jumps to an unmapped address
 *                  MS milliseconds after the node starts (a wild pointer in
 *                  native code).
 *   debug_poke     /dev/hydros/poke makes the writing thread store to any
 *                  address from user mode: the isolation proof.
 *   chan_poke=N[:direct|:image]  core N's kernel stores into its own
 *                  block of the channel region, then into core N+1's, which
 *                  must fault: each core writes only its own part
 *                  (paging_core_tables), through its channel view, the
 *                  direct map (:direct) or the kernel image's alias (:image).
 * And after any crash, the core's kernel says it is alive a second later,
 * from a timer, which shows its clock and scheduler still run. */
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "msgchan.h"
#include "sched.h"
#include "uapi.h"
#include "vm.h"

#define WILD_RIP 0xdead0000ull
#define POKE_STUB 0x00007ffe00000000ull

/* mov %rax, (%rdi); ud2: the poke itself, then a fault if it did not fault. */
static const uint8_t poke_code[] = {0x48, 0x89, 0x07, 0x0f, 0x0b};

static struct ktimer fault_timer[MAX_CORES], alive_timer[MAX_CORES];
static volatile bool fault_due[MAX_CORES];
static uint64_t ticks_at_death[MAX_CORES];

static void fault_now(struct ktimer *t)
{
    fault_due[t - fault_timer] = true;
}

/* The node's CR3 is loaded (node_start's load step) when this runs. */
int inject_node_started(struct node *n)
{
    const char *v = cmdline_get("node_fault");
    if (v && n->id == 0) {
        fault_timer[0].fn = fault_now;
        ktimer_arm(&fault_timer[0], uptime_us() + strtoul(v, NULL, 10) * 1000);
    }
    if (!cmdline_get("debug_poke"))
        return 0;
    uint64_t at = POKE_STUB;
    int err = vm_map(&n->vm, &at, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED);
    if (!err)
        err = vm_prefault(&n->vm, at, sizeof(poke_code), true);
    if (err)
        return err;
    memcpy((void *)at, poke_code, sizeof(poke_code));
    return vm_protect(&n->vm, at, PAGE_SIZE, PROT_READ | PROT_EXEC);
}

/* Each store writes back the byte it read, so nothing changes if it lands. */
static void rewrite_byte(volatile uint8_t *p)
{
    *p = *p;
}

void inject_chan_poke(void)
{
    const char *v = cmdline_get("chan_poke");
    char *how;
    uint32_t me = this_core()->id, other = (me + 1) % (uint32_t)ncores;
    size_t mine, theirs, len;
    if (!v || !*v || strtoul(v, &how, 10) != me || other == me ||
        msgchan_core_block(ncores, chan_ring_bytes(ncores), me, &mine, &len) ||
        msgchan_core_block(ncores, chan_ring_bytes(ncores), other, &theirs, &len))
        return;
    uint64_t size, region = mm_channel_region(&size);
    uint8_t *base = (uint8_t *)CHAN_VIEW_BASE;
    if (!strcmp(how, ":direct"))
        base = P2V(region);
    else if (!strcmp(how, ":image"))
        base = (uint8_t *)(KERNEL_VIRT_BASE + region);
    rewrite_byte(base + mine);
    kprintf("core %u: stored into its own channel block; now into core %u's\n", me, other);
    rewrite_byte(base + theirs);
    kprintf("core %u: the store into core %u's channel block did not fault\n", me, other);
}

void node_before_user(struct trap_frame *f)
{
    struct thread *t = current();
    int core = (int)this_core()->id;
    if (fault_due[core]) {
        fault_due[core] = false;
        f->rip = WILD_RIP;
    }
    if (t->poke) {
        t->poke = false;
        kprintf("node %d, thread %d: poking 0x%lx from user mode\n", core, t->tid, t->poke_addr);
        f->rdi = t->poke_addr;
        f->rax = 0x706f6b65; /* "poke" */
        f->rip = POKE_STUB;
    }
}

static void say_alive(struct ktimer *t)
{
    int core = (int)(t - alive_timer);
    kprintf("core %d: kernel alive after the node's crash: %lu timer ticks since\n", core,
            cores[core].ticks - ticks_at_death[core]);
}

void inject_node_crashed(void)
{
    int core = (int)this_core()->id;
    ticks_at_death[core] = this_core()->ticks;
    alive_timer[core].fn = say_alive;
    ktimer_arm(&alive_timer[core], uptime_us() + 1000000);
}
