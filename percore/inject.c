/* Fault injection: the faults the system must survive, asked for at run
 * time (/dev/hydros/inject, hydros:inject/2) or from the kernel command
 * line, with no rebuild. inject_ask names a core and a fault; that core's
 * kernel makes it happen the next time it passes kernel_chores (an IPI
 * makes that at once):
 *   halt         its node exits (status 0; never a power-off)
 *   node_crash   a thread of the node jumps to an unmapped address: a wild
 *                pointer in native code
 *   node_hang    its kernel loops with interrupts on: the node is never
 *                scheduled again, the core still ticks
 *   kernel_panic the kernel panics
 *   core_hang    interrupts off, a loop: no report, no status change
 *   wild_write   random words into the node's pages and its page tables
 *   chan_garbage random bytes over the rings the core sends on
 *   heap_panic   the kernel panics holding the kernel heap's lock, as one
 *                that faults inside kmalloc would (the others take it)
 *   mce          an uncorrected machine check naming a page of its node,
 *                raised through the machine-check banks (QEMU lets the
 *                kernel write them; elsewhere: ENOTSUP)
 * Command line: inject=CORE:FAULT@MS[,...], MS after that core's node starts.
 * Also test hooks, off unless the command line asks:
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

#include "arch/x86.h"
#include "chan.h"
#include "heap.h"
#include "msgchan.h"
#include "sched.h"
#include "uapi.h"
#include "vm.h"

#define WILD_RIP 0xdead0000ull
#define POKE_STUB 0x00007ffe00000000ull

/* mov %rax, (%rdi); ud2: the poke itself, then a fault if it did not fault. */
static const uint8_t poke_code[] = {0x48, 0x89, 0x07, 0x0f, 0x0b};

static const char *const fault_names[] = {
    [FAULT_HALT] = "halt", [FAULT_NODE_CRASH] = "node_crash", [FAULT_NODE_HANG] = "node_hang",
    [FAULT_KERNEL_PANIC] = "kernel_panic", [FAULT_CORE_HANG] = "core_hang", [FAULT_WILD_WRITE] = "wild_write",
    [FAULT_CHAN_GARBAGE] = "chan_garbage", [FAULT_MCE] = "mce", [FAULT_HEAP_PANIC] = "heap_panic",
};

#define WILD_WORDS 64
#define GARBAGE_BYTES 256

static struct ktimer alive_timer[MAX_CORES];
static uint64_t ticks_at_death[MAX_CORES];
static volatile bool fault_due[MAX_CORES]; /* node_crash: the next return to user jumps wild */

/* The command line's faults for this core, each on a timer of its own. */
struct timed_fault {
    struct ktimer timer; /* first: the timer is the struct */
    int core;
    enum fault fault;
};
static struct timed_fault timed[MAX_CORES][4];

int fault_by_name(const char *name, size_t len)
{
    for (int f = 1; f < (int)ARRAY_SIZE(fault_names); f++)
        if (strlen(fault_names[f]) == len && !strncmp(fault_names[f], name, len))
            return f;
    return -EINVAL;
}

/* The faults that act on the core's node, not on its kernel. */
static bool hits_node(int fault)
{
    return fault == FAULT_HALT || fault == FAULT_NODE_CRASH || fault == FAULT_NODE_HANG || fault == FAULT_WILD_WRITE;
}

int inject_ask(int core, int fault)
{
    if (fault <= 0 || fault >= (int)ARRAY_SIZE(fault_names))
        return -EINVAL;
    if (core < 0 || core >= ncores)
        return -ENXIO;
    if (!core_alive(&cores[core]))
        return -ESRCH;
    if (hits_node(fault) && !node_lives(&cores[core]))
        return -ENOENT; /* nothing there to hit: say so rather than do nothing */
    if (fault == FAULT_MCE && !mce_can_raise())
        return -ENOTSUP;
    if (!__atomic_compare_exchange_n(&cores[core].inject, &(int){0}, fault, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST))
        return -EBUSY;
    if (core != (int)this_core()->id)
        lapic_send_ipi(cores[core].lapic_id, VEC_CHAN); /* to kernel_chores now, even from hlt */
    return 0;
}

static void timed_fault_due(struct ktimer *t)
{
    struct timed_fault *tf = (struct timed_fault *)t;
    int err = inject_ask(tf->core, tf->fault);
    if (err)
        kprintf("core %d: cannot inject %s: error %d\n", tf->core, fault_names[tf->fault], err);
}

/* inject=CORE:FAULT@MS,...: arms this core's entries, at its first node's
 * start only (a restarted node is not hit again). */
static void arm_timed_faults(void)
{
    static bool armed[MAX_CORES];
    const char *v = cmdline_get("inject");
    int me = (int)this_core()->id, n = 0;
    if (armed[me])
        return;
    armed[me] = true;
    while (v && *v && n < (int)ARRAY_SIZE(timed[me])) {
        char *end;
        int core = (int)strtoul(v, &end, 10);
        const char *name = end + 1, *at = strchr(name, '@');
        int fault = *end == ':' && at ? fault_by_name(name, (size_t)(at - name)) : -EINVAL;
        if (fault < 0) {
            kprintf("inject: cannot read \"%s\" (CORE:FAULT@MS)\n", v);
            return;
        }
        uint64_t ms = strtoul(at + 1, &end, 10);
        if (core == me) {
            struct timed_fault *tf = &timed[me][n++];
            *tf = (struct timed_fault){.timer.fn = timed_fault_due, .core = core, .fault = fault};
            ktimer_arm(&tf->timer, uptime_us() + ms * 1000);
        }
        v = *end == ',' ? end + 1 : end;
    }
}

/* The node's CR3 is loaded (node_start's load step) when this runs. */
int inject_node_started(struct node *n)
{
    fault_due[this_core()->id] = false; /* one the last node did not live to meet */
    arm_timed_faults();
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

static uint64_t rand_state;

static uint64_t random64(void)
{
    if (!rand_state)
        rand_state = rdtsc() | 1;
    rand_state ^= rand_state << 13; /* xorshift64 */
    rand_state ^= rand_state >> 7;
    rand_state ^= rand_state << 17;
    return rand_state;
}

/* Random words into the node's own pages and page tables (found by random
 * walks down its tables: pages it never touched are no target, and under
 * emulation each first touch costs milliseconds), then one into every
 * present user entry of its top table, so that the damage is met at once. */
static void wild_write(struct node *n)
{
    uint64_t *pml4 = P2V(n->vm.pml4);
    for (int i = 0; i < WILD_WORDS; i++) {
        int levels = i % 8 ? 4 : 1 + (int)(random64() % 3); /* one word in eight into a table */
        uint64_t pa = vm_random_page(&n->vm, random64, levels);
        if (pa)
            ((volatile uint64_t *)P2V(pa))[random64() % (PAGE_SIZE / 8)] = random64();
    }
    for (int i = 0; i < 256; i++)
        if (pml4[i] & 1)
            pml4[i] = random64();
    write_cr3(read_cr3()); /* no stale translations hide the damage */
}

/* Random bytes over this core's own block of the channel region: the rings
 * it sends on and its consumer indices. */
static void chan_garbage(void)
{
    size_t off, len;
    if (msgchan_core_block(ncores, chan_ring_bytes(ncores), this_core()->id, &off, &len))
        return;
    uint8_t *block = (uint8_t *)CHAN_VIEW_BASE + off;
    for (int i = 0; i < GARBAGE_BYTES; i++)
        block[random64() % len] = (uint8_t)random64();
    for (int i = 0; i < ncores * 512 && (size_t)i < len; i++) /* every ring's control words */
        block[i] = (uint8_t)random64();
    chan_tell_all();
}

/* A node thread asleep in the kernel goes back to user mode now (EINTR,
 * which ERTS retries), so that the fault is met without waiting for work. */
static void wake_one(struct node *n)
{
    for (struct thread *t = n->threads; t; t = t->node_next)
        if (t->state == THREAD_BLOCKED) {
            thread_wake(t, -EINTR);
            return;
        }
}

void inject_poll(void)
{
    struct core *c = this_core();
    int fault = c->inject ? __atomic_exchange_n(&c->inject, 0, __ATOMIC_SEQ_CST) : 0;
    struct node *n = c->node;
    if (!fault)
        return;
    kprintf("core %u: fault injected: %s\n", c->id, fault_names[fault]);
    switch ((enum fault)fault) {
    case FAULT_KERNEL_PANIC:
        panic("injected kernel panic");
    case FAULT_HEAP_PANIC:
        heap_hold_lock();
        panic("injected kernel panic, holding the heap's lock");
    case FAULT_CORE_HANG:
        cli();
        for (;;)
            cpu_relax();
    case FAULT_NODE_HANG:
        sti();
        for (;;)
            cpu_relax();
    case FAULT_CHAN_GARBAGE:
        chan_garbage();
        return;
    case FAULT_MCE:
        mce_raise(n ? n->vm.pml4 : c->part_base);
        return;
    default:
        break;
    }
    if (!n || n->dying)
        return;
    if (fault == FAULT_HALT) {
        n->injected_halt = true;
        node_kill(n, 0);
        return;
    }
    if (fault == FAULT_WILD_WRITE)
        wild_write(n);
    else
        fault_due[c->id] = true;
    wake_one(n);
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
