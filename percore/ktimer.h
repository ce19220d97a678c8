/* Kernel timers: a function called at a deadline on the uptime_us() clock,
 * from kernel (not interrupt) context on the core that armed it. Used by
 * timerfd and by timed waits. The struct is owned by the caller and must
 * stay valid while armed; re-arming an armed timer moves it. */
#ifndef HYDROS_KTIMER_H
#define HYDROS_KTIMER_H
#include <stdbool.h>
#include <stdint.h>

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

#endif
