/* Finding dead and hung cores and nodes, in the kernel, in milliseconds.
 *   - Every core checks every other core's heartbeat (its timer ticks) on
 *     each tick of its own and probes a stale one by NMI (watch.h says how
 *     it judges). The first checker to judge a core dead declares it so.
 *   - A core that takes a kernel exception or panics declares itself dead
 *     (core_die) before it halts: no timeout at all.
 *   - A core whose kernel keeps ticking but never gets back to its node
 *     (a kernel loop with interrupts on: the node is starved) has its node
 *     declared dead after NODE_HANG_TICKS ticks (the soft-lockup check).
 * A declaration writes why into the dead core's status block and rings
 * every live core, whose chan_poll then closes its rings to the dead one:
 * their nodes read end of file on its channels, and get nodedown. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86.h"
#include "chan.h"
#include "kernel.h"
#include "watch.h"

/* Ticks in a row that found the kernel busy, neither back in its node nor
 * idle: the node is starved. Counted in ticks taken, not in time, so that a
 * vCPU the host did not run for a while is not taken for a hung one. */
#define NODE_HANG_TICKS 5

static struct watch views[MAX_CORES][MAX_CORES]; /* [checker][target] */
static uint64_t progress_seen[MAX_CORES], busy_ticks[MAX_CORES]; /* each core's own */

static _Noreturn void stop_here(void)
{
    for (;;) {
        cli();
        hlt();
    }
}

void watchdog_nmi(struct trap_frame *f)
{
    struct core *c = this_core(); /* isr_paranoid made GS the kernel's */
    if (c->state == CORE_DEAD) /* declared dead: stop for good (NMIs stay blocked, no iret) */
        stop_here();
    struct nmi_answer *a = &c->nmi_answer;
    a->beat = c->ticks;
    a->rip = f->rip;
    a->irq_on = f->rflags & RFLAGS_IF;
    a->excused = c->at_console || c->lock_wait;
    __atomic_store_n(&a->seq, __atomic_load_n(&c->nmi_asked, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
}

/* Marks t dead (once, whoever is first), stops it by NMI unless it is this
 * core (which stops itself), and tells every live core. Only once its last
 * NMI is out may t be restarted (t->stopped, smp_restart_core): one that
 * lands after the INIT would meet the restarted core without its IDT. */
static bool mark_dead(struct core *t, const char *why)
{
    int old = t->state;
    if ((old != CORE_ONLINE && old != CORE_SUSPECT) ||
        !__atomic_compare_exchange_n(&t->state, &old, CORE_DEAD, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        return false;
    strlcpy(t->death, why, sizeof(t->death));
    if (__atomic_exchange_n(&t->node_state, NODE_DEAD, __ATOMIC_SEQ_CST) != NODE_DEAD)
        snprintf(t->last_fault, sizeof(t->last_fault), "core-dead:%s", why);
    if (t != this_core()) {
        lapic_send_nmi(t->lapic_id); /* if it still takes NMIs, it stops now */
        __atomic_store_n(&t->stopped, true, __ATOMIC_RELEASE);
    }
    tell_survivors();
    return true;
}

/* ---- kernel locks whose holder died (spinlock.h) */

#define LOCK_STEAL_US 50000 /* after its death: long enough for its NMI to have stopped it */

uint32_t spinlock_self(void)
{
    return this_core()->id + 1;
}

/* Gone: this core itself in an earlier life (the kernel takes no lock twice,
 * so a restarted core finds its own only that way), or a core stopped for
 * LOCK_STEAL_US (dead and its last NMI out: mark_dead, or absent). Until
 * then the waiter's interrupts may be off: lock_wait excuses it to the
 * watchdog (cleared at its next tick). */
bool spinlock_holder_gone(uint32_t holder, uint64_t *since)
{
    struct core *me = this_core();
    if (holder == 0 || holder > (uint32_t)ncores)
        return false;
    struct core *h = &cores[holder - 1];
    bool stopped = (h->state == CORE_DEAD && __atomic_load_n(&h->stopped, __ATOMIC_ACQUIRE)) ||
                   h->state == CORE_ABSENT;
    if (h != me && !stopped) {
        *since = 0;
        return false;
    }
    uint64_t now = uptime_us();
    me->lock_wait = true;
    if (h != me && !*since)
        *since = now;
    if (h != me && now - *since < LOCK_STEAL_US)
        return false;
    me->lock_wait = false;
    kprintf("*** core %u: takes a kernel lock that core %u held when it died; what it was changing may be "
            "half done\n", me->id, h->id);
    return true;
}

bool watchdog_kernel_stuck(const struct core *c)
{
    return busy_ticks[c->id] >= NODE_HANG_TICKS;
}

void core_declare_dead(struct core *t, const char *why)
{
    if (!mark_dead(t, why))
        return;
    kprintf("*** core %u: dead (%s), declared by core %u; its rings are closed\n", t->id, why, this_core()->id);
}

static void declare_dead(struct core *t, const struct watch *w, enum watch_verdict v, uint64_t now)
{
    char why[96];
    int n = snprintf(why, sizeof(why), "%s, no heartbeat for %lu ms", watch_verdict_name(v),
                     (now - w->beat_at) / 1000);
    if (t->nmi_answer.seq)
        snprintf(why + n, sizeof(why) - n, ", at rip %p", (void *)t->nmi_answer.rip);
    core_declare_dead(t, why);
}

static void check_core(struct core *me, struct core *t, uint64_t now)
{
    struct watch *w = &views[me->id][t->id];
    struct nmi_answer *na = &t->nmi_answer;
    struct watch_answer a;
    a.seq = __atomic_load_n(&na->seq, __ATOMIC_ACQUIRE);
    a.beat = na->beat;
    a.irq_on = na->irq_on;
    a.excused = na->excused;
    enum watch_verdict v = watch_judge(w, now, t->ticks, &a);
    int suspect = CORE_SUSPECT, online = CORE_ONLINE;
    switch (v) {
    case WATCH_FINE:
        __atomic_compare_exchange_n(&t->state, &suspect, CORE_ONLINE, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        break;
    case WATCH_PROBE:
        __atomic_compare_exchange_n(&t->state, &online, CORE_SUSPECT, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        watch_probed(w, now, __atomic_add_fetch(&t->nmi_asked, 1, __ATOMIC_SEQ_CST));
        lapic_send_nmi(t->lapic_id);
        break;
    case WATCH_WAIT:
        break;
    default:
        declare_dead(t, w, v, now);
    }
}

void watchdog_tick(const struct trap_frame *f)
{
    struct core *me = this_core();
    uint64_t now = uptime_us();
    /* Waiting out LOCK_STEAL_US for a dead core's lock is no hang of this
     * core's node: without this, a node whose kernel waits for the heap's
     * lock from a core that died holding it is declared hung, and its core
     * restarted, before the lock is taken (NODE_HANG_TICKS is as long). */
    bool waiting = me->lock_wait;
    me->lock_wait = false; /* a tick: it is not spinning for a lock now */
    if ((f->cs & 3) || me->progress != progress_seen[me->id] || waiting) {
        progress_seen[me->id] = me->progress;
        busy_ticks[me->id] = 0;
    } else if (++busy_ticks[me->id] == NODE_HANG_TICKS && me->node_state == NODE_RUNNING) {
        char why[96];
        snprintf(why, sizeof(why), "hung: its kernel did not run it or idle for %d ticks, busy at rip %p", NODE_HANG_TICKS,
                 (void *)f->rip);
        node_declare_dead(me, why);
    }
    for (int k = 0; k < ncores; k++) {
        struct core *t = &cores[k];
        if (t != me && core_alive(t) && t->ticks)
            check_core(me, t, now);
        else if (!core_alive(t)) /* a core restarted later is seen afresh */
            views[me->id][k] = (struct watch){0};
    }
    console_check(); /* two deaths at once can leave the console on a dead core: looked at again here */
    node_fallback_tick();
}

void watchdog_init_core(void)
{
    struct core *me = this_core();
    progress_seen[me->id] = me->progress;
    busy_ticks[me->id] = 0;
}

void tell_survivors(void)
{
    chan_tell_all();
    console_check();
}

bool node_mark_dead(struct core *c, const char *why)
{
    int s = c->node_state;
    do
        if (s == NODE_DEAD)
            return false;
    while (!__atomic_compare_exchange_n(&c->node_state, &s, NODE_DEAD, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    strlcpy(c->last_fault, why, sizeof(c->last_fault));
    tell_survivors();
    return true;
}

void node_declare_dead(struct core *c, const char *why)
{
    if (node_mark_dead(c, why))
        kprintf("*** node %u: %s; declared dead, core %u's rings are closed\n", c->id, why, c->id);
}

_Noreturn void core_die(const char *fmt, ...)
{
    char why[96];
    va_list ap;
    cli();
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    mark_dead(this_core(), why); /* the others first: nodedown must not wait for the console */
    kprintf("*** core %u stopped (%s); the other cores keep running\n", this_core()->id, why);
    __atomic_store_n(&this_core()->stopped, true, __ATOMIC_RELEASE); /* its last line is out: restartable */
    stop_here();
}
