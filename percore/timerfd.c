/* timerfd: a deadline and a period on one clock, with expirations derived
 * from that clock whenever the file is looked at; see timerfd.h. */
#include <stddef.h>
#include <string.h>

#include "heap.h"
#include "ktimer.h"
#include "timerfd.h"

#define US_PER_S 1000000ull
#define NS_PER_US 1000ll
#define NS_PER_S 1000000000ll
#define NEVER UINT64_MAX

struct timerfd {
    struct ktimer kt;      /* first: the callback finds us from it */
    struct file *file;
    bool realtime;         /* CLOCK_REALTIME; else the uptime clock */
    bool armed;            /* an expiration is still to come */
    uint64_t next_us;      /* when it comes, on our clock */
    uint64_t interval_us;  /* 0: one-shot */
    uint64_t ticks;        /* expirations not yet read */
};

static const struct file_ops timerfd_ops;

static uint64_t clock_now(struct timerfd *t)
{
    return t->realtime ? realtime_us() : uptime_us();
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_add_overflow(a, b, &r) ? NEVER : r;
}

/* A valid timespec in microseconds, rounded up, saturating at NEVER. */
static int ts_to_us(const struct linux_timespec *ts, uint64_t *us)
{
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NS_PER_S)
        return -EINVAL;
    uint64_t sec_us;
    if (__builtin_mul_overflow((uint64_t)ts->tv_sec, US_PER_S, &sec_us))
        sec_us = NEVER;
    *us = sat_add(sec_us, (uint64_t)((ts->tv_nsec + NS_PER_US - 1) / NS_PER_US));
    return 0;
}

static struct linux_timespec us_to_ts(uint64_t us)
{
    struct linux_timespec ts = {
        .tv_sec = (int64_t)(us / US_PER_S),
        .tv_nsec = (int64_t)(us % US_PER_S) * NS_PER_US,
    };
    return ts;
}

/* Moves every expiration up to now into ticks. */
static void account(struct timerfd *t, uint64_t now)
{
    if (!t->armed || now < t->next_us)
        return;
    if (t->interval_us == 0) {
        t->armed = false;
        t->ticks = sat_add(t->ticks, 1);
        return;
    }
    uint64_t n = (now - t->next_us) / t->interval_us + 1, step;
    t->ticks = sat_add(t->ticks, n);
    if (__builtin_mul_overflow(n, t->interval_us, &step))
        step = NEVER;
    t->next_us = sat_add(t->next_us, step);
}

/* The ktimer runs exactly while an expiration is to come and none is due
 * (NEVER, a saturated time, never comes). */
static void sync_ktimer(struct timerfd *t)
{
    if (!t->armed || t->ticks || t->next_us == NEVER) {
        ktimer_cancel(&t->kt);
        return;
    }
    uint64_t deadline = t->next_us;
    if (t->realtime) {
        uint64_t real = realtime_us();
        deadline = sat_add(uptime_us(), deadline > real ? deadline - real : 0);
    }
    ktimer_arm(&t->kt, deadline);
}

static void timerfd_expired(struct ktimer *kt)
{
    struct timerfd *t = (struct timerfd *)kt;
    account(t, clock_now(t));
    if (t->ticks)
        file_changed(t->file);
    sync_ktimer(t); /* the wall clock may have gone back: wait again */
}

static int64_t timerfd_read(struct file *f, void *buf, uint64_t len)
{
    struct timerfd *t = f->priv;
    if (len < sizeof(uint64_t))
        return -EINVAL;
    account(t, clock_now(t));
    if (!t->ticks)
        return -EAGAIN;
    memcpy(buf, &t->ticks, sizeof(uint64_t));
    t->ticks = 0;
    sync_ktimer(t);
    return sizeof(uint64_t);
}

static uint32_t timerfd_poll(struct file *f)
{
    struct timerfd *t = f->priv;
    account(t, clock_now(t));
    sync_ktimer(t);
    return t->ticks ? POLLIN : 0;
}

static void timerfd_release(struct file *f)
{
    struct timerfd *t = f->priv;
    ktimer_cancel(&t->kt);
    kfree(t);
}

static const struct file_ops timerfd_ops = {
    .read = timerfd_read,
    .poll = timerfd_poll,
    .stat = file_anon_stat,
    .release = timerfd_release,
};

struct file *timerfd_new(int clockid, uint32_t flags)
{
    if (!timerfd_clock_ok(clockid) || (flags & ~(uint32_t)(TFD_NONBLOCK | TFD_CLOEXEC)))
        return NULL;
    struct timerfd *t = kzalloc(sizeof(*t));
    if (!t)
        return NULL;
    t->realtime = clockid == CLOCK_REALTIME;
    t->kt.fn = timerfd_expired;
    t->file = file_new(&timerfd_ops, O_RDONLY | (flags & TFD_NONBLOCK), t);
    if (!t->file) {
        kfree(t);
        return NULL;
    }
    return t->file;
}

int timerfd_gettime(struct file *f, struct linux_itimerspec *cur)
{
    if (!f || f->ops != &timerfd_ops)
        return -EINVAL;
    struct timerfd *t = f->priv;
    uint64_t now = clock_now(t);
    account(t, now);
    sync_ktimer(t);
    cur->interval = us_to_ts(t->interval_us);
    cur->value = us_to_ts(t->armed && t->next_us > now ? t->next_us - now : 0);
    return 0;
}

int timerfd_settime(struct file *f, int flags, const struct linux_itimerspec *nv,
                    struct linux_itimerspec *old)
{
    uint64_t value, interval;
    if (!f || f->ops != &timerfd_ops || (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)))
        return -EINVAL;
    if (ts_to_us(&nv->value, &value) || ts_to_us(&nv->interval, &interval))
        return -EINVAL;
    struct timerfd *t = f->priv;
    if (old)
        timerfd_gettime(f, old);
    uint64_t now = clock_now(t);
    t->ticks = 0;
    t->interval_us = interval;
    t->armed = value != 0;
    t->next_us = (flags & TFD_TIMER_ABSTIME) ? value : sat_add(now, value);
    account(t, now); /* an absolute time in the past is due at once */
    if (t->ticks)
        file_changed(f);
    sync_ktimer(t);
    return 0;
}
