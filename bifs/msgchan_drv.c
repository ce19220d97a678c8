/* msgchan: the ERTS port driver over a channel file. One port per peer core,
 * open_port({spawn_driver, "msgchan K"}, [binary]) on /dev/chan/K (percore/
 * chan.h: whole messages, poll, end of file when K dies). It is what carries
 * Erlang distribution between nodes (erlang_os/hydros/src/msgchan_dist.erl):
 * the port becomes the connection's distribution controller, so dist data go
 * straight from ERTS to the ring and back, with no process in between.
 *
 * FRAMES. Every channel message is one frame, its first byte the kind:
 *   'W' a whole port message
 *   'F' the first fragment of a longer one: its total length (4 bytes, big
 *       endian), then bytes; 'C' frames carry the rest, in order
 *   'K' knock: "connect to me" (the carrier's rule for who connects)
 *   'B' bye: the sender closed its end of an established connection
 * The frame size limit is the channel's st_blksize (its largest message).
 * A frame that breaks these rules is dropped and counted (control 's').
 *
 * MODES (port_control). A new port reads nothing. 'o' (once) delivers the
 * next port message to the owner, {Port, {data, Bin}}, or a knock or bye as
 * {msgchan, Port, knock | bye}, then stops reading: the handshake reads this
 * way, and what arrives after it stays in the ring until the port is the
 * distribution controller. 'a' (active) reads everything: in that mode the
 * port is a connection, knocks are ignored and a bye or the peer's death
 * closes the port (exit reason connection_closed; peer_restarted when the
 * ring was reset under it, the peer's node having started again), which is
 * the nodedown.
 * So does a message the kernel dropped as corrupt (exit reason
 * corrupt_channel): a stream with a hole in it is no connection.
 * 'k' sends a knock. Output (port_command, or ERTS's dist output) is queued
 * in the driver queue and sent as frames as the ring has room; the port is
 * busy above QUEUE_HIGH bytes. Closing an active port sends a bye. */
#include <erl_driver.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define QUEUE_HIGH (1u << 20) /* bytes queued: busy above, free again below LOW */
#define QUEUE_LOW (256u << 10)
#define READ_BUDGET 64        /* frames per ready_input, so one peer cannot starve others */
#define MESSAGE_MAX (1u << 30) /* largest reassembled port message */
#define PARTIAL_FIRST (256u << 10) /* a long message's buffer to start with: it grows as bytes come */

enum mode { PASSIVE, ONCE, ACTIVE };

struct chan_port {
    ErlDrvPort port;
    int fd;
    enum mode mode;
    int peer_gone;         /* end of file, or a bye on the connection: no bye back */
    int write_selected;    /* waiting for room in the ring */
    size_t frame_max;      /* the channel's largest message */
    char *frame;           /* frame_max bytes, for reading and for building frames */
    /* Output: bytes in the driver queue, message lengths in a FIFO here. */
    size_t *lens;
    size_t lens_cap, lens_head, lens_count;
    size_t head_sent; /* bytes of the head message already sent */
    /* Input: the message being reassembled from fragments. */
    ErlDrvBinary *partial; /* partial_got bytes of partial_len, in a buffer of orig_size */
    size_t partial_len, partial_got;
    /* Counters. */
    unsigned long frames_in, frames_out, bad_frames;
};

static const char *const driver_name = "msgchan";

static void fail(struct chan_port *cp, const char *why)
{
    driver_failure_atom(cp->port, (char *)why);
}

/* Writes one frame: 1 sent, 0 no room yet, -1 the port failed. */
static int send_frame(struct chan_port *cp, size_t len)
{
    ssize_t n = write(cp->fd, cp->frame, len);
    if (n == (ssize_t)len) {
        cp->frames_out++;
        return 1;
    }
    if (n < 0 && errno == EAGAIN)
        return 0;
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) { /* the peer died, or restarted */
        cp->peer_gone = 1;
        fail(cp, errno == EPIPE ? "connection_closed" : "peer_restarted");
    } else {
        driver_failure_posix(cp->port, n < 0 ? errno : EIO);
    }
    return -1;
}

/* Copies n bytes from the front of the driver queue to dst. */
static void queue_copy(struct chan_port *cp, char *dst, size_t n)
{
    int vlen;
    SysIOVec *iov = driver_peekq(cp->port, &vlen);
    for (int i = 0; n && i < vlen; i++) {
        size_t k = iov[i].iov_len < n ? iov[i].iov_len : n;
        memcpy(dst, iov[i].iov_base, k);
        dst += k;
        n -= k;
    }
}

static void put_be32(char *p, uint32_t v)
{
    p[0] = (char)(v >> 24), p[1] = (char)(v >> 16), p[2] = (char)(v >> 8), p[3] = (char)v;
}

static uint32_t get_be32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static void select_write(struct chan_port *cp, int on)
{
    if (cp->write_selected != on)
        driver_select(cp->port, (ErlDrvEvent)(intptr_t)cp->fd, ERL_DRV_WRITE, on);
    cp->write_selected = on;
}

/* Sends queued messages as frames until the queue is empty or the ring full.
 * Returns -1 when the port failed. */
static int flush(struct chan_port *cp)
{
    while (cp->lens_count) {
        size_t len = cp->lens[cp->lens_head], left = len - cp->head_sent, hdr, n;
        if (cp->head_sent) {
            cp->frame[0] = 'C', hdr = 1;
        } else if (len <= cp->frame_max - 1) {
            cp->frame[0] = 'W', hdr = 1;
        } else {
            cp->frame[0] = 'F', hdr = 5;
            put_be32(cp->frame + 1, (uint32_t)len);
        }
        n = left < cp->frame_max - hdr ? left : cp->frame_max - hdr;
        queue_copy(cp, cp->frame + hdr, n);
        int r = send_frame(cp, hdr + n);
        if (r < 0)
            return -1;
        if (r == 0) { /* the ring is full: the write select says when it has room */
            select_write(cp, 1);
            if (driver_sizeq(cp->port) > QUEUE_HIGH)
                set_busy_port(cp->port, 1);
            return 0;
        }
        driver_deq(cp->port, n);
        cp->head_sent += n;
        if (cp->head_sent == len) {
            cp->head_sent = 0;
            cp->lens_head = (cp->lens_head + 1) % cp->lens_cap;
            cp->lens_count--;
        }
        if (driver_sizeq(cp->port) < QUEUE_LOW)
            set_busy_port(cp->port, 0);
    }
    select_write(cp, 0);
    return 0;
}

static int push_len(struct chan_port *cp, size_t len)
{
    if (cp->lens_count == cp->lens_cap) {
        size_t cap = cp->lens_cap ? 2 * cp->lens_cap : 64;
        size_t *lens = driver_alloc(cap * sizeof(*lens));
        if (!lens)
            return -1;
        for (size_t i = 0; i < cp->lens_count; i++)
            lens[i] = cp->lens[(cp->lens_head + i) % cp->lens_cap];
        driver_free(cp->lens);
        cp->lens = lens, cp->lens_cap = cap, cp->lens_head = 0;
    }
    cp->lens[(cp->lens_head + cp->lens_count++) % cp->lens_cap] = len;
    return 0;
}

static void chan_outputv(ErlDrvData d, ErlIOVec *ev)
{
    struct chan_port *cp = (struct chan_port *)d;
    if (ev->size > MESSAGE_MAX) {
        driver_failure_posix(cp->port, EMSGSIZE);
        return;
    }
    if (push_len(cp, ev->size) < 0) {
        driver_failure_posix(cp->port, ENOMEM);
        return;
    }
    driver_enqv(cp->port, ev, 0);
    flush(cp);
}

static void deliver_event(struct chan_port *cp, const char *what)
{
    ErlDrvTermData spec[] = {
        ERL_DRV_ATOM, driver_mk_atom((char *)driver_name),
        ERL_DRV_PORT, driver_mk_port(cp->port),
        ERL_DRV_ATOM, driver_mk_atom((char *)what),
        ERL_DRV_TUPLE, 3,
    };
    erl_drv_output_term(driver_mk_port(cp->port), spec, sizeof(spec) / sizeof(spec[0]));
}

static void drop_partial(struct chan_port *cp)
{
    if (cp->partial)
        driver_free_binary(cp->partial);
    cp->partial = NULL;
}

/* Room for need bytes of the message being reassembled: the buffer doubles
 * (up to the message's length), so a peer's claimed length costs memory
 * only as its bytes arrive. */
static int grow_partial(struct chan_port *cp, size_t need)
{
    size_t size = (size_t)cp->partial->orig_size;
    if (need <= size)
        return 0;
    while (size < need)
        size *= 2;
    if (size > cp->partial_len)
        size = cp->partial_len;
    ErlDrvBinary *bigger = driver_realloc_binary(cp->partial, (ErlDrvSizeT)size);
    if (!bigger) {
        driver_failure_posix(cp->port, ENOMEM);
        return -1;
    }
    cp->partial = bigger;
    return 0;
}

static void bad_frame(struct chan_port *cp)
{
    cp->bad_frames++;
    drop_partial(cp);
}

/* One frame of n bytes in cp->frame. Returns 1 when it completed something
 * for the owner (a message, a knock or a bye), 0 otherwise, -1 when the port
 * closed. */
static int take_frame(struct chan_port *cp, size_t n)
{
    const char *p = cp->frame + 1;
    size_t len = n - 1;
    cp->frames_in++;
    switch (cp->frame[0]) {
    case 'W':
        if (cp->partial)
            bad_frame(cp); /* a message cut short; this one is fine */
        driver_output(cp->port, (char *)p, len);
        return 1;
    case 'F': {
        if (cp->partial)
            bad_frame(cp);
        uint32_t total = len >= 4 ? get_be32(p) : 0;
        if (len < 4 || total <= len - 4 || total > MESSAGE_MAX) {
            bad_frame(cp);
            return 0;
        }
        size_t first = len - 4 > PARTIAL_FIRST ? len - 4 : PARTIAL_FIRST;
        if (!(cp->partial = driver_alloc_binary(total < first ? total : first))) {
            driver_failure_posix(cp->port, ENOMEM);
            return -1;
        }
        memcpy(cp->partial->orig_bytes, p + 4, len - 4);
        cp->partial_len = total, cp->partial_got = len - 4;
        return 0;
    }
    case 'C':
        if (!cp->partial || len > cp->partial_len - cp->partial_got) {
            bad_frame(cp);
            return 0;
        }
        if (grow_partial(cp, cp->partial_got + len) < 0)
            return -1;
        memcpy(cp->partial->orig_bytes + cp->partial_got, p, len);
        cp->partial_got += len;
        if (cp->partial_got < cp->partial_len)
            return 0;
        driver_output_binary(cp->port, NULL, 0, cp->partial, 0, cp->partial_len);
        drop_partial(cp);
        return 1;
    case 'K':
        if (cp->mode == ACTIVE)
            return 0; /* already connected */
        deliver_event(cp, "knock");
        return 1;
    case 'B':
        if (cp->mode == ACTIVE) {
            cp->peer_gone = 1;
            fail(cp, "connection_closed");
            return -1;
        }
        deliver_event(cp, "bye"); /* the end of an earlier connection */
        return 1;
    default:
        bad_frame(cp);
        return 0;
    }
}

static void set_mode(struct chan_port *cp, enum mode mode)
{
    cp->mode = mode;
    driver_select(cp->port, (ErlDrvEvent)(intptr_t)cp->fd, ERL_DRV_READ, mode != PASSIVE);
}

static void chan_ready_input(ErlDrvData d, ErlDrvEvent ev)
{
    struct chan_port *cp = (struct chan_port *)d;
    (void)ev;
    for (int i = 0; i < READ_BUDGET && cp->mode != PASSIVE; i++) {
        ssize_t n = read(cp->fd, cp->frame, cp->frame_max);
        if (n < 0 && errno == EAGAIN)
            return;
        if (n == 0 || (n < 0 && errno == ECONNRESET)) { /* the peer died, or restarted */
            cp->peer_gone = 1;
            fail(cp, n == 0 ? "connection_closed" : "peer_restarted");
            return;
        }
        if (n < 0) {
            if (errno == EBADMSG) { /* the kernel dropped a corrupt message: the stream has a hole */
                cp->bad_frames++;
                fail(cp, "corrupt_channel");
                return;
            }
            driver_failure_posix(cp->port, errno);
            return;
        }
        int r = take_frame(cp, (size_t)n);
        if (r < 0)
            return;
        if (r > 0 && cp->mode == ONCE)
            set_mode(cp, PASSIVE);
    }
}

static void chan_ready_output(ErlDrvData d, ErlDrvEvent ev)
{
    (void)ev;
    flush((struct chan_port *)d);
}

static ErlDrvSSizeT reply(char **rbuf, ErlDrvSizeT rlen, const char *text)
{
    size_t n = strlen(text);
    if (n > rlen) {
        ErlDrvBinary *b = driver_alloc_binary(n);
        if (!b)
            return -1;
        memcpy(b->orig_bytes, text, n);
        *rbuf = (char *)b;
    } else {
        memcpy(*rbuf, text, n);
    }
    return (ErlDrvSSizeT)n;
}

static ErlDrvSSizeT chan_control(ErlDrvData d, unsigned int cmd, char *buf, ErlDrvSizeT len,
                                 char **rbuf, ErlDrvSizeT rlen)
{
    struct chan_port *cp = (struct chan_port *)d;
    char text[96];
    (void)buf, (void)len;
    switch (cmd) {
    case 'o':
        set_mode(cp, ONCE);
        return reply(rbuf, rlen, "ok");
    case 'a':
        set_mode(cp, ACTIVE);
        return reply(rbuf, rlen, "ok");
    case 'k':
        cp->frame[0] = 'K';
        switch (send_frame(cp, 1)) {
        case 1: return reply(rbuf, rlen, "ok");
        case 0: return reply(rbuf, rlen, "eagain");
        default: return reply(rbuf, rlen, "closed");
        }
    case 's':
        snprintf(text, sizeof(text), "%lu %lu %lu %lu", cp->frames_in, cp->frames_out,
                 cp->bad_frames, (unsigned long)driver_sizeq(cp->port));
        return reply(rbuf, rlen, text);
    default:
        return -1; /* badarg */
    }
}

/* "msgchan K": opens /dev/chan/K. */
static ErlDrvData chan_start(ErlDrvPort port, char *command)
{
    const char *arg = strchr(command, ' ');
    char path[32], *end;
    struct stat st;
    long peer = arg ? strtol(arg + 1, &end, 10) : -1;
    if (!arg || end == arg + 1 || *end || peer < 0 || peer > 4095)
        return ERL_DRV_ERROR_BADARG;
    snprintf(path, sizeof(path), "/dev/chan/%ld", peer);
    int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return ERL_DRV_ERROR_ERRNO;
    if (fstat(fd, &st) < 0 || st.st_blksize < 64) {
        close(fd);
        errno = EINVAL;
        return ERL_DRV_ERROR_ERRNO;
    }
    struct chan_port *cp = driver_alloc(sizeof(*cp));
    char *frame = driver_alloc((size_t)st.st_blksize);
    if (!cp || !frame) {
        driver_free(cp);
        driver_free(frame);
        close(fd);
        errno = ENOMEM;
        return ERL_DRV_ERROR_ERRNO;
    }
    memset(cp, 0, sizeof(*cp));
    cp->port = port, cp->fd = fd, cp->frame = frame, cp->frame_max = (size_t)st.st_blksize;
    /* Registered as in use from the start, so stop's deselect always ends in
     * stop_select, which closes it. */
    driver_select(port, (ErlDrvEvent)(intptr_t)fd, ERL_DRV_USE, 1);
    set_port_control_flags(port, PORT_CONTROL_FLAG_BINARY);
    return (ErlDrvData)cp;
}

static void chan_stop(ErlDrvData d)
{
    struct chan_port *cp = (struct chan_port *)d;
    if (cp->mode == ACTIVE && !cp->peer_gone) { /* best effort: the peer's nodedown without a tick timeout */
        cp->frame[0] = 'B';
        (void)write(cp->fd, cp->frame, 1);
    }
    driver_select(cp->port, (ErlDrvEvent)(intptr_t)cp->fd, ERL_DRV_USE | ERL_DRV_READ | ERL_DRV_WRITE, 0);
    drop_partial(cp);
    driver_free(cp->lens);
    driver_free(cp->frame);
    driver_free(cp);
}

static void chan_stop_select(ErlDrvEvent ev, void *reserved)
{
    (void)reserved;
    close((int)(intptr_t)ev);
}

static ErlDrvEntry chan_driver_entry = {
    .driver_name = (char *)"msgchan",
    .start = chan_start,
    .stop = chan_stop,
    .ready_input = chan_ready_input,
    .ready_output = chan_ready_output,
    .control = chan_control,
    .outputv = chan_outputv,
    .extended_marker = ERL_DRV_EXTENDED_MARKER,
    .major_version = ERL_DRV_EXTENDED_MAJOR_VERSION,
    .minor_version = ERL_DRV_EXTENDED_MINOR_VERSION,
    .driver_flags = ERL_DRV_FLAG_USE_PORT_LOCKING | ERL_DRV_FLAG_SOFT_BUSY,
    .stop_select = chan_stop_select,
};

DRIVER_INIT(msgchan)
{
    return &chan_driver_entry;
}
