/* Kernel timers: a function called at a deadline on the uptime_us() clock,
 * from kernel (not interrupt) context on the core that armed it. Used by
 * timerfd and by timed waits. The struct is owned by the caller and must
 * stay valid while armed; re-arming an armed timer moves it. */
#ifndef HYDROS_KTIMER_H
#define HYDROS_KTIMER_H
#include <stdbool.h>
#include <stdint.h>

#include "uapi.h"

struct ktimer {
    uint64_t deadline_us;
    void (*fn)(struct ktimer *t);
    struct ktimer *next;
    bool armed;
};

void ktimer_arm(struct ktimer *t, uint64_t deadline_us);
void ktimer_cancel(struct ktimer *t);
uint64_t uptime_us(void);      /* monotonic, since boot */
uint64_t realtime_us(void);    /* wall clock (CMOS RTC at boot + uptime) */

#define TIMESPEC_US_MAX (1ull << 62) /* 146,000 years: any time later is "forever" */

/* A user timespec in microseconds, rounded up and clamped to
 * TIMESPEC_US_MAX; -EINVAL for negative or unnormalized values. */
static inline int timespec_us(const struct linux_timespec *ts, uint64_t *us)
{
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
        return -EINVAL;
    if ((uint64_t)ts->tv_sec >= TIMESPEC_US_MAX / 1000000)
        *us = TIMESPEC_US_MAX;
    else
        *us = (uint64_t)ts->tv_sec * 1000000 + ((uint64_t)ts->tv_nsec + 999) / 1000;
    return 0;
}

#endif
