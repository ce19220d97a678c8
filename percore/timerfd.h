/* timerfd: a file that becomes readable when a timer expires, for
 * timerfd_create/settime/gettime. ERTS's poller sleeps in epoll_pwait on one.
 *   - Clocks: CLOCK_MONOTONIC (and CLOCK_BOOTTIME, the same here: no
 *     suspend) on uptime_us(), CLOCK_REALTIME on realtime_us(). Time is kept
 *     in microseconds; a timespec is rounded UP to a whole microsecond so a
 *     timer never fires early and a nonzero value never becomes "disarmed".
 *   - Expirations are computed from the clock, not counted from callbacks:
 *     a periodic timer read late reports every interval that elapsed.
 *   - read: needs >= 8 bytes (-EINVAL), returns the expirations since the
 *     last read (or settime) as a uint64 and resets them; -EAGAIN if none.
 *   - poll: POLLIN when at least one expiration is due.
 *   - The kernel timer behind it (ktimer, on the uptime clock) is armed only
 *     while nothing is due; its callback calls file_changed(). A REALTIME
 *     deadline is converted at arming time; if the wall clock jumps, the
 *     callback re-checks and re-arms (no TFD_TIMER_CANCEL_ON_SET: accepted
 *     and ignored).
 * Node-local, kernel not preempted: no locks. */
#ifndef HYDROS_TIMERFD_H
#define HYDROS_TIMERFD_H
#include <stdbool.h>

#include "vfs.h"

#define TFD_TIMER_CANCEL_ON_SET 2
#define TFD_NONBLOCK O_NONBLOCK
#define TFD_CLOEXEC O_CLOEXEC

static inline bool timerfd_clock_ok(int clockid)
{
    return clockid == CLOCK_MONOTONIC || clockid == CLOCK_REALTIME || clockid == CLOCK_BOOTTIME;
}

/* A disarmed timer file (O_RDONLY, plus O_NONBLOCK from flags; TFD_CLOEXEC
 * belongs to the fd). NULL if the clock is not timerfd_clock_ok() or flags
 * hold anything but TFD_NONBLOCK|TFD_CLOEXEC (the syscall layer turns that
 * into -EINVAL: check with timerfd_clock_ok first), or without memory. */
struct file *timerfd_new(int clockid, uint32_t flags);

/* Arms (nv->value nonzero; relative, or absolute on the timer's clock with
 * TFD_TIMER_ABSTIME) or disarms (zero value) the timer, with nv->interval
 * as the period (zero: one-shot), and clears pending expirations. old, if
 * not NULL, gets the setting before. -EINVAL for a file that is not a
 * timerfd, unknown flags, tv_nsec outside [0, 1e9) or a negative tv_sec. */
int timerfd_settime(struct file *f, int flags, const struct linux_itimerspec *nv,
                    struct linux_itimerspec *old);

/* The time left to the next expiration (zero when disarmed; a due one-shot
 * that was not read reads zero too) and the interval. -EINVAL: not a timerfd. */
int timerfd_gettime(struct file *f, struct linux_itimerspec *cur);

#endif
