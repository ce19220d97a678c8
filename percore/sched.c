/* The per-core scheduler: a FIFO run queue of the node's threads, wait
 * queues, kernel timers and the idle loop. Everything here runs in kernel
 * context on the core that owns it; the timer interrupt only sets
 * need_resched, and timers and console input are looked at whenever the
 * scheduler runs or a thread returns to user mode. */
#include <string.h>

#include "arch/x86.h"
#include "chan.h"
#include "heap.h"
#include "sched.h"
#include "uapi.h"

#define IDLE_SPIN_US 200 /* idle(): longer than the usual wait for the next message in a ping-pong */
#define container_of(p, type, member) ((type *)((char *)(p) - __builtin_offsetof(type, member)))

static uint8_t fpu_template[512] __attribute__((aligned(16)));
static struct thread *zombie[MAX_CORES]; /* freed by the next thread to run on that core */
static void reap(void);

void sched_init_core(void)
{
    static bool template_made;
    if (!template_made) {
        __asm__ volatile("fninit");
        fpu_save(fpu_template);
        template_made = true;
    }
}

/* ---- run queue */

static void rq_push(struct sched *s, struct thread *t)
{
    t->rq_next = NULL;
    if (s->rq_tail)
        s->rq_tail->rq_next = t;
    else
        s->rq_head = t;
    s->rq_tail = t;
}

static struct thread *rq_pop(struct sched *s)
{
    struct thread *t = s->rq_head;
    if (t) {
        s->rq_head = t->rq_next;
        if (!s->rq_head)
            s->rq_tail = NULL;
    }
    return t;
}

void sched_reset_core(void)
{
    this_core()->sched = (struct sched){0};
    reap();
}

void sched_make_runnable(struct thread *t)
{
    t->state = THREAD_RUNNABLE;
    rq_push(&this_core()->sched, t);
}

/* ---- kernel timers */

void ktimer_arm(struct ktimer *t, uint64_t deadline_us)
{
    struct sched *s = &this_core()->sched;
    if (t->armed)
        ktimer_cancel(t);
    t->deadline_us = deadline_us;
    struct ktimer **p = &s->timers;
    while (*p && (*p)->deadline_us <= deadline_us)
        p = &(*p)->next;
    t->next = *p;
    *p = t;
    t->armed = true;
}

void ktimer_cancel(struct ktimer *t)
{
    if (!t->armed)
        return;
    for (struct ktimer **p = &this_core()->sched.timers; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
    t->armed = false;
}

static void run_timers(void)
{
    struct sched *s = &this_core()->sched;
    uint64_t now = uptime_us();
    while (s->timers && s->timers->deadline_us <= now) {
        struct ktimer *t = s->timers;
        s->timers = t->next;
        t->armed = false;
        t->fn(t);
    }
}

/* The timer interrupt comes at the next tick or the first kernel timer,
 * whichever is sooner. Called with interrupts off, so that no interrupt
 * re-arms it in between. Every return to user mode calls it: the LAPIC is
 * written only when the deadline moved (an emulated LAPIC write is costly). */
static void timer_program(void)
{
    struct sched *s = &this_core()->sched;
    uint64_t next = s->tick_deadline;
    if (s->timers && s->timers->deadline_us < next)
        next = s->timers->deadline_us;
    if (next != s->armed) {
        lapic_timer_oneshot(next);
        s->armed = next;
    }
}

/* ---- switching */

static void reap(void)
{
    struct thread *z = zombie[this_core()->id];
    if (z) {
        zombie[this_core()->id] = NULL;
        page_free(z->kstack, THREAD_KSTACK_PAGES);
        kfree(z);
    }
}

static uint64_t kstack_top(struct thread *t)
{
    return (uint64_t)P2V(t->kstack) + THREAD_KSTACK_PAGES * PAGE_SIZE;
}

static void switch_to(struct thread *prev, struct thread *next)
{
    struct core *c = this_core();
    if (prev) {
        fpu_save(prev->fpu);
        prev->fs_base = rdmsr(MSR_FS_BASE);
    }
    c->sched.current = next;
    c->kstack_top = kstack_top(next);
    c->tss.rsp[0] = c->kstack_top;
    if (read_cr3() != next->node->vm.pml4) /* by value: prev's node may be gone, its address reused */
        write_cr3(next->node->vm.pml4);
    wrmsr(MSR_FS_BASE, next->fs_base);
    fpu_restore(next->fpu);
    static uint64_t discard;
    switch_stacks(prev ? &prev->ksp : &discard, next->ksp);
    reap();
}

/* Nothing to run: spins until an interrupt, a message in a ring of an open
 * channel file, or IDLE_SPIN_US, then halts until the next interrupt. While
 * it spins, a message needs no doorbell: the core sees it in the ring;
 * only a halt is announced to senders (chan_before_halt), and waking a
 * halted CPU costs far more (tens of microseconds under QEMU's TCG, where
 * the vCPU thread must be woken). The node owns its core, so the spin
 * takes nothing from anyone. */
static void idle(void)
{
    struct core *c = this_core();
    uint64_t seen = c->irqs, until = uptime_us() + IDLE_SPIN_US;
    sti();
    while (c->irqs == seen && !chan_pending() && uptime_us() < until)
        cpu_relax();
    cli();
    if (c->irqs != seen || !chan_before_halt()) {
        sti();
        return;
    }
    timer_program();
    sti_hlt();
    cli();
    chan_after_halt();
    sti();
}

/* Work every way back to user mode and every turn of the idle loop does:
 * timers, the console, channels, faults asked for, and the end of a node
 * that was declared dead from outside (watchdog, memory error). */
static void kernel_chores(void)
{
    struct core *c = this_core();
    c->progress++;
    run_timers();
    console_poll();
    chan_poll();
    devices_poll();
    inject_poll();
    node_restart_poll();
    if (c->node && c->node_state == NODE_DEAD && !c->node->dying) {
        c->node->crashed = true;
        node_kill(c->node, 128 + 9);
    }
}

/* Runs the next runnable thread; idles (timers, console, hlt) until there is one. */
static void schedule(void)
{
    struct sched *s = &this_core()->sched;
    struct thread *next;
    for (;;) {
        kernel_chores();
        next = rq_pop(s);
        if (next)
            break;
        idle();
    }
    if (next != s->current)
        switch_to(s->current, next);
}

_Noreturn void sched_start(void)
{
    sti();
    schedule();
    panic("sched_start: the first thread returned");
}

void sched_yield(void)
{
    struct sched *s = &this_core()->sched;
    if (!s->rq_head)
        return;
    rq_push(s, s->current);
    schedule();
}

void sched_user_return(struct trap_frame *f)
{
    struct sched *s = &this_core()->sched;
    kernel_chores();
    if (s->need_resched) {
        s->need_resched = false;
        sched_yield();
    }
    if (current()->node->dying)
        thread_exit(current());
    node_before_user(f);
    this_core()->node_pages = current()->node->vm.resident;
    cli(); /* iretq restores the user's interrupt flag */
    timer_program();
}

/* ---- threads */

struct thread *thread_new(struct node *n, const struct trap_frame *uframe, uint64_t fs_base)
{
    if (n->nthreads >= NODE_MAX_THREADS)
        return NULL;
    struct thread *t = kzalloc(sizeof(*t));
    if (!t)
        return NULL;
    t->kstack = page_alloc_try(THREAD_KSTACK_PAGES);
    if (!t->kstack) {
        kfree(t);
        return NULL;
    }
    /* The first switch_stacks pops six callee-saved registers and "returns"
     * into trap_return, which irets to the user context. */
    uint64_t top = kstack_top(t);
    struct trap_frame *tf = (struct trap_frame *)(top - sizeof(*tf));
    *tf = *uframe;
    uint64_t *sp = (uint64_t *)tf;
    *--sp = (uint64_t)trap_return;
    for (int i = 0; i < 6; i++)
        *--sp = 0;
    t->ksp = (uint64_t)sp;
    t->uframe = tf;
    t->fs_base = fs_base;
    memcpy(t->fpu, fpu_template, sizeof(t->fpu));
    t->node = n;
    t->tid = n->next_tid++;
    t->node_next = n->threads;
    n->threads = t;
    n->nthreads++;
    return t;
}

static void unlink_thread(struct thread *t)
{
    struct node *n = t->node;
    for (struct thread **p = &n->threads; *p; p = &(*p)->node_next)
        if (*p == t) {
            *p = t->node_next;
            break;
        }
    n->nthreads--;
}

void thread_discard(struct thread *t)
{
    unlink_thread(t);
    page_free(t->kstack, THREAD_KSTACK_PAGES);
    kfree(t);
}

_Noreturn void thread_exit(struct thread *t)
{
    struct node *n = t->node;
    if (t->clear_child_tid && !n->dying) {
        /* musl's pthread_join waits on this word: clear it and wake the joiner. */
        uint32_t zero = 0;
        if (copy_to_user(t->clear_child_tid, &zero, sizeof(zero)) == 0)
            futex_wake(n, t->clear_child_tid, 1);
    }
    ktimer_cancel(&t->timeout);
    unlink_thread(t);
    t->state = THREAD_DEAD;
    if (n->nthreads == 0)
        node_exited(n);
    zombie[this_core()->id] = t;
    schedule();
    panic("a dead thread was scheduled");
}

/* ---- wait queues */

void thread_wake(struct thread *t, int result)
{
    if (t->state != THREAD_BLOCKED)
        return;
    for (struct thread **p = &t->wq->head; *p; p = &(*p)->wq_next)
        if (*p == t) {
            *p = t->wq_next;
            break;
        }
    t->wq = NULL;
    t->wake_result = result;
    sched_make_runnable(t);
}

static void timed_out(struct ktimer *k)
{
    thread_wake(container_of(k, struct thread, timeout), -ETIMEDOUT);
}

int waitq_wait(struct waitq *wq, uint64_t deadline_us)
{
    struct thread *t = current();
    if (t->node->dying)
        return -EINTR;
    t->state = THREAD_BLOCKED;
    t->wq = wq;
    t->wq_next = wq->head;
    wq->head = t;
    t->wake_result = 0;
    if (deadline_us != WAIT_FOREVER) {
        t->timeout.fn = timed_out;
        ktimer_arm(&t->timeout, deadline_us);
    }
    schedule();
    ktimer_cancel(&t->timeout);
    return t->wake_result;
}

void waitq_wake_all(struct waitq *wq)
{
    while (wq->head)
        thread_wake(wq->head, 0);
}

void waitq_wake_one(struct waitq *wq)
{
    /* The list is LIFO; wake the oldest sleeper for fairness. */
    struct thread *t = wq->head;
    while (t && t->wq_next)
        t = t->wq_next;
    if (t)
        thread_wake(t, 0);
}

void poll_notify(void)
{
    struct node *n = this_core()->node;
    if (n)
        waitq_wake_all(&n->poll_wq);
}

/* Wakes every sleeper of a dying node with -EINTR so its threads unwind. */
void sched_interrupt_node(struct node *n)
{
    for (struct thread *t = n->threads; t; t = t->node_next)
        if (t->state == THREAD_BLOCKED)
            thread_wake(t, -EINTR);
}
