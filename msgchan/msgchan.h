/* msgchan: the inter-core mailboxes. One shared region holds one
 * single-producer single-consumer ring per ordered pair of cores. Plain C with
 * no kernel dependency: the kernel, the ERTS port driver and the host tests
 * compile msgchan.c unchanged.
 *
 * REGION LAYOUT (all offsets from the region base; sizes in bytes)
 *
 *   [0, 4096)                 region header, written once by msgchan_region_init
 *   block(c), c = 0..N-1      everything core c writes, page aligned:
 *     ctrl pages              for each peer k (k = c unused), 512 bytes:
 *                               +0   struct msgchan_prod of ring (c,k)
 *                               +256 struct msgchan_cons of ring (k,c)
 *                             rounded up to whole pages
 *     data rings              ring (c,k)'s slots, ring_bytes each, for k != c
 *                             in increasing order (k < c at k, k > c at k - 1)
 *
 * msgchan_ring_layout() and msgchan_core_block() compute these offsets.
 *
 * WHO WRITES WHAT (the mapping rule)
 *   - The header page: only msgchan_region_init, before any core attaches;
 *     read-only to every core afterwards.
 *   - block(c): only core c. Every other core maps it read-only. So the
 *     producer of ring (i,j) writes its slots and its msgchan_prod (both in
 *     block(i)); the consumer writes its msgchan_cons (in block(j)).
 *   - Within a block the producer index (msgchan_prod.head) and the consumer
 *     index (msgchan_cons.cons) each have a cache line of their own, and the
 *     fields the peer polls are on lines the owner rarely writes.
 *   Shared memory holds indices and offsets, never pointers: each core may map
 *   the region at its own address.
 *
 * WHAT A READER VALIDATES (everything it reads from its peer's block)
 *   - The producer index: at most one ring ahead of the consumer index.
 *   - Each message header: its check word (a hash of length, sequence number,
 *     epoch, payload checksum and the slot index the consumer expects, so a
 *     stale header from an earlier lap or a torn write fails), epoch equal to
 *     the ring's, sequence number the next expected, length at most max_msg
 *     and within the published slots. Header words are loaded once each.
 *   - The payload checksum, computed over the consumer's own copy (so a
 *     producer rewriting the slots meanwhile cannot pass a check then change
 *     the bytes).
 *   A bad header or index: -MSGCHAN_EBADMSG, counted, and the consumer skips
 *   to the producer's index (everything published so far is dropped). A bad
 *   payload checksum drops that one message. Reads never leave the ring's
 *   slots, so a producer can only corrupt what it sends itself. A producer
 *   that finds the consumer index impossible returns -MSGCHAN_EPROTO and
 *   never writes outside its own block.
 *
 * MESSAGES
 *   Slots are 64 bytes. A message is a 24-byte header (struct msgchan_hdr) at
 *   the start of a slot, the payload right after it in consecutive bytes
 *   wrapping at the end of the ring, rounded up to whole slots. Indices are
 *   free-running 32-bit slot counters (position = index mod slots; the slot
 *   count is a power of two). Messages are at most max_msg = ring_bytes / 2 -
 *   24 bytes; bigger ones are the caller's to fragment (-MSGCHAN_EMSGSIZE).
 *
 * EPOCHS, RESETS AND CLOSE
 *   Each side has a counter on its own page: the producer's epoch (stamped in
 *   every header) and the consumer's generation. A restarted producer bumps
 *   its epoch (msgchan_tx_reset); a restarted consumer bumps its generation
 *   (msgchan_rx_reset). The producer echoes the generation it has seen next to
 *   its epoch, in one 64-bit word, and answers a new generation with a new
 *   epoch. A consumer that sees a new epoch (with its own generation echoed)
 *   drops everything unread, starts at the producer's index, acknowledges the
 *   epoch and returns -MSGCHAN_ECONNRESET once; until then the producer does
 *   not send (-MSGCHAN_EAGAIN), so messages of two epochs never mix and an
 *   old-epoch message is never delivered after the reset was reported. An
 *   echo outside the generations the consumer has made since the last one
 *   echoed is corrupt (-MSGCHAN_EBADMSG), not a reset still on its way. The
 *   producer's caller sees -MSGCHAN_ECONNRESET once when it finds the consumer
 *   restarted; that message was not sent.
 *   Close marks one end closed for the current epoch (the survivors' kernel
 *   closes both rings of a dead core: msgchan_close_peer). send returns
 *   -MSGCHAN_EPIPE; recv delivers what is queued, then -MSGCHAN_EPIPE. A reset
 *   of either end reopens the ring. Close before the dead core restarts.
 *
 * DOORBELLS
 *   The library never interrupts anyone: an operation that owes the peer a
 *   wake-up sets a flag in the handle, read (and cleared) by
 *   msgchan_tx_doorbell() / msgchan_rx_doorbell(); the caller then rings the
 *   peer (IPI, futex). A consumer about to block calls msgchan_rx_prepare_sleep
 *   (announce, full fence, re-check); a producer that publishes does a full
 *   fence and looks at that announcement. A producer short of room does the
 *   same with msgchan_tx_prepare_wait, and the consumer, having freed room,
 *   looks at it. A peer is owed at most one doorbell per announcement.
 *
 * CONCURRENCY
 *   One producer context and one consumer context per ring at a time (the
 *   kernel serialises its fd operations); handles hold only pointers and
 *   geometry, so several handles on one side are fine if not used at once.
 *   Returns are 0 or a non-negative length, or a negative MSGCHAN_E* value;
 *   those equal Linux's errno values, so -MSGCHAN_EAGAIN == -EAGAIN. */
#ifndef MSGCHAN_H
#define MSGCHAN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSGCHAN_EAGAIN 11
#define MSGCHAN_EINVAL 22
#define MSGCHAN_EPIPE 32
#define MSGCHAN_EPROTO 71
#define MSGCHAN_EBADMSG 74
#define MSGCHAN_EMSGSIZE 90
#define MSGCHAN_ECONNRESET 104

#define MSGCHAN_PAGE 4096u
#define MSGCHAN_SLOT 64u
#define MSGCHAN_MAX_CORES 256u
#define MSGCHAN_RING_MIN 4096u         /* ring_bytes: a power of two in [MIN, MAX] */
#define MSGCHAN_RING_MAX (1u << 28)
#define MSGCHAN_HDR_BYTES 24u
#define MSGCHAN_MAX_MSG(ring_bytes) ((ring_bytes) / 2 - MSGCHAN_HDR_BYTES)
#define MSGCHAN_MAGIC 0x314e41484347534dull /* "MSGCHAN1" */
#define MSGCHAN_VERSION 1u

/* ---- shared memory: the structures behind the offsets ---- */

struct msgchan_stats {
    uint64_t msgs;      /* messages sent / delivered */
    uint64_t bytes;     /* their payload bytes */
    uint64_t corrupt;   /* rx: messages or indices rejected (-EBADMSG); tx: bad consumer index */
    uint64_t resets;    /* epoch resets made (tx) or followed (rx) */
    uint64_t waits;     /* prepare_wait / prepare_sleep that let the caller block */
    uint64_t doorbells; /* doorbells owed to the peer */
};

/* Written by the ring's producer only; read by the consumer. */
struct msgchan_prod {
    uint64_t head;            /* next seq << 32 | producer index; release-stored on publish */
    uint8_t pad0[56];
    uint64_t ep;              /* generation seen << 32 | epoch */
    uint64_t closed;          /* MSGCHAN_CLOSED(epoch) when the producer closed */
    uint32_t wait;            /* odd: the producer waits for room (a ticket) */
    uint8_t pad1[44];
    uint32_t cons_cache;      /* the producer's last valid look at msgchan_cons.cons */
    uint32_t sleep_rung;      /* the consumer's sleep ticket last rung */
    uint8_t pad2[56];
    struct msgchan_stats stats;
    uint8_t pad3[16];
};

/* Written by the ring's consumer only; read by the producer. */
struct msgchan_cons {
    uint32_t cons;            /* consumer index: slots before it may be reused */
    uint8_t pad0[60];
    uint32_t epoch;           /* producer epoch acknowledged */
    uint32_t gen;             /* bumped by msgchan_rx_reset */
    uint32_t sleep;           /* odd: the consumer sleeps (a ticket) */
    uint32_t gen_acked;       /* the generation the producer last echoed */
    uint64_t closed;          /* MSGCHAN_CLOSED(epoch) when the consumer closed */
    uint8_t pad1[40];
    uint32_t prod_cache;      /* the consumer's last valid look at the producer index */
    uint32_t next_seq;        /* sequence number expected next */
    uint32_t wait_rung;       /* the producer's wait ticket last rung */
    uint8_t pad2[52];
    struct msgchan_stats stats;
    uint8_t pad3[16];
};

#define MSGCHAN_CLOSED(epoch) ((1ull << 32) | (uint32_t)(epoch))

/* At the start of a slot. check = msgchan_hdr_seal(...) over the other words
 * and the slot index; dsum = msgchan_payload_sum(payload). */
struct msgchan_hdr {
    uint32_t len, seq, epoch, dsum, check, zero;
};

struct msgchan_region_hdr {
    uint64_t magic;
    uint32_t version, ncores, ring_bytes, pad;
    uint64_t size;
};

/* ---- layout ---- */

struct msgchan_ring_layout {
    size_t prod;        /* struct msgchan_prod, in block(from) */
    size_t cons;        /* struct msgchan_cons, in block(to) */
    size_t data;        /* ring_bytes of slots, in block(from) */
    uint32_t ring_bytes;
};

/* Bytes of the whole region; 0 when ncores is not in [1, MSGCHAN_MAX_CORES] or
 * ring_bytes is not a power of two in [MSGCHAN_RING_MIN, MSGCHAN_RING_MAX]. */
size_t msgchan_region_size(uint32_t ncores, uint32_t ring_bytes);
/* Ring (from, to): 0, or -MSGCHAN_EINVAL for bad geometry, an index out of
 * range or from == to. */
int msgchan_ring_layout(uint32_t ncores, uint32_t ring_bytes, uint32_t from, uint32_t to,
                        struct msgchan_ring_layout *out);
/* block(core), the pages only that core may write: [*off, *off + *len). */
int msgchan_core_block(uint32_t ncores, uint32_t ring_bytes, uint32_t core, size_t *off,
                       size_t *len);

/* Writes the header and zeroes every control page (all-zero is every ring's
 * open, empty state; the slots are left as they are). Once, before any core
 * attaches. size must be at least msgchan_region_size(). */
int msgchan_region_init(void *base, size_t size, uint32_t ncores, uint32_t ring_bytes);

/* ---- handles (private memory) ---- */

struct msgchan_tx {
    struct msgchan_prod *p;       /* own */
    const struct msgchan_cons *c; /* the peer's, read-only */
    uint8_t *data;
    uint32_t ring_bytes, mask, max_msg;
    bool doorbell;
};

struct msgchan_rx {
    const struct msgchan_prod *p; /* the peer's, read-only */
    struct msgchan_cons *c;       /* own */
    const uint8_t *data;
    uint32_t ring_bytes, mask, max_msg;
    bool doorbell;
};

struct msgchan_iov {
    const void *base;
    uint32_t len;
};

/* Attach to ring (from, to) in a region of size bytes mapped at base (checks
 * the region header). Writes nothing shared. 0 or -MSGCHAN_EINVAL. */
int msgchan_tx_attach(struct msgchan_tx *tx, void *base, size_t size, uint32_t from, uint32_t to);
int msgchan_rx_attach(struct msgchan_rx *rx, void *base, size_t size, uint32_t from, uint32_t to);
uint32_t msgchan_tx_max_msg(const struct msgchan_tx *tx);

/* Sends one message: 0; -MSGCHAN_EMSGSIZE above max_msg; -MSGCHAN_EPIPE
 * closed; -MSGCHAN_ECONNRESET the consumer restarted (this message not sent;
 * the ring is reset for the next one); -MSGCHAN_EAGAIN no room yet, or the
 * consumer has not acknowledged a reset; -MSGCHAN_EPROTO impossible consumer
 * index. May owe a doorbell. */
int msgchan_send(struct msgchan_tx *tx, const void *msg, uint32_t len);
/* The same for the concatenation of n pieces (e.g. a header and a payload). */
int msgchan_sendv(struct msgchan_tx *tx, const struct msgchan_iov *iov, unsigned n);
/* Receives one message into buf: its length; -MSGCHAN_EAGAIN empty;
 * -MSGCHAN_EMSGSIZE when it is longer than cap (it stays); -MSGCHAN_EPIPE
 * closed and drained; -MSGCHAN_ECONNRESET the producer reset (unread messages
 * dropped); -MSGCHAN_EBADMSG a corrupt message or index, dropped and counted
 * (buf's contents then unspecified). May owe a doorbell. */
int msgchan_recv(struct msgchan_rx *rx, void *buf, uint32_t cap);
/* The next message's length without taking it, or recv's errors (with the
 * same effects: a reset is followed, a corrupt message dropped). */
int msgchan_peek(struct msgchan_rx *rx);

/* True when send of len bytes / recv would not return -MSGCHAN_EAGAIN (for
 * poll). Read-only. */
bool msgchan_tx_ready(const struct msgchan_tx *tx, uint32_t len);
bool msgchan_rx_ready(const struct msgchan_rx *rx);

/* Before blocking: announce, fence, re-check. True: block until the doorbell
 * (the peer will be told to ring), then call the matching _awake, which
 * withdraws the announcement; false: ready again, nothing announced. */
bool msgchan_rx_prepare_sleep(struct msgchan_rx *rx);
void msgchan_rx_awake(struct msgchan_rx *rx);
bool msgchan_tx_prepare_wait(struct msgchan_tx *tx, uint32_t len);
void msgchan_tx_awake(struct msgchan_tx *tx);

/* True (once) when the operations since the last call owe the peer a
 * doorbell: the consumer of tx's ring, or the producer of rx's ring. */
bool msgchan_tx_doorbell(struct msgchan_tx *tx);
bool msgchan_rx_doorbell(struct msgchan_rx *rx);

/* A restarted producer / consumer resets its end (see EPOCHS). May owe a
 * doorbell. */
void msgchan_tx_reset(struct msgchan_tx *tx);
void msgchan_rx_reset(struct msgchan_rx *rx);
/* The producer answers a consumer's new generation now, with a new epoch,
 * instead of at its next send (which then goes out in the new epoch, with
 * no ECONNRESET): true if there was one to answer. May owe a doorbell. */
bool msgchan_tx_answer(struct msgchan_tx *tx);
/* Closes one end for the current epoch. May owe a doorbell. */
void msgchan_tx_close(struct msgchan_tx *tx);
void msgchan_rx_close(struct msgchan_rx *rx);

void msgchan_tx_stats(const struct msgchan_tx *tx, struct msgchan_stats *out);
void msgchan_rx_stats(const struct msgchan_rx *rx, struct msgchan_stats *out);

/* Core `core` restarted: resets its ends of every ring from and to it. When
 * wake is not NULL, wake[k] is set to 1 for each peer k owed a doorbell
 * (others are left alone). The number of such peers, or -MSGCHAN_EINVAL. */
int msgchan_restart(void *base, size_t size, uint32_t core, uint8_t *wake);
/* Core `dead` died, seen from `me`: closes ring (dead, me)'s consumer end and
 * ring (me, dead)'s producer end, both in block(me). 0 or -MSGCHAN_EINVAL. */
int msgchan_close_peer(void *base, size_t size, uint32_t me, uint32_t dead);

/* The check words, for tools and tests that forge or inspect slots. */
uint32_t msgchan_payload_sum(const void *payload, uint32_t len);
uint32_t msgchan_hdr_seal(uint32_t len, uint32_t seq, uint32_t epoch, uint32_t dsum,
                          uint32_t index);

#endif
