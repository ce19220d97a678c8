/* msgchan: single-producer single-consumer rings between cores in one shared
 * region. The layout, who writes what and what a reader validates are stated
 * in msgchan.h; this file only needs <string.h> (libc-mini in the kernel).
 *
 * Memory ordering, in brief:
 *   - Publish: the producer writes the payload and the header, then
 *     release-stores head; the consumer acquire-loads head before reading any
 *     slot below it. Free: the consumer copies a message out, then
 *     release-stores cons; the producer acquire-loads cons before reusing a
 *     slot below it.
 *   - Resets: each side stores its index fields, then release-stores its
 *     epoch/generation word; the peer acquire-loads that word first and the
 *     indices after. The producer's epoch and the generation it has seen share
 *     one 64-bit word, so the consumer never sees one without the other.
 *   - Doorbells (Dekker): the waiter stores its ticket, fences (seq_cst), then
 *     re-checks the peer's fields; the peer stores its fields (head, cons,
 *     epoch, closed), fences, then loads the ticket. Each fence orders the
 *     store before it against the load after it, so at least one side sees
 *     the other's store: the waiter does not block, or the peer is told to
 *     ring. Neither can miss both.
 *   - Every shared word is read with one __atomic load into a local, so a
 *     value checked is the value used even if the peer rewrites it. */
#include <string.h>

#include "msgchan.h"

_Static_assert(sizeof(struct msgchan_prod) == 256, "msgchan_prod: four cache lines");
_Static_assert(sizeof(struct msgchan_cons) == 256, "msgchan_cons: four cache lines");
_Static_assert(offsetof(struct msgchan_prod, ep) == 64, "producer index alone on its line");
_Static_assert(offsetof(struct msgchan_prod, cons_cache) == 128, "private line");
_Static_assert(offsetof(struct msgchan_prod, stats) == 192, "stats line");
_Static_assert(offsetof(struct msgchan_cons, epoch) == 64, "consumer index alone on its line");
_Static_assert(offsetof(struct msgchan_cons, prod_cache) == 128, "private line");
_Static_assert(offsetof(struct msgchan_cons, stats) == 192, "stats line");
_Static_assert(sizeof(struct msgchan_hdr) == MSGCHAN_HDR_BYTES, "header size");
_Static_assert(MSGCHAN_HDR_BYTES % 8 == 0, "payload starts on a word");

#define LD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define LD_ACQ(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ST(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define ST_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define FENCE() __atomic_thread_fence(__ATOMIC_SEQ_CST)

#define CTRL_ENTRY 512u /* msgchan_prod then msgchan_cons, per peer */
#define SUM_SEED 0x6d73676368616e31ull
#define SEAL_KEY 0x9e3779b97f4a7c15ull

/* Single writer, relaxed readers (msgchan_*_stats from another context). */
static void stat_add(uint64_t *s, uint64_t v)
{
    ST(s, LD(s) + v);
}

static uint32_t slots_for(uint32_t len) /* len <= max_msg */
{
    return (MSGCHAN_HDR_BYTES + len + MSGCHAN_SLOT - 1) / MSGCHAN_SLOT;
}

/* ---- layout ---- */

static bool geometry_ok(uint32_t ncores, uint32_t ring_bytes)
{
    return ncores >= 1 && ncores <= MSGCHAN_MAX_CORES && ring_bytes >= MSGCHAN_RING_MIN &&
           ring_bytes <= MSGCHAN_RING_MAX && (ring_bytes & (ring_bytes - 1)) == 0;
}

static uint64_t ctrl_bytes(uint32_t ncores)
{
    return ((uint64_t)ncores * CTRL_ENTRY + MSGCHAN_PAGE - 1) & ~(uint64_t)(MSGCHAN_PAGE - 1);
}

static uint64_t block_bytes(uint32_t ncores, uint32_t ring_bytes)
{
    return ctrl_bytes(ncores) + (uint64_t)(ncores - 1) * ring_bytes;
}

static uint64_t block_off(uint32_t ncores, uint32_t ring_bytes, uint32_t core)
{
    return MSGCHAN_PAGE + (uint64_t)core * block_bytes(ncores, ring_bytes);
}

size_t msgchan_region_size(uint32_t ncores, uint32_t ring_bytes)
{
    if (!geometry_ok(ncores, ring_bytes))
        return 0;
    /* At most 4 KiB + 256 * (128 KiB + 255 * 256 MiB) < 2^45: no overflow. */
    uint64_t size = block_off(ncores, ring_bytes, ncores);
    return size > SIZE_MAX ? 0 : (size_t)size;
}

int msgchan_ring_layout(uint32_t ncores, uint32_t ring_bytes, uint32_t from, uint32_t to,
                        struct msgchan_ring_layout *out)
{
    if (!msgchan_region_size(ncores, ring_bytes) || from >= ncores || to >= ncores || from == to)
        return -MSGCHAN_EINVAL;
    uint64_t from_block = block_off(ncores, ring_bytes, from);
    out->prod = (size_t)(from_block + (uint64_t)to * CTRL_ENTRY);
    out->cons = (size_t)(block_off(ncores, ring_bytes, to) + (uint64_t)from * CTRL_ENTRY +
                         sizeof(struct msgchan_prod));
    out->data = (size_t)(from_block + ctrl_bytes(ncores) +
                         (uint64_t)(to < from ? to : to - 1) * ring_bytes);
    out->ring_bytes = ring_bytes;
    return 0;
}

int msgchan_core_block(uint32_t ncores, uint32_t ring_bytes, uint32_t core, size_t *off,
                       size_t *len)
{
    if (!msgchan_region_size(ncores, ring_bytes) || core >= ncores)
        return -MSGCHAN_EINVAL;
    *off = (size_t)block_off(ncores, ring_bytes, core);
    *len = (size_t)block_bytes(ncores, ring_bytes);
    return 0;
}

int msgchan_region_init(void *base, size_t size, uint32_t ncores, uint32_t ring_bytes)
{
    size_t need = msgchan_region_size(ncores, ring_bytes);
    if (!need || !base || size < need || ((uintptr_t)base & (MSGCHAN_PAGE - 1)))
        return -MSGCHAN_EINVAL;
    uint8_t *b = base;
    memset(b, 0, MSGCHAN_PAGE);
    for (uint32_t c = 0; c < ncores; c++)
        memset(b + block_off(ncores, ring_bytes, c), 0, (size_t)ctrl_bytes(ncores));
    struct msgchan_region_hdr *h = base;
    h->version = MSGCHAN_VERSION;
    h->ncores = ncores;
    h->ring_bytes = ring_bytes;
    h->size = need;
    ST_REL(&h->magic, MSGCHAN_MAGIC); /* last: a half-written header is never valid */
    return 0;
}

/* The geometry from the region header, checked against the mapping. */
static int region_geometry(const void *base, size_t size, uint32_t *ncores, uint32_t *ring_bytes)
{
    const struct msgchan_region_hdr *h = base;
    if (!base || ((uintptr_t)base & (MSGCHAN_PAGE - 1)) || size < MSGCHAN_PAGE ||
        LD_ACQ(&h->magic) != MSGCHAN_MAGIC || LD(&h->version) != MSGCHAN_VERSION)
        return -MSGCHAN_EINVAL;
    *ncores = LD(&h->ncores);
    *ring_bytes = LD(&h->ring_bytes);
    size_t need = msgchan_region_size(*ncores, *ring_bytes);
    return need && need <= size ? 0 : -MSGCHAN_EINVAL;
}

/* ---- check words ---- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

/* Fletcher-style over 64-bit words: a is the sum, b the sum of sums (order). */
struct sum {
    uint64_t a, b;
};

static void sum_words(struct sum *s, const uint8_t *p, size_t n) /* n % 8 == 0 */
{
    uint64_t a = s->a, b = s->b;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w;
        __builtin_memcpy(&w, p + i, 8);
        a += w;
        b += a;
    }
    s->a = a;
    s->b = b;
}

static uint32_t sum_fold(const struct sum *s, uint32_t len)
{
    return (uint32_t)(mix64(s->a ^ mix64(s->b + len)) >> 32);
}

/* The last n bytes (the tail word zero-padded), then the fold. */
static uint32_t sum_final(struct sum *s, const uint8_t *p, size_t n, uint32_t len)
{
    size_t whole = n & ~(size_t)7;
    sum_words(s, p, whole);
    if (n & 7) {
        uint64_t w = 0;
        for (size_t i = 0; i < (n & 7); i++)
            w |= (uint64_t)p[whole + i] << (8 * i);
        s->a += w;
        s->b += s->a;
    }
    return sum_fold(s, len);
}

/* Copies n bytes and sums them in the same pass, as sum_words and then
 * sum_final's tail would over dst: n % 8 == 0 except on a message's last
 * piece. Each source word is loaded once and both stored and summed, so the
 * sum is of what dst holds even if the source changes meanwhile. */
static void copy_sum(struct sum *s, uint8_t *dst, const uint8_t *src, size_t n)
{
    uint64_t a = s->a, b = s->b;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        __builtin_memcpy(&w, src + i, 8);
        __builtin_memcpy(dst + i, &w, 8);
        a += w;
        b += a;
    }
    if (i < n) {
        uint64_t w = 0;
        for (size_t k = 0; i + k < n; k++) {
            uint8_t v = src[i + k];
            dst[i + k] = v;
            w |= (uint64_t)v << (8 * k);
        }
        a += w;
        b += a;
    }
    s->a = a;
    s->b = b;
}

uint32_t msgchan_payload_sum(const void *payload, uint32_t len)
{
    struct sum s = {SUM_SEED, 0};
    return sum_final(&s, payload, len, len);
}

/* The sum of len bytes at ring offset off, wrapping. The first piece of a
 * wrapped payload is a whole number of words (off and ring_bytes are multiples
 * of 8), so this equals msgchan_payload_sum over the bytes laid end to end. */
static uint32_t ring_sum(const uint8_t *data, uint32_t ring_bytes, uint32_t off, uint32_t len)
{
    struct sum s = {SUM_SEED, 0};
    uint32_t first = ring_bytes - off;
    if (first >= len)
        return sum_final(&s, data + off, len, len);
    sum_words(&s, data + off, first);
    return sum_final(&s, data, len - first, len);
}

uint32_t msgchan_hdr_seal(uint32_t len, uint32_t seq, uint32_t epoch, uint32_t dsum,
                          uint32_t index)
{
    uint64_t x = mix64(((uint64_t)len << 32 | seq) ^ SEAL_KEY);
    x = mix64(x ^ ((uint64_t)epoch << 32 | index));
    return (uint32_t)(mix64(x ^ dsum) >> 32);
}

/* ---- copies in and out of the slots; off < ring_bytes, n <= ring_bytes ---- */

static void ring_put(uint8_t *data, uint32_t ring_bytes, uint32_t off, const uint8_t *src,
                     uint32_t n)
{
    uint32_t first = ring_bytes - off < n ? ring_bytes - off : n;
    if (first)
        memcpy(data + off, src, first);
    if (n > first)
        memcpy(data, src + first, n - first);
}

/* ring_put of one buffer, and its msgchan_payload_sum, in one pass. */
static uint32_t ring_put_sum(uint8_t *data, uint32_t ring_bytes, uint32_t off, const uint8_t *src,
                             uint32_t n)
{
    struct sum s = {SUM_SEED, 0};
    uint32_t first = ring_bytes - off < n ? ring_bytes - off : n; /* a whole number of words if n > first */
    copy_sum(&s, data + off, src, first);
    copy_sum(&s, data, src + first, n - first);
    return sum_fold(&s, n);
}

/* The payload at off into dst, and the msgchan_payload_sum of dst, in one pass. */
static uint32_t ring_get_sum(uint8_t *dst, const uint8_t *data, uint32_t ring_bytes, uint32_t off,
                             uint32_t n)
{
    struct sum s = {SUM_SEED, 0};
    uint32_t first = ring_bytes - off < n ? ring_bytes - off : n;
    copy_sum(&s, dst, data + off, first);
    copy_sum(&s, dst + first, data, n - first);
    return sum_fold(&s, n);
}

/* ---- attach ---- */

static int attach(void *base, size_t size, uint32_t from, uint32_t to,
                  struct msgchan_ring_layout *l)
{
    uint32_t ncores, ring_bytes;
    if (region_geometry(base, size, &ncores, &ring_bytes))
        return -MSGCHAN_EINVAL;
    return msgchan_ring_layout(ncores, ring_bytes, from, to, l);
}

int msgchan_tx_attach(struct msgchan_tx *tx, void *base, size_t size, uint32_t from, uint32_t to)
{
    struct msgchan_ring_layout l;
    if (attach(base, size, from, to, &l))
        return -MSGCHAN_EINVAL;
    uint8_t *b = base;
    tx->p = (struct msgchan_prod *)(b + l.prod);
    tx->c = (const struct msgchan_cons *)(b + l.cons);
    tx->data = b + l.data;
    tx->ring_bytes = l.ring_bytes;
    tx->mask = l.ring_bytes / MSGCHAN_SLOT - 1;
    tx->max_msg = MSGCHAN_MAX_MSG(l.ring_bytes);
    tx->doorbell = false;
    return 0;
}

int msgchan_rx_attach(struct msgchan_rx *rx, void *base, size_t size, uint32_t from, uint32_t to)
{
    struct msgchan_ring_layout l;
    if (attach(base, size, from, to, &l))
        return -MSGCHAN_EINVAL;
    uint8_t *b = base;
    rx->p = (const struct msgchan_prod *)(b + l.prod);
    rx->c = (struct msgchan_cons *)(b + l.cons);
    rx->data = b + l.data;
    rx->ring_bytes = l.ring_bytes;
    rx->mask = l.ring_bytes / MSGCHAN_SLOT - 1;
    rx->max_msg = MSGCHAN_MAX_MSG(l.ring_bytes);
    rx->doorbell = false;
    return 0;
}

uint32_t msgchan_tx_max_msg(const struct msgchan_tx *tx)
{
    return tx->max_msg;
}

/* ---- producer ---- */

/* After a store the consumer may be waiting for (head, epoch, closed): the
 * fence, then its sleep ticket. One doorbell per ticket. */
static void tx_notify(struct msgchan_tx *tx)
{
    FENCE();
    uint32_t s = LD(&tx->c->sleep);
    if ((s & 1) && s != LD(&tx->p->sleep_rung)) {
        ST(&tx->p->sleep_rung, s);
        tx->doorbell = true;
        stat_add(&tx->p->stats.doorbells, 1);
    }
}

/* New epoch, echoing consumer generation gen. The producer index stays; the
 * consumer will start there, and until it acknowledges the epoch nothing is
 * sent, so no slot it may still be reading is rewritten. */
static void tx_reset_to(struct msgchan_tx *tx, uint32_t gen)
{
    struct msgchan_prod *p = tx->p;
    uint32_t epoch = (uint32_t)LD(&p->ep) + 1;
    if (epoch == LD_ACQ(&tx->c->epoch)) /* only after wild writes: still make it new */
        epoch++;
    ST(&p->cons_cache, (uint32_t)LD(&p->head));
    ST(&p->closed, 0);
    ST_REL(&p->ep, (uint64_t)gen << 32 | epoch);
    stat_add(&p->stats.resets, 1);
    tx_notify(tx); /* a sleeping consumer must wake to acknowledge */
}

void msgchan_tx_reset(struct msgchan_tx *tx)
{
    tx_reset_to(tx, LD_ACQ(&tx->c->gen));
}

/* 0 when the ring takes messages in the current epoch; *epoch set. */
static int tx_state(struct msgchan_tx *tx, uint32_t *epoch, bool act)
{
    uint64_t ep = LD(&tx->p->ep);
    uint32_t gen = LD_ACQ(&tx->c->gen);
    if (gen != (uint32_t)(ep >> 32)) {
        if (act)
            tx_reset_to(tx, gen);
        return -MSGCHAN_ECONNRESET;
    }
    *epoch = (uint32_t)ep;
    if (LD(&tx->p->closed) == MSGCHAN_CLOSED(*epoch) || LD(&tx->c->closed) == MSGCHAN_CLOSED(*epoch))
        return -MSGCHAN_EPIPE;
    if (LD_ACQ(&tx->c->epoch) != *epoch) /* reset not acknowledged yet */
        return -MSGCHAN_EAGAIN;
    return 0;
}

bool msgchan_tx_answer(struct msgchan_tx *tx)
{
    uint32_t epoch;
    return tx_state(tx, &epoch, true) == -MSGCHAN_ECONNRESET;
}

/* Room for need slots at prod: 0, -EAGAIN, or -EPROTO (the consumer index is
 * not within one ring behind prod). */
static int tx_room(struct msgchan_tx *tx, uint32_t prod, uint32_t need, bool act)
{
    uint32_t nslots = tx->mask + 1;
    uint32_t used = prod - LD(&tx->p->cons_cache);
    if (used <= nslots && nslots - used >= need)
        return 0;
    uint32_t cons = LD_ACQ(&tx->c->cons);
    used = prod - cons;
    if (used > nslots) {
        if (act)
            stat_add(&tx->p->stats.corrupt, 1);
        return -MSGCHAN_EPROTO;
    }
    if (act)
        ST(&tx->p->cons_cache, cons);
    return nslots - used >= need ? 0 : -MSGCHAN_EAGAIN;
}

int msgchan_sendv(struct msgchan_tx *tx, const struct msgchan_iov *iov, unsigned n)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < n; i++)
        total += iov[i].len;
    if (total > tx->max_msg)
        return -MSGCHAN_EMSGSIZE;
    uint32_t len = (uint32_t)total, epoch;
    int err = tx_state(tx, &epoch, true);
    if (err)
        return err;
    struct msgchan_prod *p = tx->p;
    uint64_t head = LD(&p->head);
    uint32_t prod = (uint32_t)head, seq = (uint32_t)(head >> 32), need = slots_for(len);
    err = tx_room(tx, prod, need, true);
    if (err)
        return err;

    uint32_t slot = (prod & tx->mask) * MSGCHAN_SLOT, off = slot + MSGCHAN_HDR_BYTES, dsum;
    if (n == 1) { /* the usual case: copy and sum in one pass */
        dsum = ring_put_sum(tx->data, tx->ring_bytes, off, iov[0].base, len);
    } else {
        for (unsigned i = 0, at = off; i < n; i++) {
            if (iov[i].len)
                ring_put(tx->data, tx->ring_bytes, at, iov[i].base, iov[i].len);
            at = (at + iov[i].len) & (tx->ring_bytes - 1);
        }
        dsum = ring_sum(tx->data, tx->ring_bytes, off, len);
    }
    uint32_t *h = (uint32_t *)(tx->data + slot);
    ST(&h[0], len);
    ST(&h[1], seq);
    ST(&h[2], epoch);
    ST(&h[3], dsum);
    ST(&h[4], msgchan_hdr_seal(len, seq, epoch, dsum, prod));
    ST(&h[5], 0u);
    ST_REL(&p->head, (uint64_t)(seq + 1) << 32 | (uint32_t)(prod + need)); /* publish */
    stat_add(&p->stats.msgs, 1);
    stat_add(&p->stats.bytes, len);
    tx_notify(tx);
    return 0;
}

int msgchan_send(struct msgchan_tx *tx, const void *msg, uint32_t len)
{
    struct msgchan_iov iov = {msg, len};
    return msgchan_sendv(tx, &iov, 1);
}

bool msgchan_tx_ready(const struct msgchan_tx *tx, uint32_t len)
{
    if (len > tx->max_msg)
        return true;
    uint32_t epoch;
    int err = tx_state((struct msgchan_tx *)tx, &epoch, false);
    if (err)
        return err != -MSGCHAN_EAGAIN;
    uint32_t prod = (uint32_t)LD(&tx->p->head);
    return tx_room((struct msgchan_tx *)tx, prod, slots_for(len), false) != -MSGCHAN_EAGAIN;
}

bool msgchan_tx_prepare_wait(struct msgchan_tx *tx, uint32_t len)
{
    uint32_t w = LD(&tx->p->wait);
    ST(&tx->p->wait, (w & 1) ? w + 2 : w + 1); /* a new odd ticket */
    FENCE();
    if (msgchan_tx_ready(tx, len)) {
        msgchan_tx_awake(tx);
        return false;
    }
    stat_add(&tx->p->stats.waits, 1);
    return true;
}

void msgchan_tx_awake(struct msgchan_tx *tx)
{
    uint32_t w = LD(&tx->p->wait);
    if (w & 1)
        ST(&tx->p->wait, w + 1);
}

bool msgchan_tx_doorbell(struct msgchan_tx *tx)
{
    bool d = tx->doorbell;
    tx->doorbell = false;
    return d;
}

void msgchan_tx_close(struct msgchan_tx *tx)
{
    ST(&tx->p->closed, MSGCHAN_CLOSED(LD(&tx->p->ep)));
    tx_notify(tx);
}

static void stats_copy(const struct msgchan_stats *s, struct msgchan_stats *out)
{
    out->msgs = LD(&s->msgs);
    out->bytes = LD(&s->bytes);
    out->corrupt = LD(&s->corrupt);
    out->resets = LD(&s->resets);
    out->waits = LD(&s->waits);
    out->doorbells = LD(&s->doorbells);
}

void msgchan_tx_stats(const struct msgchan_tx *tx, struct msgchan_stats *out)
{
    stats_copy(&tx->p->stats, out);
}

/* ---- consumer ---- */

/* After a store the producer may be waiting for (cons, epoch, gen, closed):
 * the fence, then its wait ticket. One doorbell per ticket. */
static void rx_notify(struct msgchan_rx *rx)
{
    FENCE();
    uint32_t w = LD(&rx->p->wait);
    if ((w & 1) && w != LD(&rx->c->wait_rung)) {
        ST(&rx->c->wait_rung, w);
        rx->doorbell = true;
        stat_add(&rx->c->stats.doorbells, 1);
    }
}

/* Start at the producer's current index: everything published is dropped. */
static void rx_skip_to_head(struct msgchan_rx *rx)
{
    uint64_t head = LD_ACQ(&rx->p->head);
    ST(&rx->c->prod_cache, (uint32_t)head);
    ST(&rx->c->next_seq, (uint32_t)(head >> 32));
    ST_REL(&rx->c->cons, (uint32_t)head);
}

static int rx_corrupt(struct msgchan_rx *rx)
{
    rx_skip_to_head(rx);
    stat_add(&rx->c->stats.corrupt, 1);
    rx_notify(rx);
    return -MSGCHAN_EBADMSG;
}

/* Closed by the consumer (for its epoch) or, unless the consumer's own reset
 * is still unanswered (that session is over), by the producer. */
static bool rx_closed(const struct msgchan_rx *rx, uint64_t ep)
{
    if (LD(&rx->c->closed) == MSGCHAN_CLOSED(LD(&rx->c->epoch)))
        return true;
    return (uint32_t)(ep >> 32) == LD(&rx->c->gen) &&
           LD(&rx->p->closed) == MSGCHAN_CLOSED((uint32_t)ep);
}

/* An echo other than the current generation is one of ours still on its
 * way only if it lies between the last generation echoed and the current. */
static bool echo_pending(const struct msgchan_cons *c, uint32_t echo)
{
    uint32_t acked = LD(&c->gen_acked);
    return echo - acked <= LD(&c->gen) - acked;
}

/* Validates the next message and returns its header and slot count, or an
 * error (resyncing as needed). Reads only the header slot. */
static int rx_next(struct msgchan_rx *rx, struct msgchan_hdr *h, uint32_t *need)
{
    struct msgchan_cons *c = rx->c;
    uint64_t ep = LD_ACQ(&rx->p->ep);
    uint32_t epoch = (uint32_t)ep;
    uint32_t echo = (uint32_t)(ep >> 32);
    if (echo != LD(&c->gen)) { /* our reset not seen by the producer yet, or garbage */
        if (!echo_pending(c, echo))
            return rx_corrupt(rx);
        return rx_closed(rx, ep) ? -MSGCHAN_EPIPE : -MSGCHAN_EAGAIN;
    }
    if (LD(&c->gen_acked) != echo)
        ST(&c->gen_acked, echo);
    if (epoch != LD(&c->epoch)) { /* the producer reset: start at its index, acknowledge */
        rx_skip_to_head(rx);
        ST(&c->closed, 0);
        ST_REL(&c->epoch, epoch);
        stat_add(&c->stats.resets, 1);
        rx_notify(rx);
        return -MSGCHAN_ECONNRESET;
    }
    uint32_t nslots = rx->mask + 1, cons = LD(&c->cons), avail = LD(&c->prod_cache) - cons;
    if (avail == 0 || avail > nslots) {
        uint32_t prod = (uint32_t)LD_ACQ(&rx->p->head);
        avail = prod - cons;
        if (avail > nslots)
            return rx_corrupt(rx);
        ST(&c->prod_cache, prod);
        if (avail == 0)
            return rx_closed(rx, ep) ? -MSGCHAN_EPIPE : -MSGCHAN_EAGAIN;
    }
    const uint32_t *w = (const uint32_t *)(rx->data + (cons & rx->mask) * MSGCHAN_SLOT);
    h->len = LD(&w[0]);
    h->seq = LD(&w[1]);
    h->epoch = LD(&w[2]);
    h->dsum = LD(&w[3]);
    h->check = LD(&w[4]);
    h->zero = LD(&w[5]);
    if (h->check != msgchan_hdr_seal(h->len, h->seq, h->epoch, h->dsum, cons) || h->zero ||
        h->epoch != epoch || h->seq != LD(&c->next_seq) || h->len > rx->max_msg ||
        slots_for(h->len) > avail)
        return rx_corrupt(rx);
    *need = slots_for(h->len);
    return 0;
}

int msgchan_recv(struct msgchan_rx *rx, void *buf, uint32_t cap)
{
    struct msgchan_hdr h;
    uint32_t need;
    int err = rx_next(rx, &h, &need);
    if (err)
        return err;
    if (h.len > cap)
        return -MSGCHAN_EMSGSIZE;
    struct msgchan_cons *c = rx->c;
    uint32_t cons = LD(&c->cons);
    uint32_t off = (cons & rx->mask) * MSGCHAN_SLOT + MSGCHAN_HDR_BYTES;
    /* Checked on our own copy: the producer may be rewriting the slots. */
    bool intact = ring_get_sum(buf, rx->data, rx->ring_bytes, off, h.len) == h.dsum;
    ST(&c->next_seq, h.seq + 1);
    ST_REL(&c->cons, cons + need); /* free: the copy is done */
    rx_notify(rx);
    if (!intact) {
        stat_add(&c->stats.corrupt, 1);
        return -MSGCHAN_EBADMSG;
    }
    stat_add(&c->stats.msgs, 1);
    stat_add(&c->stats.bytes, h.len);
    return (int)h.len;
}

int msgchan_peek(struct msgchan_rx *rx)
{
    struct msgchan_hdr h;
    uint32_t need;
    int err = rx_next(rx, &h, &need);
    return err ? err : (int)h.len;
}

bool msgchan_rx_ready(const struct msgchan_rx *rx)
{
    uint64_t ep = LD_ACQ(&rx->p->ep);
    if ((uint32_t)(ep >> 32) != LD(&rx->c->gen)) /* garbage is news: the read reports it */
        return !echo_pending(rx->c, (uint32_t)(ep >> 32)) || rx_closed(rx, ep);
    if ((uint32_t)ep != LD(&rx->c->epoch))
        return true;
    if ((uint32_t)LD_ACQ(&rx->p->head) != LD(&rx->c->cons))
        return true;
    return rx_closed(rx, ep);
}

bool msgchan_rx_prepare_sleep(struct msgchan_rx *rx)
{
    uint32_t s = LD(&rx->c->sleep);
    ST(&rx->c->sleep, (s & 1) ? s + 2 : s + 1); /* a new odd ticket */
    FENCE();
    if (msgchan_rx_ready(rx)) {
        msgchan_rx_awake(rx);
        return false;
    }
    stat_add(&rx->c->stats.waits, 1);
    return true;
}

void msgchan_rx_awake(struct msgchan_rx *rx)
{
    uint32_t s = LD(&rx->c->sleep);
    if (s & 1)
        ST(&rx->c->sleep, s + 1);
}

bool msgchan_rx_doorbell(struct msgchan_rx *rx)
{
    bool d = rx->doorbell;
    rx->doorbell = false;
    return d;
}

/* A new generation: drop everything, and ignore the ring until the producer
 * echoes the generation with a new epoch. */
void msgchan_rx_reset(struct msgchan_rx *rx)
{
    struct msgchan_cons *c = rx->c;
    rx_skip_to_head(rx);
    ST(&c->closed, 0);
    msgchan_rx_awake(rx);
    ST_REL(&c->gen, LD(&c->gen) + 1);
    stat_add(&c->stats.resets, 1);
    rx_notify(rx); /* a waiting producer must wake to see it */
}

void msgchan_rx_close(struct msgchan_rx *rx)
{
    ST(&rx->c->closed, MSGCHAN_CLOSED(LD(&rx->c->epoch)));
    rx_notify(rx);
}

void msgchan_rx_stats(const struct msgchan_rx *rx, struct msgchan_stats *out)
{
    stats_copy(&rx->c->stats, out);
}

/* ---- whole cores ---- */

int msgchan_restart(void *base, size_t size, uint32_t core, uint8_t *wake)
{
    uint32_t ncores, ring_bytes;
    if (region_geometry(base, size, &ncores, &ring_bytes) || core >= ncores)
        return -MSGCHAN_EINVAL;
    int owed = 0;
    for (uint32_t k = 0; k < ncores; k++) {
        struct msgchan_tx tx;
        struct msgchan_rx rx;
        if (k == core || msgchan_tx_attach(&tx, base, size, core, k) ||
            msgchan_rx_attach(&rx, base, size, k, core))
            continue;
        msgchan_tx_reset(&tx);
        msgchan_rx_reset(&rx);
        if (tx.doorbell || rx.doorbell) {
            owed++;
            if (wake)
                wake[k] = 1;
        }
    }
    return owed;
}

int msgchan_close_peer(void *base, size_t size, uint32_t me, uint32_t dead)
{
    struct msgchan_tx tx;
    struct msgchan_rx rx;
    if (msgchan_rx_attach(&rx, base, size, dead, me) || msgchan_tx_attach(&tx, base, size, me, dead))
        return -MSGCHAN_EINVAL;
    msgchan_rx_close(&rx);
    msgchan_tx_close(&tx);
    return 0;
}
