/* Host fakes of what futex.c calls in the kernel: current() through a fake
 * struct core that GS points at (so sched.h's real inline runs), thread_wake
 * and waitq_wait with the list handling of sched.c, copy_from_user over
 * regions of test memory standing in for user space, and the two clocks.
 * Single-threaded: a "blocked" thread is only a struct on a waitq list. */
#ifndef FAKE_SCHED_H
#define FAKE_SCHED_H
#include <stdbool.h>
#include <stdint.h>

#include "sched.h"

/* Forgets logs, user regions, scripts and hooks; clocks to 0; points GS at
 * the fake core with `cur` as current(). Call at the start of every test. */
void fake_sched_reset(struct thread *cur);
struct core *fake_sched_core(void);
void fake_set_current(struct thread *t);

/* thread_wake() calls, in order (also those for threads not blocked). */
struct fake_wake {
    struct thread *t;
    int result;
};
int fake_wake_count(void);
const struct fake_wake *fake_wake_at(int i);

/* waitq_wait() calls. Like sched.c's, it returns -EINTR at once for a dying
 * node, else puts current() on wq and "sleeps": runs the hook (other threads
 * acting meanwhile; it may switch current and must switch it back), then,
 * if nobody woke the thread, takes it off its queue and returns the scripted
 * result (as a timeout or an interrupt would); else the wake result. */
struct fake_wait {
    struct thread *t;
    struct waitq *wq;
    uint64_t deadline;
    uint64_t futex_addr; /* current()->futex_addr when it went to sleep */
};
int fake_wait_count(void);
const struct fake_wait *fake_wait_at(int i);
void fake_wait_script(int result); /* default -ETIMEDOUT */
void fake_wait_hook(void (*fn)(void));

/* User memory: copy_from_user succeeds only for a range lying inside one
 * region added here, and then copies from `host`; -EFAULT otherwise. */
void fake_user_add(uint64_t uaddr, void *host, uint64_t len);
int fake_user_reads(void); /* copy_from_user calls, failed ones too */

void fake_set_uptime(uint64_t us);
void fake_set_realtime(uint64_t us);

#endif
