/* Unit tests for percore/futex.c through sys_futex: the WAIT value check and
 * deadlines, WAKE order and counts, REQUEUE/CMP_REQUEUE bookkeeping, and the
 * argument errors. Sleepers are built by hand on the node's hash buckets the
 * way waitq_wait leaves them; current() is the real inline, reading a fake
 * struct core through GS (fake_sched.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fake_sched.h"
#include "sched.h"
#include "uapi.h"

/* Linux's operation numbers; futex.c keeps its own copies private. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_FD 2
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_LOCK_PI 6
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256

#define NTHREADS 8
#define NWORDS 128
#define UWORDS 0x7f0000001000ull /* where words[] is in "user space" */
#define UA(i) (UWORDS + 4ull * (i))
#define UTS 0x7f0000100000ull /* where ts is */
#define UNMAPPED 0x7f0000200000ull

static struct node node;
static struct thread th[NTHREADS];
static uint32_t words[NWORDS];
static struct linux_timespec ts;

/* futex.c's hash; test_wait_bucket checks that WAIT sleeps on this one. */
static struct waitq *bucket_of(uint64_t uaddr)
{
    return &node.futex_wq[(uaddr >> 2) % ARRAY_SIZE(node.futex_wq)];
}

/* What futex_wait + waitq_wait leave behind for a sleeping thread. */
static void block(struct thread *t, uint64_t uaddr)
{
    struct waitq *wq = bucket_of(uaddr);
    t->state = THREAD_BLOCKED;
    t->futex_addr = uaddr;
    t->wq = wq;
    t->wq_next = wq->head;
    wq->head = t;
}

/* The queue, head (newest) first, NULL-terminated in out[NTHREADS + 1]. */
static int queue_of(struct waitq *wq, struct thread **out)
{
    int n = 0;
    for (struct thread *t = wq->head; t; t = t->wq_next) {
        assert_true(n < NTHREADS);
        out[n++] = t;
    }
    out[n] = NULL;
    return n;
}

static void assert_queue(struct waitq *wq, struct thread *const *want, int nwant)
{
    struct thread *got[NTHREADS + 1];
    assert_int_equal(queue_of(wq, got), nwant);
    for (int i = 0; i < nwant; i++)
        assert_ptr_equal(got[i], want[i]);
}

static void assert_woken(int i, struct thread *t)
{
    const struct fake_wake *w = fake_wake_at(i);
    assert_non_null(w);
    assert_ptr_equal(w->t, t);
    assert_int_equal(w->result, 0);
    assert_int_equal(t->state, THREAD_RUNNABLE);
    assert_null(t->wq);
}

static void assert_asleep(struct thread *t, uint64_t uaddr)
{
    assert_int_equal(t->state, THREAD_BLOCKED);
    assert_int_equal(t->futex_addr, uaddr);
    assert_ptr_equal(t->wq, bucket_of(uaddr));
    struct thread *q[NTHREADS + 1];
    int n = queue_of(t->wq, q), found = 0;
    for (int i = 0; i < n; i++)
        found += q[i] == t;
    assert_int_equal(found, 1);
}

static int64_t futex(uint64_t uaddr, int op, uint32_t val, uint64_t utimeout, uint64_t uaddr2, uint32_t val3)
{
    return sys_futex(uaddr, op, val, utimeout, uaddr2, val3);
}

static int setup(void **state)
{
    (void)state;
    memset(&node, 0, sizeof(node));
    memset(th, 0, sizeof(th));
    for (int i = 0; i < NTHREADS; i++) {
        th[i].node = &node;
        th[i].tid = i + 1;
    }
    memset(words, 0, sizeof(words));
    memset(&ts, 0, sizeof(ts));
    fake_sched_reset(&th[0]);
    fake_user_add(UWORDS, words, sizeof(words));
    fake_user_add(UTS, &ts, sizeof(ts));
    return 0;
}

/* ---- the harness itself */

static void test_current_through_gs(void **state)
{
    (void)state;
    assert_ptr_equal(this_core(), fake_sched_core());
    assert_ptr_equal(current(), &th[0]);
    fake_set_current(&th[3]);
    assert_ptr_equal(current(), &th[3]);
}

/* ---- argument errors */

static void test_unaligned_einval(void **state)
{
    (void)state;
    static const int ops[] = {FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE,
                              FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET, FUTEX_WAIT | FUTEX_PRIVATE_FLAG};
    block(&th[1], UA(0));
    for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
        for (uint64_t off = 1; off < 4; off++)
            assert_int_equal(futex(UA(0) + off, ops[i], 0, 0, UA(1), 0), -EINVAL);
    assert_int_equal(fake_wait_count(), 0);
    assert_int_equal(fake_wake_count(), 0);
    assert_asleep(&th[1], UA(0));
}

static void test_unknown_op_enosys(void **state)
{
    (void)state;
    static const int ops[] = {FUTEX_FD, FUTEX_WAKE_OP, FUTEX_LOCK_PI, 7, 8, 11, 12, 13, 127,
                              FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG};
    block(&th[1], UA(0));
    for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
        assert_int_equal(futex(UA(0), ops[i], 1, 0, UA(1), 0), -ENOSYS);
    assert_int_equal(fake_wait_count(), 0);
    assert_int_equal(fake_wake_count(), 0);
    assert_asleep(&th[1], UA(0));
}

/* ---- WAIT */

static void test_wait_value_mismatch_eagain(void **state)
{
    (void)state;
    words[0] = 5;
    assert_int_equal(futex(UA(0), FUTEX_WAIT, 6, 0, 0, 0), -EAGAIN);
    assert_int_equal(futex(UA(0), FUTEX_WAIT_BITSET, 0, 0, 0, ~0u), -EAGAIN);
    assert_int_equal(futex(UA(0), FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0xffffffffu, 0, 0, 0), -EAGAIN);
    assert_int_equal(fake_wait_count(), 0);
    assert_int_equal(th[0].futex_addr, 0);
    assert_null(bucket_of(UA(0))->head);
}

static void test_wait_unmapped_efault(void **state)
{
    (void)state;
    assert_int_equal(futex(UNMAPPED, FUTEX_WAIT, 0, 0, 0, 0), -EFAULT);
    /* The last word of the region is readable, the one after it is not. */
    assert_int_equal(futex(UA(NWORDS), FUTEX_WAIT, 0, 0, 0, 0), -EFAULT);
    assert_int_equal(futex(UWORDS - 4, FUTEX_WAIT_BITSET, 0, 0, 0, ~0u), -EFAULT);
    assert_int_equal(fake_wait_count(), 0);
    assert_int_equal(futex(UA(NWORDS - 1), FUTEX_WAIT, 0, 0, 0, 0), -ETIMEDOUT);
    assert_int_equal(fake_wait_count(), 1);
}

static void test_wait_sleeps_on_bucket(void **state)
{
    (void)state;
    words[7] = 0x12345678;
    fake_wait_script(0);
    assert_int_equal(futex(UA(7), FUTEX_WAIT, 0x12345678, 0, 0, 0), 0);
    assert_int_equal(fake_wait_count(), 1);
    const struct fake_wait *w = fake_wait_at(0);
    assert_ptr_equal(w->t, &th[0]);
    assert_ptr_equal(w->wq, bucket_of(UA(7)));
    assert_int_equal(w->deadline, WAIT_FOREVER);
    assert_int_equal(w->futex_addr, UA(7)); /* so WAKE can find it */
    assert_int_equal(th[0].futex_addr, 0);  /* cleared after */
    assert_null(bucket_of(UA(7))->head);
    assert_int_equal(fake_wake_count(), 0);
}

static void test_wait_bucket(void **state)
{
    (void)state;
    /* Every word sleeps on the bucket bucket_of() names; words 64 apart share
     * one, which the same-bucket tests below rely on. */
    for (int i = 0; i < NWORDS; i++)
        assert_int_equal(futex(UA(i), FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, 0, 0, 0), -ETIMEDOUT);
    for (int i = 0; i < NWORDS; i++)
        assert_ptr_equal(fake_wait_at(i)->wq, bucket_of(UA(i)));
    assert_ptr_equal(bucket_of(UA(0)), bucket_of(UA(64)));
    assert_ptr_not_equal(bucket_of(UA(0)), bucket_of(UA(1)));
}

static void test_wait_result_passes_through(void **state)
{
    (void)state;
    static const int results[] = {0, -ETIMEDOUT, -EINTR};
    for (size_t i = 0; i < ARRAY_SIZE(results); i++) {
        fake_wait_script(results[i]);
        assert_int_equal(futex(UA(1), FUTEX_WAIT, 0, 0, 0, 0), results[i]);
        assert_int_equal(th[0].futex_addr, 0);
    }
    node.dying = true; /* waitq_wait refuses to sleep */
    assert_int_equal(futex(UA(1), FUTEX_WAIT, 0, 0, 0, 0), -EINTR);
    assert_int_equal(th[0].futex_addr, 0);
}

static void test_wait_relative_deadline(void **state)
{
    (void)state;
    static const struct {
        int64_t sec, nsec;
        uint64_t us;
    } cases[] = {
        /* rounded up to whole microseconds: a wait never ends early */
        {0, 0, 0}, {0, 999, 1}, {0, 1000, 1}, {0, 1999, 2}, {2, 500000000, 2500000},
        {0, 999999999, 1000000}, {86400, 0, 86400000000ull},
    };
    uint64_t now = 7000123;
    fake_set_uptime(now);
    fake_set_realtime(1700000000000000ull); /* a relative wait ignores it */
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        ts.tv_sec = cases[i].sec;
        ts.tv_nsec = cases[i].nsec;
        int op = i % 2 ? FUTEX_WAIT | FUTEX_PRIVATE_FLAG : FUTEX_WAIT | FUTEX_CLOCK_REALTIME;
        assert_int_equal(futex(UA(2), op, 0, UTS, 0, 0), -ETIMEDOUT);
        /* +1: a deadline is never 0, which would mean forever */
        assert_int_equal(fake_wait_at((int)i)->deadline, now + cases[i].us + 1);
    }
}

static void test_wait_bitset_absolute_monotonic(void **state)
{
    (void)state;
    uint64_t now = 5000000;
    fake_set_uptime(now);
    fake_set_realtime(1700000000000000ull);
    ts = (struct linux_timespec){7, 250000000}; /* 2.25 s from now */
    assert_int_equal(futex(UA(3), FUTEX_WAIT_BITSET, 0, UTS, 0, ~0u), -ETIMEDOUT);
    assert_int_equal(fake_wait_at(0)->deadline, now + 2250000 + 1);
    ts = (struct linux_timespec){5, 0}; /* exactly now */
    assert_int_equal(futex(UA(3), FUTEX_WAIT_BITSET, 0, UTS, 0, ~0u), -ETIMEDOUT);
    assert_int_equal(fake_wait_at(1)->deadline, now + 1);
    ts = (struct linux_timespec){3, 0}; /* in the past: expires at once */
    assert_int_equal(futex(UA(3), FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0, UTS, 0, ~0u), -ETIMEDOUT);
    assert_int_equal(fake_wait_at(2)->deadline, now + 1);
    assert_int_equal(futex(UA(3), FUTEX_WAIT_BITSET, 0, 0, 0, ~0u), -ETIMEDOUT);
    assert_int_equal(fake_wait_at(3)->deadline, WAIT_FOREVER);
}

static void test_wait_bitset_absolute_realtime(void **state)
{
    (void)state;
    uint64_t now = 5000000, wall = 1700000000123456ull;
    fake_set_uptime(now);
    fake_set_realtime(wall);
    uint64_t at = wall + 3000000 + 17; /* 3.000017 s from now on the wall clock */
    ts = (struct linux_timespec){(int64_t)(at / 1000000), (int64_t)(at % 1000000) * 1000 + 999};
    assert_int_equal(futex(UA(4), FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, UTS, 0, ~0u), -ETIMEDOUT);
    assert_int_equal(fake_wait_at(0)->deadline, now + 3000018 + 1); /* the 999 ns round up */
    ts = (struct linux_timespec){(int64_t)(wall / 1000000) - 10, 0}; /* past */
    assert_int_equal(futex(UA(4), FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME | FUTEX_PRIVATE_FLAG, 0,
                           UTS, 0, ~0u), -ETIMEDOUT);
    assert_int_equal(fake_wait_at(1)->deadline, now + 1);
    /* A wall-clock time read as monotonic would be ~54 years away. */
    ts = (struct linux_timespec){(int64_t)(at / 1000000), 0};
    assert_int_equal(futex(UA(4), FUTEX_WAIT_BITSET, 0, UTS, 0, ~0u), -ETIMEDOUT);
    assert_int_equal(fake_wait_at(2)->deadline, at / 1000000 * 1000000 + 1);
}

static void test_wait_bad_timespec(void **state)
{
    (void)state;
    static const struct linux_timespec bad[] = {
        {0, -1}, {0, 1000000000}, {1, 1000000000}, {-1, 0}, {-1, 999999999}, {INT64_MIN, 0}, {0, INT64_MAX},
    };
    static const int ops[] = {FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        for (size_t j = 0; j < ARRAY_SIZE(ops); j++) {
            ts = bad[i];
            assert_int_equal(futex(UA(5), ops[j], 0, UTS, 0, ~0u), -EINVAL);
            /* checked before the value */
            assert_int_equal(futex(UA(5), ops[j], 1, UTS, 0, ~0u), -EINVAL);
        }
    assert_int_equal(fake_wait_count(), 0);
    assert_int_equal(futex(UA(5), FUTEX_WAIT, 0, UNMAPPED, 0, 0), -EFAULT);
    assert_int_equal(futex(UA(5), FUTEX_WAIT_BITSET, 0, UTS + 8, 0, ~0u), -EFAULT); /* half mapped */
    assert_int_equal(fake_wait_count(), 0);
    assert_int_equal(th[0].futex_addr, 0);
}

/* A timeout meant as "practically forever", such as {INT64_MAX, 999999999}
 * (Linux saturates it), must not wrap around into a deadline in the past
 * (a bug this test found: tv_sec * 1000000 and now + us overflowed). */
static void test_wait_huge_timeout_does_not_wrap(void **state)
{
    (void)state;
    uint64_t now = 10000000, year = 366ull * 86400 * 1000000;
    fake_set_uptime(now);
    fake_set_realtime(1700000000000000ull);
    static const int ops[] = {FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME};
    for (size_t j = 0; j < ARRAY_SIZE(ops); j++) {
        ts = (struct linux_timespec){INT64_MAX, 999999999};
        assert_int_equal(futex(UA(6), ops[j], 0, UTS, 0, ~0u), -ETIMEDOUT);
        uint64_t d = fake_wait_at((int)j)->deadline;
        assert_true(d == WAIT_FOREVER || d > now + 1000 * year);
    }
}

/* ---- WAKE */

static void test_wake_oldest_first(void **state)
{
    (void)state;
    block(&th[1], UA(0));
    block(&th[2], UA(0));
    block(&th[3], UA(0));
    block(&th[4], UA(0));
    assert_int_equal(futex(UA(0), FUTEX_WAKE, 1, 0, 0, 0), 1);
    assert_woken(0, &th[1]);
    assert_int_equal(futex(UA(0), FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 2, 0, 0, 0), 2);
    assert_woken(1, &th[2]);
    assert_woken(2, &th[3]);
    assert_asleep(&th[4], UA(0));
    assert_int_equal(futex(UA(0), FUTEX_WAKE, 0x7fffffff, 0, 0, 0), 1);
    assert_woken(3, &th[4]);
    assert_int_equal(futex(UA(0), FUTEX_WAKE, 0x7fffffff, 0, 0, 0), 0);
    assert_int_equal(fake_wake_count(), 4);
    assert_null(bucket_of(UA(0))->head);
    assert_int_equal(fake_user_reads(), 0); /* WAKE never reads the word */
}

static void test_wake_count_larger_than_waiters(void **state)
{
    (void)state;
    block(&th[1], UA(9));
    block(&th[2], UA(9));
    assert_int_equal(futex(UA(9), FUTEX_WAKE, 5, 0, 0, 0), 2);
    assert_woken(0, &th[1]);
    assert_woken(1, &th[2]);
    assert_int_equal(futex(UA(9), FUTEX_WAKE, 1, 0, 0, 0), 0);
    assert_int_equal(futex(UNMAPPED, FUTEX_WAKE, 1, 0, 0, 0), 0);
    assert_int_equal(fake_wake_count(), 2);
}

static void test_wake_leaves_other_words(void **state)
{
    (void)state;
    uint64_t a = UA(0), same = UA(64), other = UA(1);
    assert_ptr_equal(bucket_of(a), bucket_of(same));
    /* Interleaved on one bucket, plus a neighbour in another bucket. */
    block(&th[1], same);
    block(&th[2], a);
    block(&th[3], same);
    block(&th[4], a);
    block(&th[5], other);
    block(&th[6], same);
    assert_int_equal(futex(a, FUTEX_WAKE_BITSET, 10, 0, 0, ~0u), 2);
    assert_int_equal(fake_wake_count(), 2);
    assert_woken(0, &th[2]);
    assert_woken(1, &th[4]);
    struct thread *const left[] = {&th[6], &th[3], &th[1]};
    assert_queue(bucket_of(a), left, 3);
    for (int i = 0; i < 3; i++)
        assert_asleep(left[i], same);
    assert_asleep(&th[5], other);
    struct thread *const nb[] = {&th[5]};
    assert_queue(bucket_of(other), nb, 1);
    /* and the other word's oldest goes first too */
    assert_int_equal(futex(same, FUTEX_WAKE, 1, 0, 0, 0), 1);
    assert_woken(2, &th[1]);
}

static void test_wake_via_futex_wake(void **state)
{
    (void)state;
    /* futex_wake() is also called directly, by thread exit for CLEARTID. */
    block(&th[1], UA(8));
    block(&th[2], UA(8));
    assert_int_equal(futex_wake(&node, UA(8), 1), 1);
    assert_woken(0, &th[1]);
    assert_asleep(&th[2], UA(8));
}

/* ---- REQUEUE, CMP_REQUEUE */

static void test_requeue_moves_nmove(void **state)
{
    (void)state;
    uint64_t a = UA(10), b = UA(20);
    for (int i = 1; i <= 5; i++)
        block(&th[i], a);
    block(&th[6], b);
    /* wake 1, move 2: 3 in all */
    assert_int_equal(futex(a, FUTEX_REQUEUE, 1, 2, b, 0), 3);
    assert_int_equal(fake_wake_count(), 1);
    assert_woken(0, &th[1]);
    int moved = 0, stayed = 0;
    for (int i = 2; i <= 5; i++) {
        if (th[i].futex_addr == b) {
            assert_asleep(&th[i], b);
            moved++;
        } else {
            assert_asleep(&th[i], a);
            stayed++;
        }
    }
    assert_int_equal(moved, 2);
    assert_int_equal(stayed, 2);
    assert_asleep(&th[6], b);
    struct thread *q[NTHREADS + 1];
    assert_int_equal(queue_of(bucket_of(a), q), 2);
    assert_int_equal(queue_of(bucket_of(b), q), 3);
    assert_int_equal(fake_user_reads(), 0); /* plain REQUEUE never reads the word */
}

static void test_requeue_more_than_waiters(void **state)
{
    (void)state;
    uint64_t a = UA(10), b = UA(11);
    block(&th[1], a);
    block(&th[2], a);
    block(&th[3], a);
    assert_int_equal(futex(a, FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG, 0, 0x7fffffff, b, 0), 3);
    assert_int_equal(fake_wake_count(), 0);
    for (int i = 1; i <= 3; i++)
        assert_asleep(&th[i], b);
    assert_null(bucket_of(a)->head);
    /* nmove 0: a plain wake */
    assert_int_equal(futex(b, FUTEX_REQUEUE, 1, 0, a, 0), 1);
    assert_int_equal(fake_wake_count(), 1);
    assert_null(bucket_of(a)->head);
    /* nothing waiting */
    assert_int_equal(futex(UA(12), FUTEX_REQUEUE, 1, 1, a, 0), 0);
}

/* Linux wakes the nwake oldest and then moves the next nmove oldest,
 * keeping their order (futex.c once moved the newest, reversed). */
static void test_requeue_moves_oldest_in_order(void **state)
{
    (void)state;
    uint64_t a = UA(10), b = UA(20);
    for (int i = 1; i <= 5; i++)
        block(&th[i], a);
    assert_int_equal(futex(a, FUTEX_REQUEUE, 1, 2, b, 0), 3);
    assert_woken(0, &th[1]);
    assert_asleep(&th[2], b);
    assert_asleep(&th[3], b);
    assert_asleep(&th[4], a);
    assert_asleep(&th[5], a);
    assert_int_equal(futex(b, FUTEX_WAKE, 1, 0, 0, 0), 1);
    assert_woken(1, &th[2]);
}

static void test_requeue_appends_after_existing(void **state)
{
    (void)state;
    /* Those already waiting on uaddr2 stay older than the requeued ones. */
    uint64_t a = UA(10), b = UA(20);
    block(&th[1], b);
    block(&th[2], a);
    assert_int_equal(futex(a, FUTEX_REQUEUE, 0, 1, b, 0), 1);
    assert_int_equal(futex(b, FUTEX_WAKE, 1, 0, 0, 0), 1);
    assert_woken(0, &th[1]);
    assert_asleep(&th[2], b);
}

static void test_requeue_leaves_other_words(void **state)
{
    (void)state;
    uint64_t a = UA(0), same = UA(64), b = UA(30);
    block(&th[1], same);
    block(&th[2], a);
    block(&th[3], same);
    block(&th[4], a);
    block(&th[5], same);
    assert_int_equal(futex(a, FUTEX_REQUEUE, 0, 10, b, 0), 2);
    assert_int_equal(fake_wake_count(), 0);
    assert_asleep(&th[2], b);
    assert_asleep(&th[4], b);
    struct thread *const left[] = {&th[5], &th[3], &th[1]};
    assert_queue(bucket_of(a), left, 3);
    for (int i = 0; i < 3; i++)
        assert_asleep(left[i], same);
}

static void test_requeue_within_bucket(void **state)
{
    (void)state;
    /* uaddr2 hashes to uaddr's bucket: the threads only change words. */
    uint64_t a = UA(0), b = UA(64);
    block(&th[1], a);
    block(&th[2], a);
    block(&th[3], b);
    assert_int_equal(futex(a, FUTEX_REQUEUE, 0, 5, b, 0), 2);
    for (int i = 1; i <= 3; i++)
        assert_asleep(&th[i], b);
    struct thread *q[NTHREADS + 1];
    assert_int_equal(queue_of(bucket_of(a), q), 3);
    assert_int_equal(futex(b, FUTEX_WAKE, 10, 0, 0, 0), 3);
}

/* REQUEUE onto the same word moves nothing and counts each waiter once
 * (futex.c once re-took the same waiter nmove times, spinning). */
static void test_requeue_onto_itself(void **state)
{
    (void)state;
    uint64_t a = UA(40);
    block(&th[1], a);
    block(&th[2], a);
    assert_int_equal(futex(a, FUTEX_REQUEUE, 0, 1000, a, 0), 2);
    assert_asleep(&th[1], a);
    assert_asleep(&th[2], a);
}

static void test_cmp_requeue(void **state)
{
    (void)state;
    uint64_t a = UA(10), b = UA(20);
    words[10] = 42;
    for (int i = 1; i <= 4; i++)
        block(&th[i], a);
    /* the value differs: nothing happens */
    assert_int_equal(futex(a, FUTEX_CMP_REQUEUE, 1, 1, b, 41), -EAGAIN);
    assert_int_equal(fake_wake_count(), 0);
    for (int i = 1; i <= 4; i++)
        assert_asleep(&th[i], a);
    /* it matches: as REQUEUE */
    assert_int_equal(futex(a, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG, 1, 1, b, 42), 2);
    assert_int_equal(fake_wake_count(), 1);
    assert_woken(0, &th[1]);
    struct thread *q[NTHREADS + 1];
    assert_int_equal(queue_of(bucket_of(a), q), 2);
    assert_int_equal(queue_of(bucket_of(b), q), 1);
    assert_int_equal(q[0]->futex_addr, b);
}

static void test_cmp_requeue_unmapped_efault(void **state)
{
    (void)state;
    uint64_t a = UNMAPPED, b = UA(20);
    block(&th[1], a);
    assert_int_equal(futex(a, FUTEX_CMP_REQUEUE, 1, 1, b, 0), -EFAULT);
    assert_int_equal(fake_wake_count(), 0);
    assert_asleep(&th[1], a);
    /* plain REQUEUE does not look at the word */
    assert_int_equal(futex(a, FUTEX_REQUEUE, 0, 1, b, 0), 1);
    assert_asleep(&th[1], b);
}

/* ---- a whole wait: requeued while asleep, then woken on the new word */

static void requeue_then_wake(void)
{
    fake_set_current(&th[5]); /* another thread of the node runs */
    assert_int_equal(futex(UA(0), FUTEX_REQUEUE, 0, 1, UA(1), 0), 1);
    assert_int_equal(th[0].futex_addr, UA(1));
    assert_ptr_equal(th[0].wq, bucket_of(UA(1)));
    assert_int_equal(futex(UA(0), FUTEX_WAKE, 1, 0, 0, 0), 0);
    assert_int_equal(futex(UA(1), FUTEX_WAKE, 1, 0, 0, 0), 1);
    fake_set_current(&th[0]);
}

static void test_wait_requeued_then_woken(void **state)
{
    (void)state;
    fake_wait_hook(requeue_then_wake);
    assert_int_equal(futex(UA(0), FUTEX_WAIT, 0, 0, 0, 0), 0);
    assert_int_equal(fake_wake_count(), 1);
    assert_woken(0, &th[0]);
    assert_int_equal(th[0].futex_addr, 0);
    assert_null(bucket_of(UA(0))->head);
    assert_null(bucket_of(UA(1))->head);
}

static void wake_self_word(void)
{
    fake_set_current(&th[5]);
    assert_int_equal(futex(UA(3), FUTEX_WAKE, 1, 0, 0, 0), 1);
    fake_set_current(&th[0]);
}

static void test_wait_then_woken(void **state)
{
    (void)state;
    block(&th[1], UA(3)); /* older: WAKE 1 must take it, not us */
    fake_wait_hook(wake_self_word);
    assert_int_equal(futex(UA(3), FUTEX_WAIT, 0, 0, 0, 0), -ETIMEDOUT);
    assert_woken(0, &th[1]);
    assert_null(bucket_of(UA(3))->head);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_current_through_gs, setup),
        cmocka_unit_test_setup(test_unaligned_einval, setup),
        cmocka_unit_test_setup(test_unknown_op_enosys, setup),
        cmocka_unit_test_setup(test_wait_value_mismatch_eagain, setup),
        cmocka_unit_test_setup(test_wait_unmapped_efault, setup),
        cmocka_unit_test_setup(test_wait_sleeps_on_bucket, setup),
        cmocka_unit_test_setup(test_wait_bucket, setup),
        cmocka_unit_test_setup(test_wait_result_passes_through, setup),
        cmocka_unit_test_setup(test_wait_relative_deadline, setup),
        cmocka_unit_test_setup(test_wait_bitset_absolute_monotonic, setup),
        cmocka_unit_test_setup(test_wait_bitset_absolute_realtime, setup),
        cmocka_unit_test_setup(test_wait_bad_timespec, setup),
        cmocka_unit_test_setup(test_wait_huge_timeout_does_not_wrap, setup),
        cmocka_unit_test_setup(test_wake_oldest_first, setup),
        cmocka_unit_test_setup(test_wake_count_larger_than_waiters, setup),
        cmocka_unit_test_setup(test_wake_leaves_other_words, setup),
        cmocka_unit_test_setup(test_wake_via_futex_wake, setup),
        cmocka_unit_test_setup(test_requeue_moves_nmove, setup),
        cmocka_unit_test_setup(test_requeue_more_than_waiters, setup),
        cmocka_unit_test_setup(test_requeue_moves_oldest_in_order, setup),
        cmocka_unit_test_setup(test_requeue_appends_after_existing, setup),
        cmocka_unit_test_setup(test_requeue_leaves_other_words, setup),
        cmocka_unit_test_setup(test_requeue_within_bucket, setup),
        cmocka_unit_test_setup(test_requeue_onto_itself, setup),
        cmocka_unit_test_setup(test_cmp_requeue, setup),
        cmocka_unit_test_setup(test_cmp_requeue_unmapped_efault, setup),
        cmocka_unit_test_setup(test_wait_requeued_then_woken, setup),
        cmocka_unit_test_setup(test_wait_then_woken, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
