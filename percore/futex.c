/* Futexes, as musl and ERTS use them: WAIT, WAKE, REQUEUE, CMP_REQUEUE and
 * the BITSET forms (bitsets are treated as "all"). The value check and the
 * enqueue happen with no other thread of the node able to run in between
 * (one core, kernel not preempted), so no wake-up can be lost. */
#include "sched.h"
#include "uapi.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_CMD_MASK 127
#define FUTEX_CLOCK_REALTIME 256

static struct waitq *bucket(struct node *n, uint64_t uaddr)
{
    return &n->futex_wq[(uaddr >> 2) % ARRAY_SIZE(n->futex_wq)];
}

int futex_wake(struct node *n, uint64_t uaddr, int count)
{
    struct waitq *wq = bucket(n, uaddr);
    int woken = 0;
    /* Oldest first: the list is LIFO, so collect matches, wake from the tail. */
    while (woken < count) {
        struct thread *last = NULL;
        for (struct thread *t = wq->head; t; t = t->wq_next)
            if (t->futex_addr == uaddr)
                last = t;
        if (!last)
            break;
        thread_wake(last, 0);
        woken++;
    }
    return woken;
}

/* Wakes nwake waiters of uaddr, then moves up to nmove more, oldest first
 * and in order, to uaddr2, behind the waiters already there. */
static int futex_requeue(struct node *n, uint64_t uaddr, int nwake, int nmove, uint64_t uaddr2)
{
    if (nwake < 0 || nmove < 0)
        return -EINVAL;
    int done = futex_wake(n, uaddr, nwake);
    struct waitq *from = bucket(n, uaddr), *to = bucket(n, uaddr2);
    if (uaddr2 == uaddr) { /* nothing moves; count them as Linux does */
        for (struct thread *t = from->head; t && nmove > 0; t = t->wq_next)
            if (t->futex_addr == uaddr) {
                done++;
                nmove--;
            }
        return done;
    }
    for (; nmove > 0; nmove--, done++) {
        struct thread **oldest = NULL;
        for (struct thread **p = &from->head; *p; p = &(*p)->wq_next)
            if ((*p)->futex_addr == uaddr)
                oldest = p;
        if (!oldest)
            break;
        struct thread *t = *oldest;
        *oldest = t->wq_next;
        t->futex_addr = uaddr2;
        t->wq = to;
        t->wq_next = to->head; /* the list is newest first: this one is now the newest */
        to->head = t;
    }
    return done;
}

static int futex_wait(struct node *n, uint64_t uaddr, uint32_t val, uint64_t deadline)
{
    uint32_t now;
    if (copy_from_user(&now, uaddr, sizeof(now)))
        return -EFAULT;
    if (now != val)
        return -EAGAIN;
    current()->futex_addr = uaddr;
    int r = waitq_wait(bucket(n, uaddr), deadline);
    current()->futex_addr = 0;
    return r;
}

/* The deadline on the uptime clock for a relative (WAIT) or absolute
 * (WAIT_BITSET) timeout; WAIT_FOREVER for none. */
static int deadline_of(uint64_t utimeout, bool absolute, bool realtime, uint64_t *out)
{
    *out = WAIT_FOREVER;
    if (!utimeout)
        return 0;
    struct linux_timespec ts;
    uint64_t us;
    if (copy_from_user(&ts, utimeout, sizeof(ts)))
        return -EFAULT;
    int err = timespec_us(&ts, &us);
    if (err)
        return err;
    if (us == TIMESPEC_US_MAX)
        return 0; /* forever */
    uint64_t now = uptime_us();
    if (absolute) {
        uint64_t base = realtime ? realtime_us() : now;
        us = us > base ? us - base : 0;
    }
    *out = now + us + 1; /* never 0: that means forever */
    return 0;
}

int64_t sys_futex(uint64_t uaddr, int op, uint32_t val, uint64_t utimeout, uint64_t uaddr2, uint32_t val3)
{
    struct node *n = current()->node;
    uint64_t deadline;
    int err;
    if (uaddr % 4)
        return -EINVAL;
    switch (op & FUTEX_CMD_MASK) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
        err = deadline_of(utimeout, (op & FUTEX_CMD_MASK) == FUTEX_WAIT_BITSET,
                          op & FUTEX_CLOCK_REALTIME, &deadline);
        return err ? err : futex_wait(n, uaddr, val, deadline);
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
        return futex_wake(n, uaddr, (int)val > 0 ? (int)val : 1); /* Linux wakes one for 0 */
    case FUTEX_CMP_REQUEUE: {
        uint32_t now;
        if (copy_from_user(&now, uaddr, sizeof(now)))
            return -EFAULT;
        if (now != val3)
            return -EAGAIN;
    }
        /* fall through */
    case FUTEX_REQUEUE:
        return futex_requeue(n, uaddr, (int)val, (int)utimeout, uaddr2);
    default:
        return -ENOSYS;
    }
}
