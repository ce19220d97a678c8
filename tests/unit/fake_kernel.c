/* Host fakes of the kernel services under pipe/epoll/timerfd/tty; see
 * fake_kernel.h. file_put calls epoll_file_released (when epoll.c is linked;
 * the symbol is weak here) before ops->release, the order file.c keeps. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fake_kernel.h"

void epoll_file_released(struct file *f) __attribute__((weak));

struct fake_file {
    struct file f;
    int changed;
};

static int files_live, blocks_live, notifies, fail_at = -1, fired;
static uint64_t now_us, real_us;
static struct ktimer *timers;

void fake_reset(void)
{
    notifies = 0;
    fail_at = -1;
    fired = 0;
    now_us = 0;
    real_us = 1700000000ull * 1000000ull;
    timers = NULL;
}

static bool alloc_should_fail(void)
{
    if (fail_at < 0)
        return false;
    return fail_at-- == 0;
}

/* ---- heap */
void *kmalloc(size_t n)
{
    if (n == 0 || alloc_should_fail())
        return NULL;
    void *p = malloc(n);
    memset(p, 0xa5, n); /* kmalloc's contents are arbitrary */
    blocks_live++;
    return p;
}

void *kzalloc(size_t n)
{
    void *p = kmalloc(n);
    if (p)
        memset(p, 0, n);
    return p;
}

void kfree(void *p)
{
    if (p) {
        blocks_live--;
        free(p);
    }
}

int fake_blocks_live(void) { return blocks_live; }
void fake_fail_alloc_at(int n) { fail_at = n; }

/* ---- files */
struct file *file_new(const struct file_ops *ops, uint32_t flags, void *priv)
{
    if (alloc_should_fail())
        return NULL;
    struct fake_file *ff = calloc(1, sizeof(*ff));
    ff->f.ops = ops;
    ff->f.refs = 1;
    ff->f.flags = flags;
    ff->f.priv = priv;
    files_live++;
    return &ff->f;
}

struct file *file_get(struct file *f)
{
    f->refs++;
    return f;
}

void file_put(struct file *f)
{
    if (f->refs <= 0)
        abort(); /* a reference counting bug in the code under test */
    if (--f->refs > 0)
        return;
    if (epoll_file_released)
        epoll_file_released(f);
    if (f->epoll_links)
        abort(); /* epoll_file_released must unlink every entry */
    if (f->ops->release)
        f->ops->release(f);
    files_live--;
    free(f);
}

void file_changed(struct file *f)
{
    ((struct fake_file *)f)->changed++;
    waitq_wake_all(&f->wq);
    poll_notify();
}

int fake_changed(struct file *f) { return ((struct fake_file *)f)->changed; }
void fake_changed_reset(struct file *f) { ((struct fake_file *)f)->changed = 0; }
int fake_files_live(void) { return files_live; }

/* ---- wait queues: nothing sleeps in these tests */
int waitq_wait(struct waitq *wq, uint64_t deadline_us)
{
    (void)wq;
    (void)deadline_us;
    abort();
}
void waitq_wake_all(struct waitq *wq) { (void)wq; }
void waitq_wake_one(struct waitq *wq) { (void)wq; }
void poll_notify(void) { notifies++; }
int fake_poll_notifies(void) { return notifies; }

/* ---- timers and clocks */
static void timer_unlink(struct ktimer *t)
{
    for (struct ktimer **pp = &timers; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    t->armed = false;
    t->next = NULL;
}

void ktimer_arm(struct ktimer *t, uint64_t deadline_us)
{
    if (t->armed)
        timer_unlink(t);
    t->deadline_us = deadline_us;
    t->armed = true;
    t->next = timers;
    timers = t;
}

void ktimer_cancel(struct ktimer *t)
{
    if (t->armed)
        timer_unlink(t);
}

uint64_t uptime_us(void) { return now_us; }
uint64_t realtime_us(void) { return real_us; }

void fake_advance_us(uint64_t us)
{
    now_us += us;
    real_us += us;
    for (;;) {
        struct ktimer *due = NULL;
        for (struct ktimer *t = timers; t; t = t->next)
            if (t->deadline_us <= now_us && (!due || t->deadline_us < due->deadline_us))
                due = t;
        if (!due)
            return;
        timer_unlink(due);
        fired++;
        due->fn(due);
    }
}

void fake_set_realtime(uint64_t us) { real_us = us; }

int fake_timers_armed(void)
{
    int n = 0;
    for (struct ktimer *t = timers; t; t = t->next)
        n++;
    return n;
}

int fake_timer_fired(void) { return fired; }
