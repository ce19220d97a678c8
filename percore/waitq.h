/* Wait queues: where a thread of this core's node sleeps until an event or
 * a deadline. Only threads of one node (one core) ever use a waitq, and the
 * kernel is not preempted, so no locks; interrupt handlers only wake. */
#ifndef HYDROS_WAITQ_H
#define HYDROS_WAITQ_H
#include <stdint.h>

struct thread;
struct waitq {
    struct thread *head;
};

#define WAIT_FOREVER 0
/* Sleeps until woken (0), the deadline on the uptime_us() clock passes
 * (-ETIMEDOUT), or the thread's node is being torn down (-EINTR). */
int waitq_wait(struct waitq *wq, uint64_t deadline_us);
void waitq_wake_all(struct waitq *wq);
void waitq_wake_one(struct waitq *wq);
/* Wakes every thread of the current node sleeping in poll, epoll_wait or
 * select, so that it looks at its files again. */
void poll_notify(void);

#endif
