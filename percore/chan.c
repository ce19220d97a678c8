/* Channel files over msgchan (chan.h). Each core keeps its own handles to
 * its ends of the rings and touches only its own block of the region. The
 * interrupt handler for VEC_CHAN only sets a flag; chan_poll, called from
 * the scheduler, does the work in kernel context. A reader that finds its
 * ring empty just waits: the core looks at its rings on every return to
 * user mode and while it spins idle, and announces the sleep that makes
 * senders ring the doorbell only when it is about to halt
 * (chan_before_halt), so a core that is awake is never interrupted. */
#include "chan.h"

#include <stdio.h>

#include "arch/x86.h"
#include "heap.h"
#include "msgchan.h"
#include "sched.h"
#include "uapi.h"

struct chan_file {
    struct file *file;
    int peer;
    bool told; /* its waiters were told of a message: nothing new to say until the ring is seen empty */
    struct chan_file *next;
};

struct chan_core {
    struct msgchan_tx tx[MAX_CORES];
    struct msgchan_rx rx[MAX_CORES];
    bool closed[MAX_CORES]; /* the peer died: its rings are closed on this side */
    struct chan_file *open;
    volatile bool kick;
};

static struct chan_core chans[MAX_CORES];

static struct chan_core *me(void)
{
    return &chans[this_core()->id];
}

uint32_t chan_ring_bytes(int ncores)
{
    uint64_t rings = (uint64_t)ncores * (uint64_t)(ncores > 1 ? ncores - 1 : 1);
    uint32_t bytes = 1u << 20;
    while (bytes > (64u << 10) && rings * bytes > CHAN_REGION_BUDGET)
        bytes >>= 1;
    return bytes;
}

void chan_init_core(void)
{
    struct core *c = this_core();
    uint64_t size, base = mm_channel_region(&size);
    uint32_t self = c->id;
    size_t off, len;
    if (msgchan_core_block(ncores, chan_ring_bytes(ncores), self, &off, &len))
        panic("core %u has no block in the channel region", self);
    static uint64_t tables[MAX_CORES]; /* built once: a restarted core (smp.c) uses them again */
    if (!tables[self])
        tables[self] = paging_core_tables(base, size, off, ALIGN_UP(len, PAGE_SIZE));
    c->cr3 = tables[self];
    write_cr3(c->cr3);
    for (int k = 0; k < ncores; k++) {
        if ((uint32_t)k == self)
            continue;
        if (msgchan_tx_attach(&chans[self].tx[k], (void *)CHAN_VIEW_BASE, size, self, k) ||
            msgchan_rx_attach(&chans[self].rx[k], (void *)CHAN_VIEW_BASE, size, k, self))
            panic("core %u cannot attach its channel to core %d", self, k);
    }
}

/* The doorbell: an IPI, which only sets the peer's kick flag. */
static void ring(int peer)
{
    chans[peer].kick = true;
    lapic_send_ipi(cores[peer].lapic_id, VEC_CHAN);
}

void chan_kicked(void)
{
    me()->kick = true;
}

/* A message its waiters have not been told of. */
static bool news(struct chan_core *c, struct chan_file *cf)
{
    return !cf->told && msgchan_rx_ready(&c->rx[cf->peer]);
}

void chan_poll(void)
{
    struct chan_core *c = me();
    bool kicked = c->kick;
    if (kicked) {
        c->kick = false;
        uint64_t size;
        mm_channel_region(&size);
        for (int k = 0; k < ncores; k++) {
            if (k == (int)this_core()->id)
                continue;
            if (!c->closed[k] && cores[k].node_state == NODE_DEAD) {
                msgchan_close_peer((void *)CHAN_VIEW_BASE, size, this_core()->id, k);
                c->closed[k] = true;
            } else if (c->closed[k] && core_alive(&cores[k]) && cores[k].node_state != NODE_DEAD) {
                /* Its node restarted and reset its rings (chan_restart). A new epoch of
                 * ours too, so that our first send is not the one that learns of it. */
                c->closed[k] = false;
                msgchan_tx_reset(&c->tx[k]);
            } else if (!c->closed[k] && msgchan_tx_answer(&c->tx[k])) {
                /* It resynced its end (resync): ours follows now, not at our next send,
                 * which may be long in coming when it waits for us to answer it. */
                ring(k);
            }
        }
    }
    for (struct chan_file *cf = c->open; cf; cf = cf->next) {
        bool fresh = news(c, cf);
        if (fresh)
            cf->told = true;
        if (fresh || kicked)
            file_changed(cf->file);
    }
}

bool chan_pending(void)
{
    struct chan_core *c = me();
    if (c->kick)
        return true;
    for (struct chan_file *cf = c->open; cf; cf = cf->next)
        if (news(c, cf))
            return true;
    return false;
}

bool chan_before_halt(void)
{
    struct chan_core *c = me();
    for (struct chan_file *cf = c->open; cf; cf = cf->next)
        if (!cf->told && !msgchan_rx_prepare_sleep(&c->rx[cf->peer])) {
            chan_after_halt(); /* a message came: no sleep, no doorbell wanted */
            return false;
        }
    return true;
}

void chan_after_halt(void)
{
    struct chan_core *c = me();
    for (struct chan_file *cf = c->open; cf; cf = cf->next)
        msgchan_rx_awake(&c->rx[cf->peer]);
}

void chan_restart(void)
{
    uint64_t size;
    uint8_t wake[MAX_CORES] = {0};
    mm_channel_region(&size);
    msgchan_restart((void *)CHAN_VIEW_BASE, size, this_core()->id, wake);
    for (int k = 0; k < ncores; k++) {
        me()->closed[k] = false; /* all reopened: chan_tell_all's kick closes those of dead peers again */
        if (wake[k] && core_alive(&cores[k]))
            ring(k);
    }
}

void chan_tell_all(void)
{
    for (int k = 0; k < ncores; k++)
        if (k == (int)this_core()->id)
            chans[k].kick = true;
        else if (core_alive(&cores[k]))
            ring(k);
}

static struct chan_file *chan_file_of(struct file *f)
{
    return f->priv;
}

static int peer_of(struct file *f)
{
    return chan_file_of(f)->peer;
}

/* A ring to or from k failed the checks: a corrupt message (the stream now
 * has a hole), or an index its peer cannot have written. What is left in
 * the peer's block may stay garbage (inject.c's chan_garbage writes over
 * every control word), so both our ends of the pair start afresh: a new
 * generation of our consumer, which the peer's producer answers with a new
 * epoch (rewriting its header), and a new epoch of our producer, which the
 * peer's consumer takes by rewriting its index. Both sides' ports then
 * read ECONNRESET once, as after a restart, and connect again. */
static void resync(int k, int r)
{
    if (r != -MSGCHAN_EBADMSG && r != -MSGCHAN_EPROTO)
        return;
    msgchan_rx_reset(&me()->rx[k]);
    msgchan_tx_reset(&me()->tx[k]);
    ring(k);
}

/* A receive's result as read gives it: a dead peer reads as end of file. */
static int64_t read_result(int r)
{
    if (r == -MSGCHAN_ECONNRESET)
        return -ECONNRESET;
    return r == -MSGCHAN_EPIPE ? 0 : r;
}

static int64_t chan_read(struct file *f, void *buf, uint64_t len)
{
    int k = peer_of(f);
    struct msgchan_rx *rx = &me()->rx[k];
    uint32_t cap = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    int r = msgchan_recv(rx, buf, cap);
    if (r == -MSGCHAN_EAGAIN) /* the reader waits; the next message is news */
        chan_file_of(f)->told = false;
    resync(k, r);
    if (msgchan_rx_doorbell(rx)) /* space freed for a waiting sender */
        ring(k);
    return read_result(r);
}

static int64_t chan_write(struct file *f, const void *buf, uint64_t len)
{
    int k = peer_of(f);
    struct msgchan_tx *tx = &me()->tx[k];
    if (len > msgchan_tx_max_msg(tx))
        return -EMSGSIZE;
    int r = msgchan_send(tx, buf, (uint32_t)len);
    if (r == -MSGCHAN_EAGAIN && !msgchan_tx_prepare_wait(tx, (uint32_t)len))
        r = msgchan_send(tx, buf, (uint32_t)len);
    else if (r != -MSGCHAN_EAGAIN)
        msgchan_tx_awake(tx);
    if (msgchan_tx_doorbell(tx))
        ring(k);
    resync(k, r);
    return r == 0 ? (int64_t)len : r;
}

static uint32_t chan_poll_file(struct file *f)
{
    int k = peer_of(f);
    struct chan_core *c = me();
    uint32_t ev = 0;
    if (msgchan_rx_ready(&c->rx[k]) || c->closed[k])
        ev |= POLLIN;
    else /* seen empty: the next message is news */
        chan_file_of(f)->told = false;
    /* Writable means room for the largest message, so a writer that waits
     * for POLLOUT can always write; short of it, ask the reader to ring. */
    uint32_t max = msgchan_tx_max_msg(&c->tx[k]);
    if (msgchan_tx_ready(&c->tx[k], max) || !msgchan_tx_prepare_wait(&c->tx[k], max))
        ev |= POLLOUT;
    if (c->closed[k])
        ev |= POLLHUP;
    return ev;
}

/* The next message's length, so that a read checks only that much of its
 * buffer (do_io); peek's one-time reports (a reset, a corrupt message
 * dropped) are the read's result, as chan_read would give them. */
static int64_t chan_next_len(struct file *f)
{
    int k = peer_of(f);
    int r = msgchan_peek(&me()->rx[k]);
    resync(k, r);
    return read_result(r);
}

/* st_blksize is the largest message a write may carry. */
static int chan_stat(struct file *f, struct linux_stat *st)
{
    file_anon_stat(f, st);
    st->st_mode = S_IFCHR | 0600;
    st->st_blksize = msgchan_tx_max_msg(&me()->tx[peer_of(f)]);
    return 0;
}

/* The device's priv is the peer; the file's becomes its entry in this
 * core's list of open channel files, which chan_poll wakes. */
static int chan_open(struct file *f)
{
    int peer = (int)(uintptr_t)f->priv;
    if (peer == (int)this_core()->id || peer >= ncores)
        return -ENXIO;
    struct chan_file *cf = kzalloc(sizeof(*cf));
    if (!cf)
        return -ENOMEM;
    cf->file = f;
    cf->peer = peer;
    cf->next = me()->open;
    me()->open = cf;
    f->priv = cf;
    return 0;
}

static void chan_release(struct file *f)
{
    struct chan_core *c = me();
    for (struct chan_file **p = &c->open; *p; p = &(*p)->next)
        if ((*p)->file == f) {
            struct chan_file *cf = *p;
            *p = cf->next;
            kfree(cf);
            return;
        }
}

int chan_render_stats(char *out, int max)
{
    struct chan_core *c = me();
    int n = 0;
    for (int k = 0; k < ncores && n < max; k++) {
        if (k == (int)this_core()->id)
            continue;
        struct msgchan_stats rx, tx;
        msgchan_rx_stats(&c->rx[k], &rx);
        msgchan_tx_stats(&c->tx[k], &tx);
        n += snprintf(out + n, max - n, "c%d %s %lu %lu %lu %lu\n", k, c->closed[k] ? "closed" : "open", rx.msgs,
                      rx.corrupt, tx.msgs, tx.corrupt);
    }
    return n < max ? n : max;
}

const struct file_ops chan_ops = {
    .read = chan_read, .write = chan_write, .poll = chan_poll_file, .stat = chan_stat, .release = chan_release, .open = chan_open,
    .next_len = chan_next_len,
};
