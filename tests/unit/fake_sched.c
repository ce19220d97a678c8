/* Fakes of the scheduler, uaccess and clock functions futex.c uses; see
 * fake_sched.h. Queue handling copies percore/sched.c so that what futex.c
 * leaves on a waitq is what the kernel would see. */
#include "fake_sched.h"

#include <asm/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "uapi.h"

#define LOG_MAX 256
#define REGIONS_MAX 16

static struct core core;
static struct fake_wake wakes[LOG_MAX];
static struct fake_wait waits[LOG_MAX];
static int nwakes, nwaits, nreads;
static int wait_result;
static void (*wait_hook)(void);
static struct {
    uint64_t uaddr, len;
    void *host;
} regions[REGIONS_MAX];
static int nregions;
static uint64_t uptime, realtime;

void fake_sched_reset(struct thread *cur)
{
    memset(&core, 0, sizeof(core));
    core.self = &core;
    core.sched.current = cur;
    /* this_core() is `mov %gs:0`: give this thread a GS base of its own. */
    if (syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)&core) != 0)
        abort();
    nwakes = nwaits = nreads = nregions = 0;
    wait_result = -ETIMEDOUT;
    wait_hook = NULL;
    uptime = realtime = 0;
}

struct core *fake_sched_core(void) { return &core; }
void fake_set_current(struct thread *t) { core.sched.current = t; }

int fake_wake_count(void) { return nwakes; }
const struct fake_wake *fake_wake_at(int i) { return i >= 0 && i < nwakes ? &wakes[i] : NULL; }
int fake_wait_count(void) { return nwaits; }
const struct fake_wait *fake_wait_at(int i) { return i >= 0 && i < nwaits ? &waits[i] : NULL; }
void fake_wait_script(int result) { wait_result = result; }
void fake_wait_hook(void (*fn)(void)) { wait_hook = fn; }
int fake_user_reads(void) { return nreads; }
void fake_set_uptime(uint64_t us) { uptime = us; }
void fake_set_realtime(uint64_t us) { realtime = us; }
uint64_t uptime_us(void) { return uptime; }
uint64_t realtime_us(void) { return realtime; }

void fake_user_add(uint64_t uaddr, void *host, uint64_t len)
{
    if (nregions == REGIONS_MAX)
        abort();
    regions[nregions].uaddr = uaddr;
    regions[nregions].host = host;
    regions[nregions].len = len;
    nregions++;
}

int copy_from_user(void *dst, uint64_t usrc, uint64_t n)
{
    nreads++;
    for (int i = 0; i < nregions; i++) {
        uint64_t off = usrc - regions[i].uaddr;
        if (usrc >= regions[i].uaddr && off <= regions[i].len && n <= regions[i].len - off) {
            memcpy(dst, (char *)regions[i].host + off, n);
            return 0;
        }
    }
    return -EFAULT;
}

static void unlink_from_wq(struct thread *t)
{
    for (struct thread **p = &t->wq->head; *p; p = &(*p)->wq_next)
        if (*p == t) {
            *p = t->wq_next;
            break;
        }
    t->wq = NULL;
}

void thread_wake(struct thread *t, int result)
{
    if (nwakes == LOG_MAX)
        abort();
    wakes[nwakes++] = (struct fake_wake){t, result};
    if (t->state != THREAD_BLOCKED)
        return;
    unlink_from_wq(t);
    t->wake_result = result;
    t->state = THREAD_RUNNABLE;
}

int waitq_wait(struct waitq *wq, uint64_t deadline_us)
{
    struct thread *t = current();
    if (nwaits == LOG_MAX)
        abort();
    waits[nwaits++] = (struct fake_wait){t, wq, deadline_us, t->futex_addr};
    if (t->node->dying)
        return -EINTR;
    t->state = THREAD_BLOCKED;
    t->wq = wq;
    t->wq_next = wq->head;
    wq->head = t;
    t->wake_result = 0;
    if (wait_hook)
        wait_hook();
    if (t->state == THREAD_BLOCKED) { /* nobody woke it: the scripted timeout */
        unlink_from_wq(t);
        t->state = THREAD_RUNNABLE;
        return wait_result;
    }
    return t->wake_result;
}
