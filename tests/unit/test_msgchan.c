/* Unit tests for msgchan/msgchan.c, single-threaded: layout, every size at
 * every ring offset, full and empty, exact size limits, FIFO order against a
 * model, close, epoch resets, doorbell bookkeeping, and bad input from a
 * producer (forged headers, torn writes, indices out of range, garbage). Each
 * side sees the region through its own mapping, as a core would: its own
 * pages writable, the peer's read-only, everything else PROT_NONE, so a write
 * to the wrong page or a read outside the ring faults. One file for all of
 * them because they share that fixture. The threaded tests are in
 * test_msgchan_stress.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "msgchan.h"

#define RING 4096u
#define NSLOTS (RING / MSGCHAN_SLOT)
#define MAX MSGCHAN_MAX_MSG(RING)
#define NCORES 3u
#define FROM 1u
#define TO 2u

/* ---- the region in a memfd, mapped once per side ---- */

struct fix {
    int fd;
    size_t size;
    uint8_t *raw, *tv, *rv; /* all writable; the producer's view; the consumer's */
    struct msgchan_tx tx;
    struct msgchan_rx rx;
    struct msgchan_prod *p; /* through raw, for the test to poke */
    struct msgchan_cons *c;
    uint8_t *data;
};

static void *map(struct fix *f, int prot)
{
    void *b = mmap(NULL, f->size, prot, MAP_SHARED, f->fd, 0);
    assert_true(b != MAP_FAILED);
    return b;
}

static void protect(uint8_t *b, size_t off, size_t len, int prot)
{
    size_t lo = off & ~(size_t)(MSGCHAN_PAGE - 1);
    assert_int_equal(mprotect(b + lo, off + len - lo, prot), 0);
}

/* Ring (from, to) as one side maps it: the header read-only, that side's
 * pages of the ring writable, the peer's read-only, the rest absent. */
static uint8_t *ring_view(struct fix *f, uint32_t from, uint32_t to, int tx_side)
{
    struct msgchan_ring_layout l;
    assert_int_equal(msgchan_ring_layout(NCORES, RING, from, to, &l), 0);
    uint8_t *b = map(f, PROT_NONE);
    int own = PROT_READ | PROT_WRITE;
    protect(b, 0, MSGCHAN_PAGE, PROT_READ);
    protect(b, l.prod, sizeof(struct msgchan_prod), tx_side ? own : PROT_READ);
    protect(b, l.data, RING, tx_side ? own : PROT_READ);
    protect(b, l.cons, sizeof(struct msgchan_cons), tx_side ? PROT_READ : own);
    return b;
}

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    f->size = msgchan_region_size(NCORES, RING);
    f->fd = memfd_create("msgchan", MFD_CLOEXEC);
    assert_true(f->fd >= 0);
    assert_int_equal(ftruncate(f->fd, (off_t)f->size), 0);
    f->raw = map(f, PROT_READ | PROT_WRITE);
    memset(f->raw, 0xa5, f->size); /* init must not count on zeroed memory */
    assert_int_equal(msgchan_region_init(f->raw, f->size, NCORES, RING), 0);
    f->tv = ring_view(f, FROM, TO, 1);
    f->rv = ring_view(f, FROM, TO, 0);
    assert_int_equal(msgchan_tx_attach(&f->tx, f->tv, f->size, FROM, TO), 0);
    assert_int_equal(msgchan_rx_attach(&f->rx, f->rv, f->size, FROM, TO), 0);
    struct msgchan_ring_layout l;
    msgchan_ring_layout(NCORES, RING, FROM, TO, &l);
    f->p = (struct msgchan_prod *)(f->raw + l.prod);
    f->c = (struct msgchan_cons *)(f->raw + l.cons);
    f->data = f->raw + l.data;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    munmap(f->raw, f->size);
    munmap(f->tv, f->size);
    munmap(f->rv, f->size);
    close(f->fd);
    free(f);
    return 0;
}

static void fill(uint8_t *buf, uint32_t len, uint32_t seed)
{
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
    for (uint32_t i = 0; i < len; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
}

/* Sends len pattern bytes (seed) and takes them back, checked. */
static void round_trip(struct fix *f, uint32_t len, uint32_t seed)
{
    static uint8_t out[RING], in[RING];
    fill(out, len, seed);
    assert_int_equal(msgchan_send(&f->tx, out, len), 0);
    assert_int_equal(msgchan_peek(&f->rx), (int)len);
    memset(in, 0, len + 1);
    assert_int_equal(msgchan_recv(&f->rx, in, len), (int)len);
    assert_memory_equal(in, out, len);
}

static void set_indices(struct fix *f, uint32_t index)
{
    f->p->head = index; /* seq 0 */
    f->p->cons_cache = index;
    f->c->cons = index;
    f->c->prod_cache = index;
    f->c->next_seq = 0;
}

/* ---- layout ---- */

static void test_errno_values(void **state)
{
    (void)state;
    assert_int_equal(MSGCHAN_EAGAIN, EAGAIN);
    assert_int_equal(MSGCHAN_EINVAL, EINVAL);
    assert_int_equal(MSGCHAN_EPIPE, EPIPE);
    assert_int_equal(MSGCHAN_EPROTO, EPROTO);
    assert_int_equal(MSGCHAN_EBADMSG, EBADMSG);
    assert_int_equal(MSGCHAN_EMSGSIZE, EMSGSIZE);
    assert_int_equal(MSGCHAN_ECONNRESET, ECONNRESET);
}

static int in(size_t x, size_t lo, size_t len)
{
    return x >= lo && x < lo + len;
}

static void check_layout(uint32_t n, uint32_t rb)
{
    size_t size = msgchan_region_size(n, rb), end = MSGCHAN_PAGE;
    assert_true(size > 0);
    for (uint32_t c = 0; c < n; c++) { /* blocks tile the region after the header */
        size_t off, len;
        assert_int_equal(msgchan_core_block(n, rb, c, &off, &len), 0);
        assert_int_equal(off, end);
        assert_int_equal(off % MSGCHAN_PAGE, 0);
        end = off + len;
    }
    assert_int_equal(end, size);
    size_t *datas = calloc((size_t)n * n, sizeof(size_t));
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < n; j++) {
            struct msgchan_ring_layout l;
            if (i == j) {
                assert_int_equal(msgchan_ring_layout(n, rb, i, j, &l), -MSGCHAN_EINVAL);
                continue;
            }
            assert_int_equal(msgchan_ring_layout(n, rb, i, j, &l), 0);
            size_t bi, li, bj, lj;
            msgchan_core_block(n, rb, i, &bi, &li);
            msgchan_core_block(n, rb, j, &bj, &lj);
            /* The producer's parts in block(i), the consumer's in block(j). */
            assert_true(in(l.prod, bi, li) && in(l.prod + 255, bi, li));
            assert_true(in(l.data, bi, li) && in(l.data + rb - 1, bi, li));
            assert_true(in(l.cons, bj, lj) && in(l.cons + 255, bj, lj));
            assert_int_equal(l.prod % 256, 0);
            assert_int_equal(l.cons % 256, 0);
            assert_int_equal(l.data % MSGCHAN_PAGE, 0);
            assert_int_equal(l.ring_bytes, rb);
            /* Slots follow the control pages; never on a control page. */
            assert_true(l.data >= bi + ((size_t)n * 512 + MSGCHAN_PAGE - 1) / MSGCHAN_PAGE * MSGCHAN_PAGE);
            assert_true(l.prod / MSGCHAN_PAGE != l.cons / MSGCHAN_PAGE);
            datas[i * n + j] = l.data;
        }
    /* Data rings of one block do not overlap: distinct multiples of rb. */
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < n; j++)
            for (uint32_t k = j + 1; k < n; k++)
                if (j != i && k != i)
                    assert_true(datas[i * n + j] + rb <= datas[i * n + k]);
    free(datas);
}

static void test_layout(void **state)
{
    (void)state;
    static const uint32_t ns[] = {1, 2, 3, 4, 7, 8, 9, 16, 33};
    static const uint32_t rbs[] = {4096, 8192, 65536, 1u << 20};
    for (size_t a = 0; a < sizeof(ns) / sizeof(ns[0]); a++)
        for (size_t b = 0; b < sizeof(rbs) / sizeof(rbs[0]); b++)
            check_layout(ns[a], rbs[b]);
    /* Largest geometry: computed without overflow. */
    size_t big = msgchan_region_size(MSGCHAN_MAX_CORES, MSGCHAN_RING_MAX);
    assert_int_equal(big, 4096 + 256 * (131072 + (size_t)255 * MSGCHAN_RING_MAX));
    /* Two cores, 64 KiB rings: header, then per core a control page + a ring. */
    assert_int_equal(msgchan_region_size(2, 65536), 4096 + 2 * (4096 + 65536));
    assert_int_equal(msgchan_region_size(0, 4096), 0);
    assert_int_equal(msgchan_region_size(MSGCHAN_MAX_CORES + 1, 4096), 0);
    assert_int_equal(msgchan_region_size(2, 2048), 0);
    assert_int_equal(msgchan_region_size(2, 6144), 0);
    assert_int_equal(msgchan_region_size(2, MSGCHAN_RING_MAX * 2u), 0);
    struct msgchan_ring_layout l;
    size_t off, len;
    assert_int_equal(msgchan_ring_layout(2, 4096, 2, 0, &l), -MSGCHAN_EINVAL);
    assert_int_equal(msgchan_ring_layout(2, 4096, 0, 2, &l), -MSGCHAN_EINVAL);
    assert_int_equal(msgchan_core_block(2, 4096, 2, &off, &len), -MSGCHAN_EINVAL);
}

static void test_attach_refusals(void **state)
{
    struct fix *f = *state;
    struct msgchan_tx tx;
    struct msgchan_rx rx;
    assert_int_equal(msgchan_tx_attach(&tx, f->raw, f->size - 1, 0, 1), -MSGCHAN_EINVAL);
    assert_int_equal(msgchan_tx_attach(&tx, f->raw + 64, f->size, 0, 1), -MSGCHAN_EINVAL);
    assert_int_equal(msgchan_rx_attach(&rx, f->raw, f->size, 1, 1), -MSGCHAN_EINVAL);
    assert_int_equal(msgchan_rx_attach(&rx, f->raw, f->size, 3, 1), -MSGCHAN_EINVAL);
    assert_int_equal(msgchan_region_init(f->raw, f->size - 1, NCORES, RING), -MSGCHAN_EINVAL);
    assert_int_equal(msgchan_region_init(f->raw, f->size, NCORES, 5000), -MSGCHAN_EINVAL);
    struct msgchan_region_hdr *h = (void *)f->raw;
    h->ring_bytes = RING * 2; /* the header claims more than is mapped */
    assert_int_equal(msgchan_tx_attach(&tx, f->raw, f->size, 0, 1), -MSGCHAN_EINVAL);
    h->ring_bytes = RING;
    h->magic ^= 1;
    assert_int_equal(msgchan_rx_attach(&rx, f->raw, f->size, 0, 1), -MSGCHAN_EINVAL);
    h->magic ^= 1;
    assert_int_equal(msgchan_rx_attach(&rx, f->raw, f->size, 0, 1), 0);
    assert_int_equal(msgchan_tx_max_msg(&f->tx), MAX);
}

/* ---- sizes, offsets, full and empty ---- */

static void test_empty(void **state)
{
    struct fix *f = *state;
    uint8_t buf[8];
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_EAGAIN);
    assert_int_equal(msgchan_peek(&f->rx), -MSGCHAN_EAGAIN);
    assert_false(msgchan_rx_ready(&f->rx));
    assert_true(msgchan_tx_ready(&f->tx, MAX));
    assert_int_equal(msgchan_send(&f->tx, NULL, 0), 0);
    assert_true(msgchan_rx_ready(&f->rx));
    assert_int_equal(msgchan_recv(&f->rx, NULL, 0), 0);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_EAGAIN);
}

/* Every size from 0 to the maximum, starting at every slot of the ring, with
 * the free-running indices crossing 2^32 on the way. */
static void test_every_size_every_offset(void **state)
{
    struct fix *f = *state;
    for (uint32_t o = 0; o < NSLOTS; o++) {
        for (uint32_t len = 0; len <= MAX; len++) {
            set_indices(f, 0xffffffc0u + o);
            round_trip(f, len, len * 131 + o);
            assert_int_equal(f->c->cons, 0xffffffc0u + o + (24 + len + 63) / 64);
        }
    }
    struct msgchan_stats st;
    msgchan_rx_stats(&f->rx, &st);
    assert_int_equal(st.msgs, (uint64_t)NSLOTS * (MAX + 1));
    assert_int_equal(st.corrupt, 0);
    assert_int_equal(st.bytes, (uint64_t)NSLOTS * MAX * (MAX + 1) / 2);
}

/* Exactly as many messages fit as there are slots for them. */
static void fill_count(struct fix *f, uint32_t len, uint32_t expect)
{
    uint8_t buf[RING];
    fill(buf, len, len);
    uint32_t n = 0;
    while (n <= NSLOTS && msgchan_send(&f->tx, buf, len) == 0)
        n++;
    assert_int_equal(n, expect);
    assert_int_equal(msgchan_send(&f->tx, buf, len), -MSGCHAN_EAGAIN);
    assert_false(msgchan_tx_ready(&f->tx, len));
    assert_true(msgchan_tx_ready(&f->tx, MAX + 1)); /* that fails at once */
    assert_int_equal(msgchan_recv(&f->rx, buf, len), (int)len);
    assert_true(msgchan_tx_ready(&f->tx, len));
    assert_int_equal(msgchan_send(&f->tx, buf, len), 0);
    while (n > 0 && msgchan_recv(&f->rx, buf, sizeof(buf)) == (int)len)
        n--;
    assert_int_equal(n, 0);
}

static void test_full(void **state)
{
    struct fix *f = *state;
    fill_count(f, 0, NSLOTS);
    fill_count(f, 40, NSLOTS);     /* 24 + 40 = one slot */
    fill_count(f, 41, NSLOTS / 2); /* two */
    fill_count(f, MAX, 2);         /* half the ring */
    fill_count(f, MAX - 63, 2);
    fill_count(f, MAX - 64, 2);    /* one slot less, still only two */
    /* One slot left: a 40-byte message fits, a 41-byte one does not. */
    uint8_t buf[64] = {0};
    for (uint32_t i = 0; i < NSLOTS - 1; i++)
        assert_int_equal(msgchan_send(&f->tx, buf, 1), 0);
    assert_int_equal(msgchan_send(&f->tx, buf, 41), -MSGCHAN_EAGAIN);
    assert_int_equal(msgchan_send(&f->tx, buf, 40), 0);
    assert_int_equal(msgchan_send(&f->tx, NULL, 0), -MSGCHAN_EAGAIN);
}

static void test_size_limits(void **state)
{
    struct fix *f = *state;
    static uint8_t big[RING], got[RING];
    fill(big, MAX + 1, 7);
    assert_int_equal(msgchan_send(&f->tx, big, MAX + 1), -MSGCHAN_EMSGSIZE);
    assert_int_equal(msgchan_send(&f->tx, big, UINT32_MAX), -MSGCHAN_EMSGSIZE);
    struct msgchan_iov two[2] = {{big, MAX}, {big, 1}};
    assert_int_equal(msgchan_sendv(&f->tx, two, 2), -MSGCHAN_EMSGSIZE);
    struct msgchan_iov wrap[3] = {{big, UINT32_MAX}, {big, UINT32_MAX}, {big, 2}};
    assert_int_equal(msgchan_sendv(&f->tx, wrap, 3), -MSGCHAN_EMSGSIZE);
    assert_false(msgchan_rx_ready(&f->rx));
    assert_int_equal(msgchan_send(&f->tx, big, MAX), 0);
    /* A buffer one byte short leaves the message where it is. */
    assert_int_equal(msgchan_recv(&f->rx, got, MAX - 1), -MSGCHAN_EMSGSIZE);
    assert_int_equal(msgchan_recv(&f->rx, got, 0), -MSGCHAN_EMSGSIZE);
    assert_int_equal(msgchan_peek(&f->rx), (int)MAX);
    assert_int_equal(msgchan_recv(&f->rx, got, MAX), (int)MAX);
    assert_memory_equal(got, big, MAX);
    assert_int_equal(msgchan_send(&f->tx, big, 1), 0);
    assert_int_equal(msgchan_recv(&f->rx, got, 0), -MSGCHAN_EMSGSIZE);
    assert_int_equal(msgchan_recv(&f->rx, got, 1), 1);
}

static void test_sendv(void **state)
{
    struct fix *f = *state;
    uint8_t a[100], b[333], got[RING];
    fill(a, sizeof(a), 1);
    fill(b, sizeof(b), 2);
    for (uint32_t o = 0; o < NSLOTS; o++) { /* the join lands everywhere in the ring */
        set_indices(f, o);
        struct msgchan_iov iov[4] = {{a, sizeof(a)}, {NULL, 0}, {b, sizeof(b)}, {a, 7}};
        assert_int_equal(msgchan_sendv(&f->tx, iov, 4), 0);
        assert_int_equal(msgchan_recv(&f->rx, got, sizeof(got)), 440);
        assert_memory_equal(got, a, 100);
        assert_memory_equal(got + 100, b, 333);
        assert_memory_equal(got + 433, a, 7);
    }
    assert_int_equal(msgchan_sendv(&f->tx, NULL, 0), 0);
    assert_int_equal(msgchan_recv(&f->rx, got, sizeof(got)), 0);
}

/* Random sends and receives against a model queue. */
static void test_fifo_model(void **state)
{
    struct fix *f = *state;
    enum { OPS = 200000, QMAX = 256 };
    uint32_t q[QMAX], head = 0, tail = 0, used = 0, seed = 1;
    uint8_t buf[RING], want[RING];
    srand(42);
    for (int op = 0; op < OPS; op++) {
        if (rand() % 2) {
            uint32_t len = rand() % 4 ? (uint32_t)rand() % 200 : (uint32_t)rand() % (MAX + 1);
            uint32_t need = (24 + len + 63) / 64;
            fill(buf, len, seed);
            int r = msgchan_send(&f->tx, buf, len);
            if (used + need <= NSLOTS) {
                assert_int_equal(r, 0);
                q[tail++ % QMAX] = seed << 12 | len;
                used += need;
                seed++;
            } else {
                assert_int_equal(r, -MSGCHAN_EAGAIN);
            }
        } else {
            int r = msgchan_recv(&f->rx, buf, sizeof(buf));
            if (head == tail) {
                assert_int_equal(r, -MSGCHAN_EAGAIN);
                continue;
            }
            uint32_t len = q[head++ % QMAX] & 0xfff, s = q[(head - 1) % QMAX] >> 12;
            assert_int_equal(r, (int)len);
            fill(want, len, s);
            assert_memory_equal(buf, want, len);
            used -= (24 + len + 63) / 64;
        }
    }
}

/* ---- close ---- */

static void test_close_tx(void **state)
{
    struct fix *f = *state;
    uint8_t buf[64];
    assert_int_equal(msgchan_send(&f->tx, "one", 3), 0);
    assert_int_equal(msgchan_send(&f->tx, "two", 3), 0);
    msgchan_tx_close(&f->tx);
    assert_int_equal(msgchan_send(&f->tx, "three", 5), -MSGCHAN_EPIPE);
    assert_true(msgchan_tx_ready(&f->tx, 5));
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 3);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "two", 3);
    assert_true(msgchan_rx_ready(&f->rx));
    assert_false(msgchan_rx_prepare_sleep(&f->rx));
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_EPIPE);
    assert_int_equal(msgchan_peek(&f->rx), -MSGCHAN_EPIPE);
}

static void test_close_rx(void **state)
{
    struct fix *f = *state;
    uint8_t buf[64];
    assert_int_equal(msgchan_send(&f->tx, "one", 3), 0);
    msgchan_rx_close(&f->rx); /* the producer died: its peer closes */
    assert_int_equal(msgchan_send(&f->tx, "two", 3), -MSGCHAN_EPIPE);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 3);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_EPIPE);
    /* The producer restarts: a new epoch reopens the ring. */
    msgchan_tx_reset(&f->tx);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_ECONNRESET);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_EAGAIN);
    assert_int_equal(msgchan_send(&f->tx, "new", 3), 0);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "new", 3);
}

/* ---- epochs ---- */

static void test_producer_reset(void **state)
{
    struct fix *f = *state;
    uint8_t buf[64];
    for (int i = 0; i < 5; i++)
        assert_int_equal(msgchan_send(&f->tx, "old", 3), 0);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 3);
    assert_true(msgchan_rx_prepare_sleep(&f->rx) == false); /* four still queued */
    msgchan_tx_reset(&f->tx);
    assert_false(msgchan_tx_doorbell(&f->tx)); /* nobody asleep */
    /* Until the consumer acknowledges, nothing is sent. */
    assert_int_equal(msgchan_send(&f->tx, "new", 3), -MSGCHAN_EAGAIN);
    assert_false(msgchan_tx_ready(&f->tx, 3));
    assert_true(msgchan_tx_prepare_wait(&f->tx, 3));
    assert_true(msgchan_rx_ready(&f->rx));
    assert_int_equal(msgchan_peek(&f->rx), -MSGCHAN_ECONNRESET); /* old ones dropped */
    assert_true(msgchan_rx_doorbell(&f->rx)); /* the waiting producer is told */
    msgchan_tx_awake(&f->tx);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_EAGAIN);
    assert_int_equal(msgchan_send(&f->tx, "new", 3), 0);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "new", 3);
    /* A reset while the consumer sleeps owes it a doorbell (it must ack). */
    assert_true(msgchan_rx_prepare_sleep(&f->rx));
    msgchan_tx_reset(&f->tx);
    assert_true(msgchan_tx_doorbell(&f->tx));
    assert_true(msgchan_rx_ready(&f->rx)); /* empty, but there is a reset to follow */
    assert_false(msgchan_rx_prepare_sleep(&f->rx));
    msgchan_rx_awake(&f->rx);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_ECONNRESET);
    struct msgchan_stats st;
    msgchan_rx_stats(&f->rx, &st);
    assert_int_equal(st.resets, 2);
    assert_int_equal(st.msgs, 2);
    msgchan_tx_stats(&f->tx, &st);
    assert_int_equal(st.resets, 2);
    assert_int_equal(st.msgs, 6);
}

static void test_consumer_reset(void **state)
{
    struct fix *f = *state;
    uint8_t buf[64];
    for (int i = 0; i < 3; i++)
        assert_int_equal(msgchan_send(&f->tx, "old", 3), 0);
    msgchan_rx_reset(&f->rx); /* the consumer restarted */
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_EAGAIN);
    assert_true(msgchan_tx_ready(&f->tx, 3)); /* send would act */
    assert_true(msgchan_rx_prepare_sleep(&f->rx));
    /* The producer learns it once; that message is not sent. */
    assert_int_equal(msgchan_send(&f->tx, "lost", 4), -MSGCHAN_ECONNRESET);
    assert_true(msgchan_tx_doorbell(&f->tx)); /* wake the consumer to ack */
    msgchan_rx_awake(&f->rx);
    assert_int_equal(msgchan_send(&f->tx, "new", 3), -MSGCHAN_EAGAIN);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_ECONNRESET);
    assert_int_equal(msgchan_send(&f->tx, "new", 3), 0);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "new", 3);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_EAGAIN);
    /* Messages sent after the consumer's reset but before the producer saw it
     * belong to the old session: never delivered. */
    assert_int_equal(msgchan_send(&f->tx, "x", 1), 0);
    msgchan_rx_reset(&f->rx);
    assert_int_equal(msgchan_send(&f->tx, "y", 1), -MSGCHAN_ECONNRESET);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_ECONNRESET);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_EAGAIN);
    /* A reset while the producer waits for room owes it a doorbell. */
    for (uint32_t i = 0; i < NSLOTS; i++)
        assert_int_equal(msgchan_send(&f->tx, buf, 40), 0);
    assert_true(msgchan_tx_prepare_wait(&f->tx, 40));
    msgchan_rx_reset(&f->rx);
    assert_true(msgchan_rx_doorbell(&f->rx));
    msgchan_tx_awake(&f->tx);
    assert_int_equal(msgchan_send(&f->tx, "y", 1), -MSGCHAN_ECONNRESET);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_ECONNRESET);
    /* The producer's kernel may answer a new generation before any send:
     * the consumer then sees the reset once, and the next send goes out. */
    msgchan_rx_reset(&f->rx);
    assert_true(msgchan_tx_answer(&f->tx));
    assert_false(msgchan_tx_answer(&f->tx));
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_ECONNRESET);
    assert_int_equal(msgchan_send(&f->tx, "z", 1), 0);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 1);
    /* Both restart at once: they still converge. */
    msgchan_rx_reset(&f->rx);
    msgchan_tx_reset(&f->tx);
    int r;
    for (int i = 0; i < 4 && (r = msgchan_send(&f->tx, "z", 1)) != 0; i++) {
        assert_true(r == -MSGCHAN_ECONNRESET || r == -MSGCHAN_EAGAIN);
        msgchan_recv(&f->rx, buf, sizeof(buf));
    }
    assert_int_equal(r, 0);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 1);
}

/* Garbage over the producer's epoch word is corrupt, not a reset of the
 * consumer's still on its way: the reader is told (ready, EBADMSG) instead
 * of waiting for an answer that will never come. Generations the consumer
 * made itself, two resets in a row included, are still waited for. */
static void test_garbage_echo(void **state)
{
    struct fix *f = *state;
    uint8_t buf[64];
    assert_int_equal(msgchan_send(&f->tx, "a", 1), 0);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 1);
    msgchan_rx_reset(&f->rx);
    msgchan_rx_reset(&f->rx); /* echo is two generations behind: pending */
    assert_false(msgchan_rx_ready(&f->rx));
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_EAGAIN);
    f->p->ep = (uint64_t)(f->c->gen - 1) << 32 | (uint32_t)f->p->ep; /* the first reset, seen late */
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_EAGAIN);
    assert_int_equal(msgchan_send(&f->tx, "b", 1), -MSGCHAN_ECONNRESET); /* answers the current one */
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_ECONNRESET);
    assert_int_equal(msgchan_send(&f->tx, "c", 1), 0);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 1);
    struct msgchan_stats before, after;
    msgchan_rx_stats(&f->rx, &before);
    f->p->ep = (uint64_t)(f->c->gen + 12345) << 32 | (uint32_t)f->p->ep; /* an echo from the future */
    assert_true(msgchan_rx_ready(&f->rx));
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_EBADMSG);
    f->p->ep = (uint64_t)(f->c->gen - 7) << 32 | (uint32_t)f->p->ep; /* one from before the last acked */
    assert_int_equal(msgchan_peek(&f->rx), -MSGCHAN_EBADMSG);
    msgchan_rx_stats(&f->rx, &after);
    assert_int_equal(after.corrupt, before.corrupt + 2);
}

/* A producer reset while the consumer restarts and a consumer reset while the
 * producer's close is in force: msgchan_restart and msgchan_close_peer over a
 * three-core region, each core with its own mapping. */
static void test_restart_and_close_peer(void **state)
{
    struct fix *f = *state;
    uint8_t *view[NCORES];
    struct msgchan_tx tx[NCORES][NCORES];
    struct msgchan_rx rx[NCORES][NCORES];
    for (uint32_t i = 0; i < NCORES; i++) {
        size_t off, len;
        view[i] = map(f, PROT_READ);
        msgchan_core_block(NCORES, RING, i, &off, &len);
        protect(view[i], off, len, PROT_READ | PROT_WRITE);
    }
    for (uint32_t i = 0; i < NCORES; i++)
        for (uint32_t j = 0; j < NCORES; j++)
            if (i != j) {
                assert_int_equal(msgchan_tx_attach(&tx[i][j], view[i], f->size, i, j), 0);
                assert_int_equal(msgchan_rx_attach(&rx[i][j], view[j], f->size, i, j), 0);
                assert_int_equal(msgchan_send(&tx[i][j], "hello", 5), 0);
            }
    uint8_t buf[64];
    /* Core 0 dies. Cores 1 and 2 close their rings with it. */
    for (uint32_t s = 1; s < NCORES; s++) {
        assert_int_equal(msgchan_close_peer(view[s], f->size, s, 0), 0);
        assert_int_equal(msgchan_send(&tx[s][0], "x", 1), -MSGCHAN_EPIPE);
        assert_int_equal(msgchan_recv(&rx[0][s], buf, sizeof(buf)), 5); /* drains */
        assert_int_equal(msgchan_recv(&rx[0][s], buf, sizeof(buf)), -MSGCHAN_EPIPE);
    }
    assert_int_equal(msgchan_close_peer(view[1], f->size, 1, 1), -MSGCHAN_EINVAL);
    assert_int_equal(msgchan_send(&tx[1][2], "x", 1), 0); /* 1 <-> 2 unaffected */
    /* Core 0 restarts. Nobody sleeps, so no doorbell is owed. */
    uint8_t wake[NCORES] = {0};
    assert_int_equal(msgchan_restart(view[0], f->size, 0, wake), 0);
    assert_int_equal(msgchan_restart(view[0], f->size, NCORES, wake), -MSGCHAN_EINVAL);
    for (uint32_t s = 1; s < NCORES; s++) {
        assert_int_equal(msgchan_recv(&rx[s][0], buf, sizeof(buf)), -MSGCHAN_EAGAIN); /* old dropped */
        assert_int_equal(msgchan_send(&tx[s][0], "x", 1), -MSGCHAN_ECONNRESET);
        assert_int_equal(msgchan_recv(&rx[s][0], buf, sizeof(buf)), -MSGCHAN_ECONNRESET);
        assert_int_equal(msgchan_send(&tx[s][0], "to0", 3), 0);
        assert_int_equal(msgchan_recv(&rx[s][0], buf, sizeof(buf)), 3);
        assert_int_equal(msgchan_recv(&rx[0][s], buf, sizeof(buf)), -MSGCHAN_ECONNRESET);
        assert_int_equal(msgchan_send(&tx[0][s], "from0", 5), 0);
        assert_int_equal(msgchan_recv(&rx[0][s], buf, sizeof(buf)), 5);
        assert_memory_equal(buf, "from0", 5);
    }
    /* A restart owes doorbells to peers that sleep or wait. */
    assert_true(msgchan_rx_prepare_sleep(&rx[0][2]));
    assert_int_equal(msgchan_restart(view[0], f->size, 0, wake), 1);
    assert_int_equal(wake[2], 1);
    assert_int_equal(wake[1], 0);
    assert_int_equal(msgchan_recv(&rx[2][1], buf, sizeof(buf)), 5);
    assert_int_equal(msgchan_recv(&rx[1][2], buf, sizeof(buf)), 5);
    assert_int_equal(msgchan_recv(&rx[1][2], buf, sizeof(buf)), 1);
    for (uint32_t i = 0; i < NCORES; i++)
        munmap(view[i], f->size);
}

/* ---- doorbells ---- */

static void test_doorbells(void **state)
{
    struct fix *f = *state;
    uint8_t buf[RING] = {0};
    /* Nobody sleeps: no doorbell either way. */
    assert_int_equal(msgchan_send(&f->tx, buf, 10), 0);
    assert_false(msgchan_tx_doorbell(&f->tx));
    assert_false(msgchan_rx_prepare_sleep(&f->rx)); /* data: not announced */
    assert_int_equal(msgchan_send(&f->tx, buf, 10), 0);
    assert_false(msgchan_tx_doorbell(&f->tx));
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 10);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 10);
    assert_false(msgchan_rx_doorbell(&f->rx));
    /* The consumer sleeps: one doorbell for that sleep, however many sends. */
    assert_true(msgchan_rx_prepare_sleep(&f->rx));
    assert_int_equal(msgchan_send(&f->tx, buf, 10), 0);
    assert_true(msgchan_tx_doorbell(&f->tx));
    assert_false(msgchan_tx_doorbell(&f->tx));
    assert_int_equal(msgchan_send(&f->tx, buf, 10), 0);
    assert_false(msgchan_tx_doorbell(&f->tx));
    msgchan_rx_awake(&f->rx);
    assert_int_equal(msgchan_send(&f->tx, buf, 10), 0);
    assert_false(msgchan_tx_doorbell(&f->tx));
    for (int i = 0; i < 3; i++)
        assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 10);
    assert_true(msgchan_rx_prepare_sleep(&f->rx)); /* a new sleep, a new doorbell */
    assert_true(msgchan_rx_prepare_sleep(&f->rx)); /* again without waking: still one */
    assert_int_equal(msgchan_send(&f->tx, buf, 10), 0);
    assert_true(msgchan_tx_doorbell(&f->tx));
    msgchan_rx_awake(&f->rx);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 10);
    /* The producer waits for room: the consumer owes it one doorbell. */
    assert_int_equal(msgchan_send(&f->tx, buf, MAX), 0); /* half the ring */
    for (uint32_t i = 0; i < NSLOTS / 2 - 1; i++)
        assert_int_equal(msgchan_send(&f->tx, buf, 1), 0);
    assert_false(msgchan_tx_prepare_wait(&f->tx, 1)); /* one slot left */
    assert_true(msgchan_tx_prepare_wait(&f->tx, MAX));
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), (int)MAX);
    assert_true(msgchan_rx_doorbell(&f->rx));
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 1);
    assert_false(msgchan_rx_doorbell(&f->rx)); /* that ticket was rung */
    msgchan_tx_awake(&f->tx);
    assert_int_equal(msgchan_send(&f->tx, buf, MAX), 0);
    assert_true(msgchan_tx_prepare_wait(&f->tx, MAX));
    msgchan_tx_awake(&f->tx); /* withdrawn before the consumer frees room */
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 1);
    assert_false(msgchan_rx_doorbell(&f->rx));
    /* Close wakes the other side too. */
    assert_true(msgchan_tx_prepare_wait(&f->tx, MAX));
    msgchan_rx_close(&f->rx);
    assert_true(msgchan_rx_doorbell(&f->rx));
    msgchan_tx_awake(&f->tx);
    struct msgchan_stats st;
    msgchan_tx_stats(&f->tx, &st);
    assert_int_equal(st.doorbells, 2);
    assert_int_equal(st.waits, 3);
    msgchan_rx_stats(&f->rx, &st);
    assert_int_equal(st.doorbells, 2);
    assert_int_equal(st.waits, 3);
}

/* ---- bad input from the producer ---- */

/* A message at index as the producer would write it, the seal xor'ed with
 * bad_seal, published by moving head past it. */
static void forge(struct fix *f, uint32_t index, uint32_t len, uint32_t seq, uint32_t epoch,
                  uint32_t slots, uint32_t bad_seal)
{
    uint8_t payload[RING];
    uint32_t plen = len < RING - 24 ? len : RING - 24;
    fill(payload, plen, len);
    uint32_t off = (index % NSLOTS) * 64;
    for (uint32_t i = 0; i < plen; i++)
        f->data[(off + 24 + i) % RING] = payload[i];
    uint32_t dsum = msgchan_payload_sum(payload, plen);
    struct msgchan_hdr h = {len, seq, epoch, dsum, msgchan_hdr_seal(len, seq, epoch, dsum, index) ^ bad_seal, 0};
    memcpy(f->data + off, &h, sizeof(h));
    f->p->head = (uint64_t)(seq + 1) << 32 | (index + slots);
}

static void expect_bad(struct fix *f, uint64_t corrupt_before)
{
    uint8_t buf[RING];
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_EBADMSG);
    struct msgchan_stats st;
    msgchan_rx_stats(&f->rx, &st);
    assert_int_equal(st.corrupt, corrupt_before + 1);
    /* Resynchronised: the producer's next message comes through. */
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_EAGAIN);
    round_trip(f, 100, (uint32_t)corrupt_before);
}

static void test_forged_headers(void **state)
{
    struct fix *f = *state;
    uint64_t n = 0;
    uint32_t e = (uint32_t)f->p->ep;
    round_trip(f, 10, 1);
    uint32_t i = (uint32_t)f->p->head, s = (uint32_t)(f->p->head >> 32);
    /* Properly sealed, but wrong where the seal cannot help. */
    forge(f, i, RING, s, e, NSLOTS, 0), expect_bad(f, n++);           /* longer than the ring */
    i = (uint32_t)f->p->head, s = (uint32_t)(f->p->head >> 32);
    forge(f, i, UINT32_MAX, s, e, NSLOTS, 0), expect_bad(f, n++);
    i = (uint32_t)f->p->head, s = (uint32_t)(f->p->head >> 32);
    forge(f, i, MAX + 1, s, e, NSLOTS, 0), expect_bad(f, n++);         /* just above the limit */
    i = (uint32_t)f->p->head, s = (uint32_t)(f->p->head >> 32);
    forge(f, i, 200, s, e, 3, 0), expect_bad(f, n++);                  /* more than published */
    i = (uint32_t)f->p->head, s = (uint32_t)(f->p->head >> 32);
    forge(f, i, 200, s, e + 1, 4, 0), expect_bad(f, n++);              /* another epoch */
    i = (uint32_t)f->p->head, s = (uint32_t)(f->p->head >> 32);
    forge(f, i, 200, s + 1, e, 4, 0), expect_bad(f, n++);              /* a skipped sequence */
    i = (uint32_t)f->p->head, s = (uint32_t)(f->p->head >> 32);
    forge(f, i, 200, s, e, 4, 1), expect_bad(f, n++);                  /* torn: the seal is off */
    i = (uint32_t)f->p->head, s = (uint32_t)(f->p->head >> 32);
    forge(f, i, 200, s, e, 4, 0);                                      /* a header from the last lap */
    struct msgchan_hdr *h = (void *)(f->data + (i % NSLOTS) * 64);
    h->check = msgchan_hdr_seal(200, s, e, h->dsum, i - NSLOTS);
    expect_bad(f, n++);
    i = (uint32_t)f->p->head, s = (uint32_t)(f->p->head >> 32);
    forge(f, i, 200, s, e, 4, 0);
    h = (void *)(f->data + (i % NSLOTS) * 64);
    h->zero = 1;
    expect_bad(f, n++);
    /* A good message, but the producer index more than a ring ahead, or
     * behind the consumer's. */
    i = (uint32_t)f->p->head, s = (uint32_t)(f->p->head >> 32);
    forge(f, i, 200, s, e, 4, 0);
    f->p->head = (uint64_t)(s + 1) << 32 | (i + NSLOTS + 1);
    expect_bad(f, n++);
    i = (uint32_t)f->p->head, s = (uint32_t)(f->p->head >> 32);
    forge(f, i, 200, s, e, 4, 0);
    f->p->head = (uint64_t)(s + 1) << 32 | (i - 1);
    expect_bad(f, n++);
    /* A good header, then the right length of slots: accepted. */
    i = (uint32_t)f->p->head, s = (uint32_t)(f->p->head >> 32);
    forge(f, i, 200, s, e, 4, 0);
    uint8_t buf[RING], want[200];
    fill(want, 200, 200);
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 200);
    assert_memory_equal(buf, want, 200);
}

/* A payload changed after the header was sealed: that message only is lost. */
static void test_torn_payload(void **state)
{
    struct fix *f = *state;
    uint8_t a[300], buf[RING];
    fill(a, sizeof(a), 9);
    for (uint32_t o = 0; o < NSLOTS; o++) {
        set_indices(f, o);
        f->c->stats.corrupt = 0;
        assert_int_equal(msgchan_send(&f->tx, a, sizeof(a)), 0);
        assert_int_equal(msgchan_send(&f->tx, a, 5), 0);
        f->data[(o * 64 + 24 + (o * 37) % 300) % RING] ^= 0x10;
        assert_int_equal(msgchan_peek(&f->rx), 300); /* the header is fine */
        assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), -MSGCHAN_EBADMSG);
        assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 5);
        assert_int_equal(f->c->stats.corrupt, 1);
    }
}

/* Random bytes over everything the producer can write, again and again; the
 * consumer answers each call sanely and never touches a byte outside the ring
 * (its mapping has nothing else). A producer reset then brings it back. Some
 * rounds forge sealed headers with random fields, which the seal lets pass. */
static void test_garbage_producer(void **state)
{
    struct fix *f = *state;
    uint8_t buf[RING + 64];
    srand(7);
    uint64_t bad = 0, resets = 0, good = 0;
    for (int round = 0; round < 3000; round++) {
        uint8_t *pb = (uint8_t *)f->p;
        for (size_t k = 0; k < sizeof(*f->p); k++)
            if (rand() % 4 == 0)
                pb[k] = (uint8_t)rand();
        if (round % 3 == 0)
            for (uint32_t k = 0; k < RING; k++)
                f->data[k] = (uint8_t)rand();
        if (round % 4) { /* garbage in head and slots only, under a valid epoch */
            f->p->ep = (uint64_t)f->c->gen << 32 | f->c->epoch;
            f->p->closed = 0;
        }
        if (round % 5 == 0) /* plausible indices, sealed headers with random fields */
            forge(f, f->c->cons, (uint32_t)rand() % (RING + 10), f->c->next_seq + (rand() % 8 == 0),
                  f->c->epoch + (rand() % 8 == 0), (uint32_t)rand() % (NSLOTS + 2), rand() % 8 == 0);
        for (int k = 0; k < 8; k++) {
            uint32_t cap = (uint32_t)rand() % (RING + 1);
            int r = k % 3 == 0 ? msgchan_peek(&f->rx) : msgchan_recv(&f->rx, buf, cap);
            msgchan_rx_ready(&f->rx);
            if (r >= 0) {
                assert_true((uint32_t)r <= MAX);
                assert_true(k % 3 == 0 || (uint32_t)r <= cap);
                good++;
            } else {
                assert_true(r == -MSGCHAN_EAGAIN || r == -MSGCHAN_EBADMSG || r == -MSGCHAN_EPIPE ||
                            r == -MSGCHAN_ECONNRESET || r == -MSGCHAN_EMSGSIZE);
                bad += r == -MSGCHAN_EBADMSG;
                resets += r == -MSGCHAN_ECONNRESET;
            }
        }
    }
    struct msgchan_stats st;
    msgchan_rx_stats(&f->rx, &st);
    assert_true(bad > 1000 && resets > 100 && good > 50);
    assert_int_equal(st.corrupt, bad);
    /* The producer restarts: clean again. */
    memset(f->p, 0, sizeof(*f->p));
    msgchan_tx_reset(&f->tx);
    uint8_t b2[8];
    int r, tries = 0;
    while ((r = msgchan_recv(&f->rx, b2, sizeof(b2))) != -MSGCHAN_EAGAIN) {
        assert_true(r == -MSGCHAN_ECONNRESET || r == -MSGCHAN_EBADMSG);
        assert_true(++tries < 4);
    }
    for (uint32_t len = 0; len <= MAX; len += 7)
        round_trip(f, len, len);
}

/* The same from the other side: garbage over the consumer's page. The
 * producer never writes outside its own pages (its mapping has no others)
 * and never hangs on an impossible index; a consumer reset heals it. */
static void test_garbage_consumer(void **state)
{
    struct fix *f = *state;
    uint8_t buf[RING] = {0};
    srand(8);
    int proto = 0, sent = 0;
    for (int round = 0; round < 3000; round++) {
        uint8_t *cb = (uint8_t *)f->c;
        for (size_t k = 0; k < sizeof(*f->c); k++)
            if (rand() % 4 == 0)
                cb[k] = (uint8_t)rand();
        if (round % 2)
            f->c->epoch = (uint32_t)f->p->ep, f->c->gen = (uint32_t)(f->p->ep >> 32);
        for (int k = 0; k < 8; k++) {
            int r = msgchan_send(&f->tx, buf, (uint32_t)rand() % (MAX + 1));
            msgchan_tx_ready(&f->tx, 1);
            assert_true(r == 0 || r == -MSGCHAN_EAGAIN || r == -MSGCHAN_EPROTO ||
                        r == -MSGCHAN_EPIPE || r == -MSGCHAN_ECONNRESET);
            proto += r == -MSGCHAN_EPROTO;
            sent += r == 0;
            /* The consumer's own code copes with its own page, too. */
            r = msgchan_recv(&f->rx, buf, sizeof(buf));
            assert_true(r >= -MSGCHAN_ECONNRESET);
        }
    }
    assert_true(proto > 100);
    assert_true(sent > 100);
    memset(f->c, 0, sizeof(*f->c));
    msgchan_rx_reset(&f->rx);
    int r, tries = 0;
    while ((r = msgchan_send(&f->tx, "ok", 2)) != 0) {
        assert_true(r == -MSGCHAN_ECONNRESET || r == -MSGCHAN_EAGAIN);
        assert_true(++tries < 4);
        msgchan_recv(&f->rx, buf, sizeof(buf));
    }
    assert_int_equal(msgchan_recv(&f->rx, buf, sizeof(buf)), 2);
    for (uint32_t len = 0; len <= MAX; len += 7)
        round_trip(f, len, len);
}

/* The check words: independent of how the payload is split, zeros are not a
 * valid header, and every single-bit flip of a field is caught. */
static void test_check_words(void **state)
{
    (void)state;
    assert_true(msgchan_hdr_seal(0, 0, 0, msgchan_payload_sum(NULL, 0), 0) != 0);
    assert_true(msgchan_hdr_seal(0, 0, 0, 0, 0) != 0);
    uint32_t base = msgchan_hdr_seal(100, 5, 3, 77, 9);
    for (int b = 0; b < 32; b++) {
        assert_true(msgchan_hdr_seal(100 ^ (1u << b), 5, 3, 77, 9) != base);
        assert_true(msgchan_hdr_seal(100, 5 ^ (1u << b), 3, 77, 9) != base);
        assert_true(msgchan_hdr_seal(100, 5, 3 ^ (1u << b), 77, 9) != base);
        assert_true(msgchan_hdr_seal(100, 5, 3, 77 ^ (1u << b), 9) != base);
        assert_true(msgchan_hdr_seal(100, 5, 3, 77, 9 ^ (1u << b)) != base);
    }
    uint8_t a[64];
    fill(a, sizeof(a), 3);
    uint32_t s = msgchan_payload_sum(a, 64);
    for (int bit = 0; bit < 64 * 8; bit++) {
        a[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_true(msgchan_payload_sum(a, 64) != s);
        a[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    uint8_t t[16];
    memcpy(t, a, 16);
    memcpy(t, a + 8, 8), memcpy(t + 8, a, 8); /* two words swapped */
    assert_true(msgchan_payload_sum(t, 16) != msgchan_payload_sum(a, 16));
    assert_true(msgchan_payload_sum(a, 15) != msgchan_payload_sum(a, 16));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errno_values),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_check_words),
        cmocka_unit_test_setup_teardown(test_attach_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_size_every_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sendv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_tx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_rx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_producer_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consumer_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_and_close_peer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doorbells, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forged_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_payload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_producer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_echo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_consumer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
