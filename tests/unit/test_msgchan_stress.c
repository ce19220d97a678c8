/* Threaded tests for msgchan/msgchan.c: a producer thread and a consumer
 * thread over one ring, each through its own mapping of the region (its own
 * block writable, the rest read-only).
 *   - in order: 10 million messages of random sizes (0 to the maximum, through
 *     send and sendv, received with exact, short and ample buffers), each
 *     checked byte for byte: no loss, no reordering, no duplication;
 *   - resets: both sides reset at random in the middle of traffic; within an
 *     epoch nothing is lost, and epochs never mix;
 *   - the two Dekker pairs (sleep / send, wait / free) raced head to head.
 * A side blocks on a futex only after prepare_sleep/prepare_wait said so, and
 * is woken only by the other ringing when the library asks; a lost wake-up
 * leaves it asleep, and after TIMEOUT_S the test fails instead of hanging.
 *
 * msgchan.mk builds this file at -O2 without sanitizers; ten million
 * messages take too long under ASan on two cores, so
 * test_msgchan_stress_asan.c includes it with smaller counts. */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "msgchan.h"

#ifndef STRESS_MSGS
#define STRESS_MSGS 10000000ull /* in order, whole, once each */
#endif
#ifndef RESET_MSGS
#define RESET_MSGS 1000000ull /* with resets from both sides in the middle */
#endif
#ifndef RING
#define RING 16384u
#endif
#ifndef JITTER
#define JITTER 1024
#endif
#ifndef DUEL_ROUNDS
#define DUEL_ROUNDS 200000ull
#endif
#define TIMEOUT_S 10
#ifndef SPINS
#define SPINS 1000 /* polls before announcing sleep */
#endif

/* ---- a doorbell: a futex word the ringer bumps ---- */

struct bell {
    uint32_t word;
    uint64_t rung;
};

static void bell_ring(struct bell *b)
{
    __atomic_fetch_add(&b->word, 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, &b->word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    b->rung++;
}

/* ---- the two threads' shared state ---- */

struct ctx {
    int fd;
    size_t size;
    uint8_t *view[2];
    struct msgchan_tx tx;
    struct msgchan_rx rx;
    struct bell to_cons, to_prod;
    uint64_t total;
    bool resets;
    int stop;                 /* a side failed: the other gives up */
    char failed[2][160];      /* producer, consumer */
    uint64_t sleeps, waits;   /* blocking waits that a doorbell ended */
    uint64_t tx_resets, rx_resets, rx_econnreset, received;
};

#define FAIL(c, side, ...)                                                       \
    do {                                                                         \
        snprintf((c)->failed[side], sizeof((c)->failed[side]), __VA_ARGS__);     \
        __atomic_store_n(&(c)->stop, 1, __ATOMIC_SEQ_CST);                       \
        bell_ring(&(c)->to_cons);                                                \
        bell_ring(&(c)->to_prod);                                                \
        return NULL;                                                             \
    } while (0)

/* Sleeps until the bell moves from seen. False after TIMEOUT_S: the wake-up
 * the library promised never came. */
static bool bell_wait(struct ctx *c, struct bell *b, uint32_t seen)
{
    struct timespec end, now;
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += TIMEOUT_S;
    while (__atomic_load_n(&b->word, __ATOMIC_SEQ_CST) == seen && !__atomic_load_n(&c->stop, __ATOMIC_SEQ_CST)) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t ns = (int64_t)(end.tv_sec - now.tv_sec) * 1000000000 + (end.tv_nsec - now.tv_nsec);
        if (ns <= 0)
            return false;
        struct timespec rel = {ns / 1000000000, ns % 1000000000};
        syscall(SYS_futex, &b->word, FUTEX_WAIT_PRIVATE, seen, &rel, NULL, 0);
    }
    return true;
}

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Mostly small messages (as distribution traffic is), some at and just below
 * the maximum. */
static uint32_t msg_len(uint64_t k, uint32_t min)
{
    uint64_t h = mix(k);
    uint32_t max = MSGCHAN_MAX_MSG(RING), len;
    if (h % 256 == 0)
        len = max;
    else if (h % 256 == 1)
        len = max - (uint32_t)(h >> 40) % 64;
    else
        len = (uint32_t)(h >> 20) & ((1u << (h >> 8) % 13) - 1);
    return len < min ? min : len > max ? max : len;
}

static void msg_fill(uint8_t *buf, uint64_t k, uint32_t from, uint32_t len)
{
    uint64_t x = mix(k ^ 0x5555);
    uint32_t i = from;
    for (; i + 8 <= len; i += 8) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t w = x ^ (x >> 29);
        memcpy(buf + i, &w, 8);
    }
    for (; i < len; i++)
        buf[i] = (uint8_t)(k + i);
}

/* Polls before announcing sleep; none at all in some stretches, so that
 * both sides block and ring each other for nearly every message there. */
static int spin_limit(uint64_t k)
{
    return (k >> 14) % 16 == 7 ? 0 : SPINS;
}

/* A poll of the other side while spinning; let it have the CPU now and then
 * (the machine may be shared). */
static void relax(int spins)
{
    if (spins % 64 == 63)
        sched_yield();
    else
        __builtin_ia32_pause();
}

/* The pauses that make the other side run dry (and sleep) or fill up (and
 * wait). */
static void maybe_pause(uint64_t k, uint64_t salt)
{
    if (mix(k ^ salt) % 3000 == 0) {
        struct timespec ts = {0, 20000 + (long)(mix(k) % 80000)};
        nanosleep(&ts, NULL);
    }
}

/* In reset mode each message starts with k (8 bytes), the producer's
 * incarnation (4), the length (4) and the first k of that incarnation (8). */
#define PREFIX 24u

static void *producer(void *arg)
{
    struct ctx *c = arg;
    static uint8_t buf[RING];
    uint32_t inc = 0;
    uint64_t next_reset = 1000, inc_first = 0;
    for (uint64_t k = 0; k < c->total; k++) {
        uint32_t len = msg_len(k, c->resets ? PREFIX : 0);
        msg_fill(buf, k, 0, len);
        if (c->resets && k == next_reset && k < c->total * 9 / 10) {
            msgchan_tx_reset(&c->tx);
            if (msgchan_tx_doorbell(&c->tx))
                bell_ring(&c->to_cons);
            inc++;
            inc_first = k;
            c->tx_resets++;
            next_reset = k + 1 + mix(k) % 20000;
        }
        for (int spins = 0;;) {
            if (c->resets) {
                memcpy(buf, &k, 8);
                memcpy(buf + 8, &inc, 4);
                memcpy(buf + 12, &len, 4);
                memcpy(buf + 16, &inc_first, 8);
            }
            int r;
            if (k % 7 == 3) { /* gather: three pieces, some empty */
                uint32_t a = (uint32_t)(mix(k) % (len + 1)), b = a + (uint32_t)(mix(k + 1) % (len - a + 1));
                struct msgchan_iov iov[3] = {{buf, a}, {buf + a, b - a}, {buf + b, len - b}};
                r = msgchan_sendv(&c->tx, iov, 3);
            } else {
                r = msgchan_send(&c->tx, buf, len);
            }
            if (msgchan_tx_doorbell(&c->tx))
                bell_ring(&c->to_cons);
            if (r == 0)
                break;
            if (__atomic_load_n(&c->stop, __ATOMIC_SEQ_CST))
                return NULL;
            if (r == -MSGCHAN_ECONNRESET && c->resets) {
                inc++;
                inc_first = k;
                c->tx_resets++;
                continue;
            }
            if (r != -MSGCHAN_EAGAIN)
                FAIL(c, 0, "producer: send of message %llu returned %d", (unsigned long long)k, r);
            if (++spins < spin_limit(k)) {
                relax(spins);
                continue;
            }
            spins = 0;
            uint32_t seen = __atomic_load_n(&c->to_prod.word, __ATOMIC_SEQ_CST);
            if (msgchan_tx_prepare_wait(&c->tx, len)) {
                if (!bell_wait(c, &c->to_prod, seen))
                    FAIL(c, 0, "producer: no doorbell for %d s at message %llu (lost wake-up)",
                         TIMEOUT_S, (unsigned long long)k);
                msgchan_tx_awake(&c->tx);
                c->waits++;
            }
        }
        maybe_pause(k, 1);
    }
    return NULL;
}

/* In order, whole, once: message k is exactly what the producer made. */
static void *consumer_plain(void *arg)
{
    struct ctx *c = arg;
    static uint8_t buf[RING], want[RING];
    bool tried_short = false;
    for (uint64_t k = 0; k < c->total;) {
        uint32_t len = msg_len(k, 0);
        uint32_t cap = k % 17 == 0 && len && !tried_short ? len - 1 : len;
        int r = k % 13 == 0 ? msgchan_peek(&c->rx) : msgchan_recv(&c->rx, buf, cap);
        if (msgchan_rx_doorbell(&c->rx))
            bell_ring(&c->to_prod);
        if (r >= 0 && k % 13 == 0) {
            if ((uint32_t)r != len)
                FAIL(c, 1, "consumer: peek says %d, message %llu has %u", r, (unsigned long long)k, len);
            r = msgchan_recv(&c->rx, buf, cap);
            if (msgchan_rx_doorbell(&c->rx))
                bell_ring(&c->to_prod);
        }
        if (r >= 0) {
            msg_fill(want, k, 0, len);
            if ((uint32_t)r != len || memcmp(buf, want, len))
                FAIL(c, 1, "consumer: message %llu: got %d bytes, want %u (lost, reordered or mixed)",
                     (unsigned long long)k, r, len);
            k++;
            tried_short = false;
            c->received++;
            maybe_pause(k, 2);
            continue;
        }
        if (r == -MSGCHAN_EMSGSIZE && cap < len) {
            tried_short = true;
            continue;
        }
        if (r != -MSGCHAN_EAGAIN)
            FAIL(c, 1, "consumer: recv of message %llu returned %d", (unsigned long long)k, r);
        int spins = 0;
        while (spins < spin_limit(k) && !msgchan_rx_ready(&c->rx))
            relax(spins++);
        if (spins < spin_limit(k))
            continue;
        uint32_t seen = __atomic_load_n(&c->to_cons.word, __ATOMIC_SEQ_CST);
        if (msgchan_rx_prepare_sleep(&c->rx)) {
            if (!bell_wait(c, &c->to_cons, seen))
                FAIL(c, 1, "consumer: no doorbell for %d s waiting for message %llu (lost wake-up)",
                     TIMEOUT_S, (unsigned long long)k);
            msgchan_rx_awake(&c->rx);
            c->sleeps++;
        }
        if (__atomic_load_n(&c->stop, __ATOMIC_SEQ_CST))
            return NULL;
    }
    return NULL;
}

/* With resets: within one producer incarnation no loss, no reordering; a new
 * incarnation only after -ECONNRESET, never an older one after it, and from
 * its first message on (the reset drops only what came before it). */
static void *consumer_resets(void *arg)
{
    struct ctx *c = arg;
    static uint8_t buf[RING], want[RING];
    uint64_t last = UINT64_MAX, next_reset = 5000;
    uint32_t cur_inc = 0;
    bool reset_seen = false;
    while (last + 1 != c->total) {
        int r = msgchan_recv(&c->rx, buf, sizeof(buf));
        if (msgchan_rx_doorbell(&c->rx))
            bell_ring(&c->to_prod);
        if (r >= 0) {
            uint64_t k, first;
            uint32_t inc, len;
            if ((uint32_t)r < PREFIX)
                FAIL(c, 1, "consumer: a %d-byte message", r);
            memcpy(&k, buf, 8);
            memcpy(&inc, buf + 8, 4);
            memcpy(&len, buf + 12, 4);
            memcpy(&first, buf + 16, 8);
            msg_fill(want, k, 0, len);
            if (len != (uint32_t)r || k >= c->total || len != msg_len(k, PREFIX) ||
                memcmp(buf + PREFIX, want + PREFIX, len - PREFIX))
                FAIL(c, 1, "consumer: message %llu is not whole (%d bytes)", (unsigned long long)k, r);
            if (reset_seen ? !(inc > cur_inc && k == first && (last == UINT64_MAX || k > last))
                           : !(inc == cur_inc && k == last + 1))
                FAIL(c, 1, "consumer: message %llu of incarnation %u after %llu of %u (reset %d)",
                     (unsigned long long)k, inc, (unsigned long long)last, cur_inc, reset_seen);
            last = k;
            cur_inc = inc;
            reset_seen = false;
            c->received++;
            if (c->received == next_reset && last < c->total * 8 / 10) {
                if (last % 2) { /* let the producer fill the ring and wait: the reset must wake it */
                    struct timespec ts = {0, 300000};
                    nanosleep(&ts, NULL);
                }
                msgchan_rx_reset(&c->rx);
                if (msgchan_rx_doorbell(&c->rx))
                    bell_ring(&c->to_prod);
                c->rx_resets++;
                next_reset = c->received + 1 + mix(last) % 20000;
            }
            maybe_pause(last, 2);
            continue;
        }
        if (r == -MSGCHAN_ECONNRESET) {
            reset_seen = true;
            c->rx_econnreset++;
            continue;
        }
        if (r != -MSGCHAN_EAGAIN)
            FAIL(c, 1, "consumer: recv returned %d after message %llu", r, (unsigned long long)last);
        int spins = 0;
        while (spins < spin_limit(last) && !msgchan_rx_ready(&c->rx))
            relax(spins++);
        if (spins < spin_limit(last))
            continue;
        uint32_t seen = __atomic_load_n(&c->to_cons.word, __ATOMIC_SEQ_CST);
        if (msgchan_rx_prepare_sleep(&c->rx)) {
            if (!bell_wait(c, &c->to_cons, seen))
                FAIL(c, 1, "consumer: no doorbell for %d s after message %llu (lost wake-up)",
                     TIMEOUT_S, (unsigned long long)last);
            msgchan_rx_awake(&c->rx);
            c->sleeps++;
        }
        if (__atomic_load_n(&c->stop, __ATOMIC_SEQ_CST))
            return NULL;
    }
    return NULL;
}

/* A two-core region; core 0's view has block 0 writable, core 1's block 1. */
static void ctx_init(struct ctx *c, uint64_t total, bool resets)
{
    memset(c, 0, sizeof(*c));
    c->total = total;
    c->resets = resets;
    c->size = msgchan_region_size(2, RING);
    c->fd = memfd_create("msgchan", MFD_CLOEXEC);
    assert_true(c->fd >= 0);
    assert_int_equal(ftruncate(c->fd, (off_t)c->size), 0);
    uint8_t *raw = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
    assert_true(raw != MAP_FAILED);
    assert_int_equal(msgchan_region_init(raw, c->size, 2, RING), 0);
    munmap(raw, c->size);
    for (uint32_t core = 0; core < 2; core++) {
        size_t off, len;
        c->view[core] = mmap(NULL, c->size, PROT_READ, MAP_SHARED, c->fd, 0);
        assert_true(c->view[core] != MAP_FAILED);
        assert_int_equal(msgchan_core_block(2, RING, core, &off, &len), 0);
        assert_int_equal(mprotect(c->view[core] + off, len, PROT_READ | PROT_WRITE), 0);
    }
    assert_int_equal(msgchan_tx_attach(&c->tx, c->view[0], c->size, 0, 1), 0);
    assert_int_equal(msgchan_rx_attach(&c->rx, c->view[1], c->size, 0, 1), 0);
}

static void run(struct ctx *c, void *(*consume)(void *))
{
    struct timespec t0, t1;
    pthread_t tp, tc;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(pthread_create(&tc, NULL, consume, c), 0);
    assert_int_equal(pthread_create(&tp, NULL, producer, c), 0);
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    struct msgchan_stats tx, rx;
    msgchan_tx_stats(&c->tx, &tx);
    msgchan_rx_stats(&c->rx, &rx);
    printf("  %llu messages, %.1f MiB in %.2f s (%.2f M msg/s); consumer slept %llu times, "
           "producer waited %llu; doorbells %llu+%llu; resets tx %llu rx %llu\n",
           (unsigned long long)rx.msgs, (double)rx.bytes / (1 << 20), s, (double)rx.msgs / s / 1e6,
           (unsigned long long)c->sleeps, (unsigned long long)c->waits,
           (unsigned long long)c->to_cons.rung, (unsigned long long)c->to_prod.rung,
           (unsigned long long)c->tx_resets, (unsigned long long)c->rx_resets);
    if (c->failed[0][0])
        fail_msg("%s", c->failed[0]);
    if (c->failed[1][0])
        fail_msg("%s", c->failed[1]);
    /* Nothing left over, nothing corrupt, and both blocking paths were used. */
    uint8_t buf[8];
    assert_int_equal(msgchan_recv(&c->rx, buf, sizeof(buf)), -MSGCHAN_EAGAIN);
    assert_int_equal(rx.corrupt, 0);
    assert_int_equal(tx.corrupt, 0);
    assert_int_equal(rx.msgs, c->received);
    assert_int_equal(rx.doorbells, c->to_prod.rung);
    assert_int_equal(tx.doorbells, c->to_cons.rung);
    assert_true(c->sleeps > 0);
    assert_true(c->waits > 0);
}

static void ctx_fini(struct ctx *c)
{
    for (int i = 0; i < 2; i++)
        munmap(c->view[i], c->size);
    close(c->fd);
}

static void test_stress_in_order(void **state)
{
    (void)state;
    static struct ctx c;
    ctx_init(&c, STRESS_MSGS, false);
    run(&c, consumer_plain);
    struct msgchan_stats tx;
    msgchan_tx_stats(&c.tx, &tx);
    assert_int_equal(c.received, STRESS_MSGS);
    assert_int_equal(tx.msgs, STRESS_MSGS);
    ctx_fini(&c);
}

static void test_stress_resets(void **state)
{
    (void)state;
    static struct ctx c;
    ctx_init(&c, RESET_MSGS, true);
    run(&c, consumer_resets);
    struct msgchan_stats tx, rx;
    msgchan_tx_stats(&c.tx, &tx);
    msgchan_rx_stats(&c.rx, &rx);
    assert_true(c.tx_resets > 10 && c.rx_resets > 10);
    assert_int_equal(rx.resets, c.rx_econnreset + c.rx_resets); /* followed + own */
    assert_int_equal(tx.resets, c.tx_resets);
    assert_true(c.received < RESET_MSGS); /* some were dropped, as they may be */
    ctx_fini(&c);
}

/* ---- the two Dekker pairs head to head ----
 * Each round the two threads meet at a barrier, wait a random few cycles so
 * that their critical windows overlap in every possible way, and then one
 * announces (prepare_sleep / prepare_wait) while the other publishes (send /
 * recv). If the announcer decided to block, the publisher must have been told
 * to ring; otherwise that round was a lost wake-up. Without the fences this
 * fails within a few thousand rounds on x86 (store-load reordering). */

struct duel {
    struct ctx c;
    uint32_t arrive;
    int blocked, rang; /* handed over across a barrier */
    uint64_t rounds, lost, blocks;
};

/* Spins without yielding for a while, so both leave it nearly together. */
static void duel_barrier(struct duel *d, uint32_t *mine)
{
    *mine += 2;
    __atomic_fetch_add(&d->arrive, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; __atomic_load_n(&d->arrive, __ATOMIC_ACQUIRE) < *mine; i++)
        if (i > 20000)
            sched_yield();
}

/* A few hundred cycles at most, about the length of the paths raced. */
static void duel_jitter(uint64_t r, uint64_t salt)
{
    for (volatile uint64_t i = mix(r ^ salt) % JITTER; i > 0; i--)
        ;
}

/* Empty ring: the consumer announces sleep while the producer sends one. */
static void *duel_sleeper(void *arg)
{
    struct duel *d = arg;
    uint32_t mine = 0;
    uint8_t buf[64];
    for (uint64_t r = 0; r < d->rounds; r++) {
        duel_barrier(d, &mine);
        duel_jitter(r, 1);
        bool blocked = msgchan_rx_prepare_sleep(&d->c.rx);
        duel_barrier(d, &mine);
        if (blocked && !d->rang)
            d->lost++;
        d->blocks += blocked;
        if (blocked)
            msgchan_rx_awake(&d->c.rx);
        if (msgchan_recv(&d->c.rx, buf, sizeof(buf)) != 1)
            d->lost += 1000000; /* cannot happen: count it loudly */
        msgchan_rx_doorbell(&d->c.rx);
        duel_barrier(d, &mine);
    }
    return NULL;
}

static void *duel_sender(void *arg)
{
    struct duel *d = arg;
    uint32_t mine = 0;
    for (uint64_t r = 0; r < d->rounds; r++) {
        duel_barrier(d, &mine);
        duel_jitter(r, 2);
        if (msgchan_send(&d->c.tx, "x", 1) != 0)
            d->lost += 1000000;
        d->rang = msgchan_tx_doorbell(&d->c.tx);
        duel_barrier(d, &mine);
        duel_barrier(d, &mine);
    }
    return NULL;
}

/* Full ring: the producer announces a wait while the consumer frees a slot. */
static void *duel_waiter(void *arg)
{
    struct duel *d = arg;
    uint32_t mine = 0;
    uint8_t buf[40] = {0};
    for (uint64_t r = 0; r < d->rounds; r++) {
        duel_barrier(d, &mine);
        duel_jitter(r, 3);
        bool blocked = msgchan_tx_prepare_wait(&d->c.tx, sizeof(buf));
        duel_barrier(d, &mine);
        if (blocked && !d->rang)
            d->lost++;
        d->blocks += blocked;
        if (blocked)
            msgchan_tx_awake(&d->c.tx);
        if (msgchan_send(&d->c.tx, buf, sizeof(buf)) != 0) /* full again */
            d->lost += 1000000;
        msgchan_tx_doorbell(&d->c.tx);
        duel_barrier(d, &mine);
    }
    return NULL;
}

static void *duel_freer(void *arg)
{
    struct duel *d = arg;
    uint32_t mine = 0;
    uint8_t buf[64];
    for (uint64_t r = 0; r < d->rounds; r++) {
        duel_barrier(d, &mine);
        duel_jitter(r, 4);
        if (msgchan_recv(&d->c.rx, buf, sizeof(buf)) != 40)
            d->lost += 1000000;
        d->rang = msgchan_rx_doorbell(&d->c.rx);
        duel_barrier(d, &mine);
        duel_barrier(d, &mine);
    }
    return NULL;
}

static void duel(void *(*announcer)(void *), void *(*publisher)(void *), bool full)
{
    static struct duel d;
    memset(&d, 0, sizeof(d));
    ctx_init(&d.c, 0, false);
    d.rounds = DUEL_ROUNDS;
    uint8_t buf[40] = {0};
    while (full && msgchan_send(&d.c.tx, buf, sizeof(buf)) == 0)
        ;
    pthread_t ta, tp;
    assert_int_equal(pthread_create(&ta, NULL, announcer, &d), 0);
    assert_int_equal(pthread_create(&tp, NULL, publisher, &d), 0);
    pthread_join(ta, NULL);
    pthread_join(tp, NULL);
    printf("  %llu rounds, the announcer blocked in %llu, lost wake-ups %llu\n",
           (unsigned long long)d.rounds, (unsigned long long)d.blocks, (unsigned long long)d.lost);
    assert_int_equal(d.lost, 0);
    assert_true(d.blocks > 0 && d.blocks < d.rounds); /* both outcomes happened */
    ctx_fini(&d.c);
}

static void test_dekker_sleep(void **state)
{
    (void)state;
    duel(duel_sleeper, duel_sender, false);
}

static void test_dekker_wait(void **state)
{
    (void)state;
    duel(duel_waiter, duel_freer, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stress_in_order),
        cmocka_unit_test(test_stress_resets),
        cmocka_unit_test(test_dekker_sleep),
        cmocka_unit_test(test_dekker_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
