/* Unit tests for percore/timerfd.c on a fake clock that moves only when the
 * test says so (and fires due ktimers as it does): one-shot, periodic with
 * several intervals elapsed between reads, TFD_TIMER_ABSTIME on both clocks,
 * re-arming, disarming, gettime, invalid arguments, and that every
 * expiration is announced with file_changed() from the timer callback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"
#include "timerfd.h"

static struct file *tf;

static struct linux_itimerspec its(int64_t vs, int64_t vns, int64_t is, int64_t ins)
{
    struct linux_itimerspec v = { .value = { vs, vns }, .interval = { is, ins } };
    return v;
}

static int set(int flags, int64_t vs, int64_t vns, int64_t is, int64_t ins)
{
    struct linux_itimerspec v = its(vs, vns, is, ins);
    return timerfd_settime(tf, flags, &v, NULL);
}

/* The expirations a read returns, 0 for -EAGAIN. */
static uint64_t expirations(void)
{
    uint64_t n = 0xdeadbeef;
    int64_t r = tf->ops->read(tf, &n, sizeof(n));
    if (r == -EAGAIN)
        return 0;
    assert_int_equal(r, 8);
    return n;
}

static int setup(void **state)
{
    (void)state;
    fake_reset();
    fake_advance_us(5000000); /* uptime is not 0 in real life */
    tf = timerfd_new(CLOCK_MONOTONIC, 0);
    assert_non_null(tf);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (tf)
        file_put(tf);
    tf = NULL;
    assert_int_equal(fake_timers_armed(), 0); /* release cancels */
    assert_int_equal(fake_files_live(), 0);
    assert_int_equal(fake_blocks_live(), 0);
    return 0;
}

static void test_new(void **state)
{
    (void)state;
    assert_int_equal(tf->flags, O_RDONLY);
    assert_null(timerfd_new(CLOCK_PROCESS_CPUTIME_ID, 0));
    assert_null(timerfd_new(42, 0));
    assert_null(timerfd_new(CLOCK_MONOTONIC, 1));
    assert_false(timerfd_clock_ok(CLOCK_THREAD_CPUTIME_ID));
    struct file *r = timerfd_new(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
    assert_non_null(r);
    assert_int_equal(r->flags, O_RDONLY | O_NONBLOCK);
    file_put(r);
    fake_fail_alloc_at(0);
    assert_null(timerfd_new(CLOCK_MONOTONIC, 0));
    fake_fail_alloc_at(1);
    assert_null(timerfd_new(CLOCK_MONOTONIC, 0));
    fake_fail_alloc_at(-1);
    /* A new timer is disarmed. */
    assert_int_equal(expirations(), 0);
    assert_int_equal(tf->ops->poll(tf), 0);
    assert_int_equal(fake_timers_armed(), 0);
}

static void test_one_shot(void **state)
{
    (void)state;
    assert_int_equal(set(0, 1, 500000000, 0, 0), 0); /* 1.5 s */
    assert_int_equal(fake_timers_armed(), 1);
    fake_advance_us(1499999);
    assert_int_equal(tf->ops->poll(tf), 0);
    assert_int_equal(expirations(), 0);
    assert_int_equal(fake_changed(tf), 0);
    fake_advance_us(1);
    assert_int_equal(fake_changed(tf), 1); /* the callback announced it */
    assert_int_equal(tf->ops->poll(tf), POLLIN);
    fake_advance_us(10000000);
    assert_int_equal(expirations(), 1);
    assert_int_equal(expirations(), 0);
    assert_int_equal(tf->ops->poll(tf), 0);
    assert_int_equal(fake_timers_armed(), 0);
    assert_int_equal(fake_changed(tf), 1);
}

static void test_read_needs_8_bytes(void **state)
{
    (void)state;
    uint8_t buf[16];
    assert_int_equal(set(0, 0, 1000, 0, 0), 0);
    fake_advance_us(1);
    assert_int_equal(tf->ops->read(tf, buf, 7), -EINVAL);
    assert_int_equal(tf->ops->read(tf, buf, 16), 8); /* not consumed by the bad read */
}

static void test_periodic_counts_elapsed_intervals(void **state)
{
    (void)state;
    assert_int_equal(set(0, 1, 0, 0, 250000000), 0); /* 1 s, then every 0.25 s */
    fake_advance_us(1000000);
    assert_int_equal(fake_timer_fired(), 1);
    /* Nobody reads: the timer is not re-armed, so it does not fire again. */
    fake_advance_us(1100000); /* t = 2.1 s: expirations at 1, 1.25 .. 2.0 */
    assert_int_equal(fake_timer_fired(), 1);
    assert_int_equal(expirations(), 5);
    assert_int_equal(expirations(), 0);
    fake_advance_us(149999); /* t = 2.249999 */
    assert_int_equal(expirations(), 0);
    fake_advance_us(1); /* 2.25 */
    assert_int_equal(fake_timer_fired(), 2);
    assert_int_equal(expirations(), 1);
    /* A long sleep: 10 s is exactly 40 intervals. */
    fake_advance_us(10000000);
    assert_int_equal(expirations(), 40);
    struct linux_itimerspec cur;
    assert_int_equal(timerfd_gettime(tf, &cur), 0);
    assert_int_equal(cur.value.tv_sec, 0);
    assert_int_equal(cur.value.tv_nsec, 250000000);
    assert_int_equal(cur.interval.tv_nsec, 250000000);
    assert_int_equal(fake_changed(tf), fake_timer_fired());
}

static void test_gettime_forwards_periodic(void **state)
{
    (void)state;
    struct linux_itimerspec cur;
    assert_int_equal(set(0, 0, 100000000, 0, 100000000), 0);
    fake_advance_us(350000); /* due at .1 .2 .3; next .4 */
    assert_int_equal(timerfd_gettime(tf, &cur), 0);
    assert_int_equal(cur.value.tv_sec, 0);
    assert_int_equal(cur.value.tv_nsec, 50000000);
    assert_int_equal(expirations(), 3); /* not lost by gettime */
}

static void test_abstime_monotonic(void **state)
{
    (void)state;
    /* uptime is 5 s: fire at 7.000001 s */
    assert_int_equal(set(TFD_TIMER_ABSTIME, 7, 1, 0, 0), 0);
    struct linux_itimerspec cur;
    timerfd_gettime(tf, &cur);
    assert_int_equal(cur.value.tv_sec, 2);
    assert_int_equal(cur.value.tv_nsec, 1000); /* 1 ns rounds up to 1 us */
    fake_advance_us(2000000);
    assert_int_equal(expirations(), 0);
    fake_advance_us(1);
    assert_int_equal(expirations(), 1);
    /* An absolute time in the past is due at once, and announced. */
    int before = fake_changed(tf);
    assert_int_equal(set(TFD_TIMER_ABSTIME, 1, 0, 0, 0), 0);
    assert_int_equal(fake_changed(tf), before + 1);
    assert_int_equal(tf->ops->poll(tf), POLLIN);
    assert_int_equal(expirations(), 1);
    /* Periodic from the past: every interval since it counts. */
    assert_int_equal(set(TFD_TIMER_ABSTIME, 4, 0, 0, 500000000), 0); /* now 7.000001 */
    assert_int_equal(expirations(), 7); /* 4, 4.5, ... 7.0 */
}

static void test_abstime_realtime(void **state)
{
    (void)state;
    file_put(tf);
    tf = timerfd_new(CLOCK_REALTIME, 0);
    uint64_t real = realtime_us();
    int64_t at = (int64_t)(real / 1000000) + 3; /* the next whole second + 2..3 s */
    assert_int_equal(set(TFD_TIMER_ABSTIME, at, 0, 0, 0), 0);
    uint64_t wait = (uint64_t)at * 1000000 - real;
    fake_advance_us(wait - 1);
    assert_int_equal(fake_timer_fired(), 0);
    assert_int_equal(expirations(), 0);
    fake_advance_us(1);
    assert_int_equal(fake_timer_fired(), 1);
    assert_int_equal(expirations(), 1);
    /* Relative times work on the wall clock too. */
    assert_int_equal(set(0, 0, 2000, 0, 0), 0);
    fake_advance_us(2);
    assert_int_equal(expirations(), 1);
}

static void test_realtime_jumps(void **state)
{
    (void)state;
    file_put(tf);
    tf = timerfd_new(CLOCK_REALTIME, 0);
    uint64_t real = realtime_us();
    assert_int_equal(set(TFD_TIMER_ABSTIME, (int64_t)(real / 1000000) + 10, 0, 0, 0), 0);
    /* The wall clock goes back an hour: the callback finds nothing due
     * and waits again, without announcing anything. */
    fake_set_realtime(real - 3600ull * 1000000);
    fake_advance_us(11000000);
    assert_int_equal(fake_changed(tf), 0);
    assert_int_equal(expirations(), 0);
    assert_int_equal(fake_timers_armed(), 1);
    /* It jumps forward past the deadline: due when looked at. */
    fake_set_realtime(real + 20ull * 1000000);
    assert_int_equal(tf->ops->poll(tf), POLLIN);
    assert_int_equal(expirations(), 1);
}

static void test_rearm_and_disarm(void **state)
{
    (void)state;
    struct linux_itimerspec old, cur;
    assert_int_equal(set(0, 10, 0, 1, 0), 0);
    fake_advance_us(3000000);
    /* Re-arm: the old setting comes back, the new one replaces it. */
    struct linux_itimerspec nv = its(2, 0, 0, 0);
    assert_int_equal(timerfd_settime(tf, 0, &nv, &old), 0);
    assert_int_equal(old.value.tv_sec, 7);
    assert_int_equal(old.interval.tv_sec, 1);
    fake_advance_us(2000000);
    assert_int_equal(expirations(), 1);
    fake_advance_us(10000000);
    assert_int_equal(expirations(), 0); /* the old 10 s timer is gone */
    /* Settime clears expirations not yet read. */
    assert_int_equal(set(0, 1, 0, 0, 0), 0);
    fake_advance_us(1000000);
    assert_int_equal(tf->ops->poll(tf), POLLIN);
    assert_int_equal(set(0, 5, 0, 0, 0), 0);
    assert_int_equal(tf->ops->poll(tf), 0);
    /* A zero value disarms and cancels the kernel timer. */
    assert_int_equal(fake_timers_armed(), 1);
    nv = its(0, 0, 3, 0);
    assert_int_equal(timerfd_settime(tf, 0, &nv, &old), 0);
    assert_int_equal(old.value.tv_sec, 5);
    assert_int_equal(fake_timers_armed(), 0);
    fake_advance_us(100000000);
    assert_int_equal(expirations(), 0);
    assert_int_equal(timerfd_gettime(tf, &cur), 0);
    assert_int_equal(cur.value.tv_sec, 0);
    assert_int_equal(cur.value.tv_nsec, 0);
    assert_int_equal(cur.interval.tv_sec, 3); /* kept, as on Linux */
}

static void test_invalid(void **state)
{
    (void)state;
    static const struct file_ops not_timer_ops = {0};
    struct file *other = file_new(&not_timer_ops, 0, NULL);
    struct linux_itimerspec nv = its(1, 0, 0, 0), cur;
    assert_int_equal(timerfd_settime(other, 0, &nv, NULL), -EINVAL);
    assert_int_equal(timerfd_gettime(other, &cur), -EINVAL);
    file_put(other);
    assert_int_equal(set(0, 0, 1000000000, 0, 0), -EINVAL);
    assert_int_equal(set(0, 0, -1, 0, 0), -EINVAL);
    assert_int_equal(set(0, -1, 0, 0, 0), -EINVAL);
    assert_int_equal(set(0, 1, 0, 0, 1000000000), -EINVAL);
    assert_int_equal(set(0, 1, 0, -5, 0), -EINVAL);
    assert_int_equal(set(0, 1, 0, 0, -1), -EINVAL);
    assert_int_equal(set(4, 1, 0, 0, 0), -EINVAL);
    /* Nothing was armed by the failures. */
    assert_int_equal(fake_timers_armed(), 0);
    assert_int_equal(set(TFD_TIMER_CANCEL_ON_SET, 1, 999999999, 0, 0), 0);
    fake_advance_us(2000000);
    assert_int_equal(expirations(), 1);
}

static void test_huge_values_saturate(void **state)
{
    (void)state;
    struct linux_itimerspec cur;
    assert_int_equal(set(0, INT64_MAX, 999999999, INT64_MAX, 0), 0);
    assert_int_equal(fake_timers_armed(), 0); /* never comes */
    fake_advance_us(1000000000);
    assert_int_equal(expirations(), 0);
    assert_int_equal(timerfd_gettime(tf, &cur), 0);
    assert_true(cur.value.tv_sec > 1000000000000ll);
    /* A tiny interval after a long gap: counts, does not loop or overflow. */
    assert_int_equal(set(0, 0, 1, 0, 1), 0);
    fake_advance_us(3600ull * 1000000);
    assert_int_equal(expirations(), 3600ull * 1000000);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_new),
        T(test_one_shot),
        T(test_read_needs_8_bytes),
        T(test_periodic_counts_elapsed_intervals),
        T(test_gettime_forwards_periodic),
        T(test_abstime_monotonic),
        T(test_abstime_realtime),
        T(test_realtime_jumps),
        T(test_rearm_and_disarm),
        T(test_invalid),
        T(test_huge_values_saturate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
