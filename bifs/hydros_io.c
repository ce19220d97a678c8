/* hydros_io.c: the BIFs of module hydros_io: IO ports, device registers
 * (MMIO), interrupts, and handing devices over.
 *
 * Every BIF checks its arguments first (badarg), then the caller's
 * exclusions (error({excluded, Cap}), hydros_cap.c), then asks the kernel
 * whether the node holds the device ({error, {owned_by, Core}} when
 * another does), and only then touches hardware. Port IO itself runs in
 * user mode through the core's TSS I/O bitmap, which the kernel opens for
 * exactly the ports the node holds (percore/devices.c).
 */
#ifdef HAVE_CONFIG_H
#  include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "sys.h"
#include "global.h"
#include "bif.h"
#include "big.h"
#include "erl_process.h"
#include "erl_binary.h"
#include "erl_bif_unique.h"
#include "erl_nif.h"
#include "hydros_bif.h"
#include "hydros_abi.h"

/* ---- hydros_io: the kernel's answers */

/* Port IO and hand-overs of this node exclude each other, so a port is
 * never used after the kernel closed it (a #GP would end the node). */
static pthread_rwlock_t io_lock = PTHREAD_RWLOCK_INITIALIZER;

static long dev_call(long op, long a, long b, long c)
{
    long r = syscall(SYS_hydros_dev, op, a, b, c);
    return r < 0 ? -errno : r;
}

/* {error, Reason} for a kernel answer that is not 0. */
/* {error, What}. */
static Eterm error_named(Process *p, const char *what)
{
    Eterm *hp = HAlloc(p, 3);
    return TUPLE2(hp, am_error, erts_atom_put((byte *)what, sys_strlen(what), ERTS_ATOM_ENC_LATIN1, 1));
}

static Eterm dev_error(Process *p, long r)
{
    Eterm *hp;

    if (r > 0) {
        hp = HAlloc(p, 3 + 3);
        return TUPLE2(hp + 3, am_error, TUPLE2(hp, am_owned_by, make_small(r - 1)));
    }
    return error_named(p, r == -ENOENT   ? "no_device"
                          : r == -ESRCH  ? "no_core"
                          : r == -EACCES ? "ram"       /* map: memory, never a device's */
                          : r == -EROFS  ? "read_only" /* write: the device's range is :ro */
                          : r == -EBADF  ? "unmapped"
                          : r == -EBUSY  ? "in_use"
                                         : erl_errno_id(-r));
}

/* ---- hydros_io: port IO */

static Uint port_in(Uint port, int width)
{
    uint16_t pt = (uint16_t)port;
    uint8_t b;
    uint16_t w;
    uint32_t l;

    switch (width) {
    case 1:
        __asm__ volatile("inb %1, %0" : "=a"(b) : "Nd"(pt));
        return b;
    case 2:
        __asm__ volatile("inw %1, %0" : "=a"(w) : "Nd"(pt));
        return w;
    default:
        __asm__ volatile("inl %1, %0" : "=a"(l) : "Nd"(pt));
        return l;
    }
}

static void port_out(Uint port, int width, Uint v)
{
    uint16_t pt = (uint16_t)port;

    switch (width) {
    case 1:
        __asm__ volatile("outb %0, %1" : : "a"((uint8_t)v), "Nd"(pt));
        break;
    case 2:
        __asm__ volatile("outw %0, %1" : : "a"((uint16_t)v), "Nd"(pt));
        break;
    default:
        __asm__ volatile("outl %0, %1" : : "a"((uint32_t)v), "Nd"(pt));
        break;
    }
}

/* One port access of width bytes; value_t is THE_NON_VALUE for a read. */
static Eterm port_io(Process *p, Eterm port_t, int width, Eterm value_t)
{
    Uint port, value = 0;
    struct hydros_cap want;
    long r;

    if (!term_to_Uint(port_t, &port) || port > HYDROS_PORT_MAX + 1 - width)
        BIF_ERROR(p, BADARG);
    if (is_value(value_t) &&
        (!term_to_Uint(value_t, &value) || (width < 4 && value >> (8 * width) != 0) ||
         value > 0xFFFFFFFFu))
        BIF_ERROR(p, BADARG);
    want.kind = HCAP_PORT_IO;
    want.lo = port;
    want.hi = port + width - 1;
    if (hydros_cap_denies(p, &want)) {
        Eterm *hp = HAlloc(p, 3);
        hydros_raise_excluded(p, TUPLE2(hp, am_port_io, port_t));
        return THE_NON_VALUE;
    }
    pthread_rwlock_rdlock(&io_lock);
    r = dev_call(HYDROS_DEV_PORT, port, port + width - 1, 0);
    if (r == 0) {
        if (is_value(value_t))
            port_out(port, width, value);
        else
            value = port_in(port, width);
    }
    pthread_rwlock_unlock(&io_lock);
    if (r != 0)
        return dev_error(p, r);
    if (is_value(value_t))
        return am_ok;
    return make_small(value); /* 32 bits at most */
}

BIF_RETTYPE hydros_io_in8_1(BIF_ALIST_1) { return port_io(BIF_P, BIF_ARG_1, 1, THE_NON_VALUE); }
BIF_RETTYPE hydros_io_in16_1(BIF_ALIST_1) { return port_io(BIF_P, BIF_ARG_1, 2, THE_NON_VALUE); }
BIF_RETTYPE hydros_io_in32_1(BIF_ALIST_1) { return port_io(BIF_P, BIF_ARG_1, 4, THE_NON_VALUE); }
BIF_RETTYPE hydros_io_out8_2(BIF_ALIST_2) { return port_io(BIF_P, BIF_ARG_1, 1, BIF_ARG_2); }
BIF_RETTYPE hydros_io_out16_2(BIF_ALIST_2) { return port_io(BIF_P, BIF_ARG_1, 2, BIF_ARG_2); }
BIF_RETTYPE hydros_io_out32_2(BIF_ALIST_2) { return port_io(BIF_P, BIF_ARG_1, 4, BIF_ARG_2); }

/* ---- hydros_io: ownership */

static void irq_sweep(void);

BIF_RETTYPE hydros_io_give_2(BIF_ALIST_2)
{
    char name[HYDROS_DEV_NAME_MAX];
    Atom *a;
    long r;

    if (!is_atom(BIF_ARG_1) || !is_small(BIF_ARG_2) || signed_val(BIF_ARG_2) < 0)
        BIF_ERROR(BIF_P, BADARG);
    if (hydros_excl_denies(BIF_P, am_device_control))
        return THE_NON_VALUE;
    a = atom_tab(atom_val(BIF_ARG_1));
    if (a->len >= HYDROS_DEV_NAME_MAX)
        BIF_RET(dev_error(BIF_P, -ENOENT));
    sys_memcpy(name, a->name, a->len);
    name[a->len] = '\0';
    irq_sweep(); /* a line whose subscriber is gone does not keep the device */
    pthread_rwlock_wrlock(&io_lock);
    r = dev_call(HYDROS_DEV_GIVE, (long)name, signed_val(BIF_ARG_2), 0);
    pthread_rwlock_unlock(&io_lock);
    BIF_RET(r == 0 ? am_ok : dev_error(BIF_P, r));
}

/* ---- hydros_io: device registers (MMIO) */

/* A mapping, behind a handle (a magic reference: it cannot be forged, and
 * on another node it is no handle at all). Unmapped when its last
 * reference goes, or by unmap/1. */
struct mmio {
    uintptr_t addr; /* where phys is in this node; 0 once unmapped */
    Uint64 phys, size;
    int writable;
};

static void mmio_unmap(struct mmio *m)
{
    uintptr_t page;

    pthread_rwlock_wrlock(&io_lock);
    if (m->addr) {
        page = m->addr & ~(uintptr_t)4095;
        munmap((void *)page, ((m->addr + m->size + 4095) & ~(uintptr_t)4095) - page);
        m->addr = 0;
    }
    pthread_rwlock_unlock(&io_lock);
}

static int mmio_dtor(Binary *bin)
{
    mmio_unmap(ERTS_MAGIC_BIN_DATA(bin));
    return 1;
}

/* The mapping behind a handle; NULL for anything else. */
static struct mmio *mmio_of(Eterm handle)
{
    Binary *bin;

    if (!is_internal_magic_ref(handle))
        return NULL;
    bin = erts_magic_ref2bin(handle);
    return ERTS_MAGIC_BIN_DESTRUCTOR(bin) == mmio_dtor ? ERTS_MAGIC_BIN_DATA(bin) : NULL;
}

/* Raises {excluded, {raw_memory, Lo, Hi}} when p may not touch lo..hi. */
static int raw_memory_denied(Process *p, Uint64 lo, Uint64 hi)
{
    struct hydros_cap want = {HCAP_RAW_MEMORY, lo, hi, NIL};
    Eterm *hp, lo_t, hi_t;

    if (!hydros_cap_denies(p, &want))
        return 0;
    lo_t = erts_make_integer((Uint)lo, p);
    hi_t = erts_make_integer((Uint)hi, p);
    hp = HAlloc(p, 4);
    hydros_raise_excluded(p, TUPLE3(hp, am_raw_memory, lo_t, hi_t));
    return 1;
}

BIF_RETTYPE hydros_io_map_2(BIF_ALIST_2)
{
    Uint64 phys, size, out[2];
    Binary *bin;
    struct mmio *m;
    Eterm *hp, ref;
    long r;

    if (!term_to_Uint64(BIF_ARG_1, &phys) || !term_to_Uint64(BIF_ARG_2, &size) || size == 0 ||
        phys + size - 1 < phys)
        BIF_ERROR(BIF_P, BADARG);
    if (raw_memory_denied(BIF_P, phys, phys + size - 1))
        return THE_NON_VALUE;
    r = dev_call(HYDROS_DEV_MAP, (long)phys, (long)size, (long)out);
    if (r != 0)
        BIF_RET(dev_error(BIF_P, r));
    bin = erts_create_magic_binary(sizeof(struct mmio), mmio_dtor);
    m = ERTS_MAGIC_BIN_DATA(bin);
    m->addr = (uintptr_t)out[0];
    m->writable = out[1] != 0;
    m->phys = phys;
    m->size = size;
    hp = HAlloc(BIF_P, ERTS_MAGIC_REF_THING_SIZE + 3);
    ref = erts_mk_magic_ref(&hp, &MSO(BIF_P), bin);
    BIF_RET(TUPLE2(hp, am_ok, ref));
}

BIF_RETTYPE hydros_io_unmap_1(BIF_ALIST_1)
{
    struct mmio *m = mmio_of(BIF_ARG_1);

    if (!m)
        BIF_ERROR(BIF_P, BADARG);
    mmio_unmap(m);
    BIF_RET(am_ok);
}

/* Checks an access of len bytes at off through handle h: badarg for a bad
 * handle or range (width > 0: aligned to it), the caller's raw_memory
 * exclusions. NULL when it raised. */
static struct mmio *mmio_access(Process *p, Eterm h, Eterm off_t, Uint64 len, Uint64 align, Uint64 *off)
{
    struct mmio *m = mmio_of(h);

    if (!m || !term_to_Uint64(off_t, off) || len > m->size || *off > m->size - len || *off % align) {
        p->freason = BADARG;
        return NULL;
    }
    if (len && raw_memory_denied(p, m->phys + *off, m->phys + *off + len - 1))
        return NULL;
    return m;
}

static int width_bytes(Eterm w)
{
    if (w == make_small(8) || w == make_small(16) || w == make_small(32) || w == make_small(64))
        return (int)(signed_val(w) / 8);
    return 0;
}

BIF_RETTYPE hydros_io_read_3(BIF_ALIST_3)
{
    int w = width_bytes(BIF_ARG_3);
    Uint64 off, v = 0;
    struct mmio *m;
    volatile void *at;

    if (!w)
        BIF_ERROR(BIF_P, BADARG);
    if (!(m = mmio_access(BIF_P, BIF_ARG_1, BIF_ARG_2, w, w, &off)))
        return THE_NON_VALUE;
    pthread_rwlock_rdlock(&io_lock);
    at = (volatile void *)(m->addr + off);
    if (m->addr) {
        switch (w) {
        case 1: v = *(volatile uint8_t *)at; break;
        case 2: v = *(volatile uint16_t *)at; break;
        case 4: v = *(volatile uint32_t *)at; break;
        default: v = *(volatile uint64_t *)at; break;
        }
    }
    pthread_rwlock_unlock(&io_lock);
    if (!m->addr)
        BIF_RET(dev_error(BIF_P, -EBADF));
    BIF_RET(erts_make_integer((Uint)v, BIF_P));
}

BIF_RETTYPE hydros_io_write_4(BIF_ALIST_4)
{
    int w = width_bytes(BIF_ARG_3);
    Uint64 off, v;
    struct mmio *m;
    volatile void *at;
    long r = 0;

    if (!w || !term_to_Uint64(BIF_ARG_4, &v) || (w < 8 && v >> (8 * w) != 0))
        BIF_ERROR(BIF_P, BADARG);
    if (!(m = mmio_access(BIF_P, BIF_ARG_1, BIF_ARG_2, w, w, &off)))
        return THE_NON_VALUE;
    pthread_rwlock_rdlock(&io_lock);
    at = (volatile void *)(m->addr + off);
    if (!m->addr)
        r = -EBADF;
    else if (!m->writable)
        r = -EROFS;
    else {
        switch (w) {
        case 1: *(volatile uint8_t *)at = (uint8_t)v; break;
        case 2: *(volatile uint16_t *)at = (uint16_t)v; break;
        case 4: *(volatile uint32_t *)at = (uint32_t)v; break;
        default: *(volatile uint64_t *)at = v; break;
        }
    }
    pthread_rwlock_unlock(&io_lock);
    BIF_RET(r ? dev_error(BIF_P, r) : am_ok);
}

/* A block in 32-bit accesses when it is aligned to them, else bytes:
 * devices that decode only whole registers get whole registers. */
static void block_copy(volatile uint8_t *dev, byte *buf, Uint64 len, int to_dev)
{
    Uint64 i;
    int words = ((uintptr_t)dev % 4 == 0) && (len % 4 == 0);

    for (i = 0; i < len; i += words ? 4 : 1) {
        if (words && to_dev)
            *(volatile uint32_t *)(dev + i) = *(uint32_t *)(buf + i);
        else if (words)
            *(uint32_t *)(buf + i) = *(volatile uint32_t *)(dev + i);
        else if (to_dev)
            dev[i] = buf[i];
        else
            buf[i] = dev[i];
    }
}

BIF_RETTYPE hydros_io_read_block_3(BIF_ALIST_3)
{
    Uint64 off, len;
    struct mmio *m;
    Eterm bin;
    byte *bytes;
    int unmapped;

    if (!term_to_Uint64(BIF_ARG_3, &len) || len > (1 << 24))
        BIF_ERROR(BIF_P, BADARG);
    if (!(m = mmio_access(BIF_P, BIF_ARG_1, BIF_ARG_2, len, 1, &off)))
        return THE_NON_VALUE;
    bin = new_binary(BIF_P, NULL, len);
    bytes = binary_bytes(bin);
    pthread_rwlock_rdlock(&io_lock);
    unmapped = !m->addr;
    if (!unmapped)
        block_copy((volatile uint8_t *)(m->addr + off), bytes, len, 0);
    pthread_rwlock_unlock(&io_lock);
    BIF_RET(unmapped ? dev_error(BIF_P, -EBADF) : bin);
}

BIF_RETTYPE hydros_io_write_block_3(BIF_ALIST_3)
{
    Uint64 off;
    struct mmio *m;
    byte *bytes, *tmp = NULL;
    Uint bitoffs, bitsize, len;
    long r = 0;

    if (!is_binary(BIF_ARG_3))
        BIF_ERROR(BIF_P, BADARG);
    ERTS_GET_BINARY_BYTES(BIF_ARG_3, bytes, bitoffs, bitsize);
    if (bitsize != 0)
        BIF_ERROR(BIF_P, BADARG);
    len = binary_size(BIF_ARG_3);
    if (!(m = mmio_access(BIF_P, BIF_ARG_1, BIF_ARG_2, len, 1, &off)))
        return THE_NON_VALUE;
    if (bitoffs != 0)
        bytes = tmp = (byte *)erts_get_aligned_binary_bytes(BIF_ARG_3, &tmp);
    pthread_rwlock_rdlock(&io_lock);
    if (!m->addr)
        r = -EBADF;
    else if (!m->writable)
        r = -EROFS;
    else
        block_copy((volatile uint8_t *)(m->addr + off), bytes, len, 1);
    pthread_rwlock_unlock(&io_lock);
    erts_free_aligned_binary_bytes(tmp);
    BIF_RET(r ? dev_error(BIF_P, r) : am_ok);
}

/* ---- hydros_io: interrupts */

/* One subscriber a line. The kernel's /dev/irq/N counts the line's
 * interrupts; one thread of ours polls the lines that are not waiting for
 * an acknowledgement and sends each subscriber {irq, Line}, then leaves
 * that line alone until irq_ack/1. A subscriber that is gone is found at
 * the next interrupt (the message cannot be sent) or at the next
 * irq_subscribe/1 of the line, and its file is closed, which masks the line. */
#define IRQ_LINES 16

static struct {
    int fd;    /* /dev/irq/N; -1: no subscriber */
    Eterm pid; /* the subscriber */
    int told;  /* sent {irq, Line}, not acknowledged yet */
} subs[IRQ_LINES] = {[0 ... IRQ_LINES - 1] = {-1, NIL, 0}};
static pthread_mutex_t irq_mutex = PTHREAD_MUTEX_INITIALIZER;
static int irq_wake[2] = {-1, -1}; /* a pipe: the poller looks at subs again */

static void irq_kick(void)
{
    char c = 0;
    if (write(irq_wake[1], &c, 1) < 0) { /* full: it will look anyway */
    }
}

static void irq_close(int line)
{
    close(subs[line].fd);
    subs[line].fd = -1;
    subs[line].pid = NIL;
    subs[line].told = 0;
}

static void *irq_loop(void *arg)
{
    ErlNifEnv *env = enif_alloc_env();
    struct pollfd p[IRQ_LINES + 1];
    int lines[IRQ_LINES + 1], n, i, l;
    uint64_t count;
    char drain[64];

    (void)arg;
    for (;;) {
        pthread_mutex_lock(&irq_mutex);
        p[0].fd = irq_wake[0], p[0].events = POLLIN, n = 1;
        for (l = 0; l < IRQ_LINES; l++)
            if (subs[l].fd >= 0 && !subs[l].told) {
                p[n].fd = subs[l].fd, p[n].events = POLLIN, lines[n++] = l;
            }
        pthread_mutex_unlock(&irq_mutex);
        if (poll(p, n, -1) <= 0)
            continue;
        if (p[0].revents & POLLIN)
            while (read(irq_wake[0], drain, sizeof(drain)) == sizeof(drain)) {
            }
        pthread_mutex_lock(&irq_mutex);
        for (i = 1; i < n; i++) {
            l = lines[i];
            if (!(p[i].revents & POLLIN) || subs[l].fd != p[i].fd || subs[l].told ||
                read(subs[l].fd, &count, sizeof(count)) != sizeof(count))
                continue;
            {
                ErlNifPid to;
                to.pid = subs[l].pid;
                if (enif_send(NULL, &to, env, enif_make_tuple2(env, enif_make_atom(env, "irq"), enif_make_int(env, l))))
                    subs[l].told = 1;
                else
                    irq_close(l); /* its subscriber is gone */
                enif_clear_env(env);
            }
        }
        pthread_mutex_unlock(&irq_mutex);
    }
    return NULL;
}

/* Closes the lines whose subscriber is gone (a scheduler's call). */
static void irq_sweep(void)
{
    int l;

    pthread_mutex_lock(&irq_mutex);
    for (l = 0; l < IRQ_LINES; l++)
        if (subs[l].fd >= 0 && !erts_proc_lookup(subs[l].pid))
            irq_close(l);
    pthread_mutex_unlock(&irq_mutex);
}

/* The poller, started with the first subscription; 0 or -errno. */
static int irq_start(void)
{
    pthread_t t;

    if (irq_wake[0] >= 0)
        return 0;
    if (pipe2(irq_wake, O_NONBLOCK | O_CLOEXEC) != 0)
        return -errno;
    if (pthread_create(&t, NULL, irq_loop, NULL) != 0) {
        close(irq_wake[0]), close(irq_wake[1]);
        irq_wake[0] = irq_wake[1] = -1;
        return -EAGAIN;
    }
    pthread_detach(t);
    return 0;
}

/* Line's argument checks and the caller's {irq, Line}; -1 when it raised. */
static int irq_line(Process *p, Eterm line_t)
{
    struct hydros_cap want;

    if (!is_small(line_t) || signed_val(line_t) < 0 || signed_val(line_t) > HYDROS_IRQ_MAX) {
        p->freason = BADARG;
        return -1;
    }
    want.kind = HCAP_IRQ;
    want.lo = want.hi = (Uint64)signed_val(line_t);
    if (hydros_cap_denies(p, &want)) {
        Eterm *hp = HAlloc(p, 3);
        hydros_raise_excluded(p, TUPLE2(hp, am_irq, line_t));
        return -1;
    }
    return (int)signed_val(line_t);
}

BIF_RETTYPE hydros_io_irq_subscribe_1(BIF_ALIST_1)
{
    int line = irq_line(BIF_P, BIF_ARG_1), fd;
    char path[32];
    long r;
    Eterm res = am_ok;

    if (line < 0)
        return THE_NON_VALUE;
    if (line >= IRQ_LINES)
        BIF_RET(dev_error(BIF_P, -ENOENT));
    if ((r = dev_call(HYDROS_DEV_IRQ, line, 0, 0)) != 0)
        BIF_RET(dev_error(BIF_P, r));
    pthread_mutex_lock(&irq_mutex);
    if (subs[line].fd >= 0 && subs[line].pid != BIF_P->common.id && erts_proc_lookup(subs[line].pid)) {
        Eterm *hp = HAlloc(BIF_P, 3 + 3);
        res = TUPLE2(hp, am_subscribed, subs[line].pid);
        hp += 3;
        res = TUPLE2(hp, am_error, res);
    } else if (subs[line].fd < 0 || subs[line].pid != BIF_P->common.id) {
        if (subs[line].fd >= 0)
            irq_close(line); /* its subscriber is gone */
        snprintf(path, sizeof(path), "/dev/irq/%d", line);
        r = irq_start();
        fd = r ? -1 : open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            res = dev_error(BIF_P, r ? r : -errno);
        else {
            subs[line].fd = fd;
            subs[line].pid = BIF_P->common.id;
            subs[line].told = 0;
        }
    }
    pthread_mutex_unlock(&irq_mutex);
    if (irq_wake[1] >= 0)
        irq_kick();
    BIF_RET(res);
}

/* Whether the caller is line's subscriber, with the mutex held if so. */
static int irq_mine(Process *p, int line)
{
    pthread_mutex_lock(&irq_mutex);
    if (line < IRQ_LINES && subs[line].fd >= 0 && subs[line].pid == p->common.id)
        return 1;
    pthread_mutex_unlock(&irq_mutex);
    return 0;
}

BIF_RETTYPE hydros_io_irq_ack_1(BIF_ALIST_1)
{
    int line = irq_line(BIF_P, BIF_ARG_1);
    char c = 0;

    if (line < 0)
        return THE_NON_VALUE;
    if (!irq_mine(BIF_P, line))
        BIF_RET(error_named(BIF_P, "not_subscribed"));
    if (subs[line].told && write(subs[line].fd, &c, 1) == 1) /* a level-triggered line is unmasked */
        subs[line].told = 0;
    pthread_mutex_unlock(&irq_mutex);
    irq_kick();
    BIF_RET(am_ok);
}

BIF_RETTYPE hydros_io_irq_unsubscribe_1(BIF_ALIST_1)
{
    int line = irq_line(BIF_P, BIF_ARG_1);

    if (line < 0)
        return THE_NON_VALUE;
    if (!irq_mine(BIF_P, line))
        BIF_RET(error_named(BIF_P, "not_subscribed"));
    irq_close(line);
    pthread_mutex_unlock(&irq_mutex);
    irq_kick();
    BIF_RET(am_ok);
}
