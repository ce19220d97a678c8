/* hydros_bif.c: the BIFs of modules hydros_cap and hydros_io, and the
 * capability exclusion sets behind them (hydros_bif.h: how a set is shared
 * and inherited).
 *
 * Built inside ERTS: tools/build-erts.sh copies this file, hydros_bif.h and
 * percore/hydros_abi.h into erts/emulator/beam, and
 * beam-patches/0002-hydros-capabilities.patch adds it to the emulator and
 * the BIFs to bif.tab. The modules' .erl stubs are in erlang_os/hydros/src.
 *
 * Every BIF checks its arguments first (badarg), then the caller's
 * exclusions (error({excluded, Cap})), then asks the kernel whether the
 * node holds the device ({error, {owned_by, Core}} when another does), and
 * only then touches hardware. Port IO itself runs in user mode through the
 * core's TSS I/O bitmap, which the kernel opens for exactly the ports the
 * node holds (percore/devices.c).
 */
#ifdef HAVE_CONFIG_H
#  include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

struct hydros_excl {
    erts_refc_t refc;
    ErtsThrPrgrLaterOp free_later; /* see hydros_excl_release */
    ErlOffHeap off_heap; /* binaries, funs and external pids in the list */
    Eterm list;          /* in heap[] below */
    Eterm heap[1];
};

/* ---- Capabilities, as the checks compare them. */

enum cap_kind { CAP_TERM, CAP_PORT_IO, CAP_RAW_MEMORY, CAP_IRQ };

/* A built-in capability is a kind and an inclusive range (`all` is the
 * whole range); any other term is application-defined and compared whole. */
struct cap {
    enum cap_kind kind;
    Uint64 lo, hi;
    Eterm term;
};

#define PORT_MAX 0xFFFF
#define IRQ_MAX 255

/* One value or `all` (lo..max) into [lo, hi]; 0 if it is neither. */
static int cap_range(Eterm v, Uint64 max, struct cap *c)
{
    Uint64 n;

    if (v == am_all) {
        c->lo = 0, c->hi = max;
        return 1;
    }
    if (!term_to_Uint64(v, &n) || n > max)
        return 0;
    c->lo = c->hi = n;
    return 1;
}

/* Term to capability; 0 when it names a built-in one badly. */
static int cap_parse(Eterm t, struct cap *c)
{
    Eterm *tp;

    c->term = t;
    c->kind = CAP_TERM;
    if (t == am_port_io || t == am_raw_memory || t == am_irq) {
        c->kind = t == am_port_io ? CAP_PORT_IO : t == am_irq ? CAP_IRQ : CAP_RAW_MEMORY;
        c->lo = 0;
        c->hi = t == am_port_io ? PORT_MAX : t == am_irq ? IRQ_MAX : ~(Uint64)0;
        return 1;
    }
    if (!is_tuple(t))
        return 1;
    tp = tuple_val(t);
    if (tp[1] == am_port_io) {
        c->kind = CAP_PORT_IO;
        if (*tp != make_arityval(2))
            return 0;
        if (is_tuple_arity(tp[2], 2)) { /* {port_io, {Lo, Hi}} */
            Eterm *r = tuple_val(tp[2]);
            Uint64 lo, hi;
            if (!term_to_Uint64(r[1], &lo) || !term_to_Uint64(r[2], &hi) || lo > hi || hi > PORT_MAX)
                return 0;
            c->lo = lo, c->hi = hi;
            return 1;
        }
        return cap_range(tp[2], PORT_MAX, c);
    }
    if (tp[1] == am_irq) {
        c->kind = CAP_IRQ;
        return *tp == make_arityval(2) && cap_range(tp[2], IRQ_MAX, c);
    }
    if (tp[1] == am_raw_memory) {
        c->kind = CAP_RAW_MEMORY;
        if (*tp == make_arityval(2) && tp[2] == am_all) {
            c->lo = 0, c->hi = ~(Uint64)0;
            return 1;
        }
        return *tp == make_arityval(3) && term_to_Uint64(tp[2], &c->lo) &&
               term_to_Uint64(tp[3], &c->hi) && c->lo <= c->hi;
    }
    return 1;
}

static int cap_covers(const struct cap *excl, const struct cap *want)
{
    if (excl->kind != want->kind)
        return 0;
    if (excl->kind == CAP_TERM)
        return EQ(excl->term, want->term);
    return excl->lo <= want->hi && want->lo <= excl->hi;
}

int hydros_excl_valid(Eterm list)
{
    struct cap c;

    while (is_list(list)) {
        Eterm *cell = list_val(list);
        if (!cap_parse(CAR(cell), &c))
            return 0;
        list = CDR(cell);
    }
    return is_nil(list);
}

/* Is p excluded from want? p may be another process (check/2): its set is
 * read once, and stays until this scheduler's next thread progress. */
static int excl_denies(Process *p, const struct cap *want)
{
    struct hydros_excl *x = p->hydros_excl;
    Eterm l;
    struct cap c;

    if (!x)
        return 0;
    for (l = x->list; is_list(l); l = CDR(list_val(l)))
        if (cap_parse(CAR(list_val(l)), &c) && cap_covers(&c, want))
            return 1;
    return 0;
}

/* error({excluded, Cap}) in p; the BIF then returns THE_NON_VALUE. */
static void raise_excluded(Process *p, Eterm cap)
{
    Eterm *hp = HAlloc(p, 3);
    p->fvalue = TUPLE2(hp, am_excluded, cap);
    p->freason = EXC_ERROR;
}

int hydros_excl_denies(Process *p, Eterm cap)
{
    struct cap want = {CAP_TERM, 0, 0, cap};

    if (!excl_denies(p, &want))
        return 0;
    raise_excluded(p, cap);
    return 1;
}

/* ---- Exclusion sets. */

static int list_has(Eterm list, Eterm t)
{
    for (; is_list(list); list = CDR(list_val(list)))
        if (EQ(CAR(list_val(list)), t))
            return 1;
    return 0;
}

/* Is the element at cell of add in neither old nor earlier in add? */
static int is_new(Eterm old, Eterm add, Eterm *cell)
{
    Eterm l;

    if (list_has(old, CAR(cell)))
        return 0;
    for (l = add; list_val(l) != cell; l = CDR(list_val(l)))
        if (EQ(CAR(list_val(l)), CAR(cell)))
            return 0;
    return 1;
}

/* old plus what add (a valid list) has that old lacks, as a new reference;
 * old itself, with one more reference, when add brings nothing new. */
static struct hydros_excl *excl_union(struct hydros_excl *old, Eterm add)
{
    Eterm old_list = old ? old->list : NIL;
    Uint words = 0, n = 0;
    Eterm l, *hp, *cell;
    struct hydros_excl *x;

    for (l = add; is_list(l); l = CDR(list_val(l)))
        if (is_new(old_list, add, list_val(l))) {
            words += size_object(CAR(list_val(l))) + 2;
            n++;
        }
    if (n == 0) {
        if (old)
            erts_refc_inc(&old->refc, 2);
        return old;
    }
    for (l = old_list; is_list(l); l = CDR(list_val(l)))
        words += size_object(CAR(list_val(l))) + 2;

    x = erts_alloc(ERTS_ALC_T_HYDROS_EXCL, offsetof(struct hydros_excl, heap) + words * sizeof(Eterm));
    erts_refc_init(&x->refc, 1);
    ERTS_INIT_OFF_HEAP(&x->off_heap);
    /* Cells first, then the elements: old's in order, then add's new ones. */
    cell = x->heap;
    hp = x->heap + 2 * (n + erts_list_length(old_list));
    for (l = old_list; is_list(l); l = CDR(list_val(l))) {
        Eterm e = CAR(list_val(l));
        cell[0] = copy_struct(e, size_object(e), &hp, &x->off_heap);
        cell[1] = make_list(cell + 2);
        cell += 2;
    }
    for (l = add; is_list(l); l = CDR(list_val(l))) {
        Eterm e = CAR(list_val(l));
        if (!is_new(old_list, add, list_val(l)))
            continue;
        cell[0] = copy_struct(e, size_object(e), &hp, &x->off_heap);
        cell[1] = make_list(cell + 2);
        cell += 2;
    }
    cell[-1] = NIL;
    x->list = make_list(x->heap);
    return x;
}

static void excl_free(void *v)
{
    struct hydros_excl *x = v;

    erts_cleanup_offheap(&x->off_heap);
    erts_free(ERTS_ALC_T_HYDROS_EXCL, x);
}

/* A set is freed only once every scheduler has passed a point of thread
 * progress: a server checking a requester's set (check/2) reads it from
 * another scheduler, without a lock, while its owner may replace it. */
void hydros_excl_release(struct hydros_excl *x)
{
    ErtsSchedulerData *esdp;

    if (x && erts_refc_dectest(&x->refc, 0) == 0) {
        esdp = erts_get_scheduler_data();
        if (esdp && !ERTS_SCHEDULER_IS_DIRTY(esdp))
            erts_schedule_thr_prgr_later_op(excl_free, x, &x->free_later);
        else
            excl_free(x); /* never read across schedulers from here: no process of it runs */
    }
}

struct hydros_excl *hydros_excl_spawn(Process *parent, ErlSpawnOpts *so)
{
    struct hydros_excl *base = parent ? parent->hydros_excl : NULL;

    if (so->flags & SPO_HYDROS_EXCL)
        return excl_union(base, so->hydros_excl);
    if (base)
        erts_refc_inc(&base->refc, 2);
    return base;
}

Eterm hydros_excl_dist_opts(Process *p, Eterm opts)
{
    struct hydros_excl *x = p->hydros_excl;
    Uint sz;
    Eterm *hp, copy, opt;

    if (!x)
        return opts;
    sz = size_object(x->list);
    hp = HAlloc(p, sz + 3 + 2);
    copy = copy_struct(x->list, sz, &hp, &MSO(p));
    opt = TUPLE2(hp, am_exclusions, copy);
    hp += 3;
    return CONS(hp, opt, opts);
}

/* ---- hydros_cap */

BIF_RETTYPE hydros_cap_exclude_1(BIF_ALIST_1)
{
    struct hydros_excl *x;

    if (!hydros_excl_valid(BIF_ARG_1))
        BIF_ERROR(BIF_P, BADARG);
    /* Only this process ever reads or replaces its own set (and its
     * children, at spawn, from this process's own scheduler). */
    x = excl_union(BIF_P->hydros_excl, BIF_ARG_1);
    hydros_excl_release(BIF_P->hydros_excl);
    BIF_P->hydros_excl = x;
    BIF_RET(am_ok);
}

BIF_RETTYPE hydros_cap_exclusions_0(BIF_ALIST_0)
{
    struct hydros_excl *x = BIF_P->hydros_excl;
    Uint sz;
    Eterm *hp;

    if (!x)
        BIF_RET(NIL);
    sz = size_object(x->list);
    hp = HAlloc(BIF_P, sz);
    BIF_RET(copy_struct(x->list, sz, &hp, &MSO(BIF_P)));
}

/* For servers that act for others (code_server, file_server): may the
 * local process Pid use Cap? A process that is gone may not. */
BIF_RETTYPE hydros_cap_check_2(BIF_ALIST_2)
{
    struct cap want;
    Process *rp;

    if (!is_internal_pid(BIF_ARG_1) || !cap_parse(BIF_ARG_2, &want))
        BIF_ERROR(BIF_P, BADARG);
    rp = erts_proc_lookup(BIF_ARG_1);
    if (!rp || excl_denies(rp, &want)) {
        raise_excluded(BIF_P, BIF_ARG_2);
        return THE_NON_VALUE;
    }
    BIF_RET(am_ok);
}

BIF_RETTYPE hydros_cap_check_1(BIF_ALIST_1)
{
    struct cap want;

    if (!cap_parse(BIF_ARG_1, &want))
        BIF_ERROR(BIF_P, BADARG);
    if (excl_denies(BIF_P, &want)) {
        raise_excluded(BIF_P, BIF_ARG_1);
        return THE_NON_VALUE;
    }
    BIF_RET(am_ok);
}

/* ---- Files that are capabilities: writing the kernel's control files
 * (/dev/hydros/inject, restart, kill, poke) needs node_control, opening an
 * interrupt line's /dev/irq/N needs {irq, N}, whoever opens them: prim_file
 * in the caller (hydros_file_denied), or file_server for a caller
 * (check_file/3). */

#define PATH_BUF 4096

/* path, absolute (against the working directory) and without empty, "."
 * and ".." components, into out; 0 if it does not fit. */
static size_t path_normal(const char *path, size_t len, char *out)
{
    char buf[PATH_BUF];
    size_t n = 0, o = 0, i = 0, j;

    len = strnlen(path, len);
    if (len == 0 || path[0] != '/') {
        if (!getcwd(buf, sizeof(buf)))
            return 0;
        n = strlen(buf);
    }
    if (n + 1 + len >= sizeof(buf))
        return 0;
    buf[n++] = '/';
    memcpy(buf + n, path, len);
    n += len;
    while (i < n) {
        while (i < n && buf[i] == '/')
            i++;
        for (j = i; j < n && buf[j] != '/'; j++)
            ;
        if (j - i == 2 && buf[i] == '.' && buf[i + 1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else if (j > i && !(j - i == 1 && buf[i] == '.')) {
            if (o + 1 + (j - i) >= PATH_BUF)
                return 0;
            out[o++] = '/';
            memcpy(out + o, buf + i, j - i);
            o += j - i;
        }
        i = j;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    return o;
}

/* What an access to path needs; 0 if nothing. A path too long to judge
 * needs node_control to be written (the kernel refuses it anyway). */
static int path_cap(const char *path, size_t len, int writing, struct cap *want)
{
    static const char *const control[] = {"/dev/hydros/inject", "/dev/hydros/restart", "/dev/hydros/kill",
                                          "/dev/hydros/poke"};
    char p[PATH_BUF], *end;
    unsigned long line;
    size_t i;

    want->kind = CAP_TERM;
    want->term = am_node_control;
    if (!path_normal(path, len, p))
        return writing;
    for (i = 0; i < sizeof(control) / sizeof(control[0]); i++)
        if (writing && strcmp(p, control[i]) == 0)
            return 1;
    if (strncmp(p, "/dev/irq/", 9) != 0)
        return 0;
    line = strtoul(p + 9, &end, 10);
    want->kind = CAP_IRQ;
    want->lo = want->hi = line;
    if (*end || end == p + 9 || line > IRQ_MAX) /* no such line: it fails there, but say so for all */
        want->lo = 0, want->hi = IRQ_MAX;
    return 1;
}

int hydros_file_denied(ErlNifEnv *env, const char *path, size_t len, int writing, ERL_NIF_TERM *raised)
{
    Process *p = env->proc;
    struct cap want;
    ERL_NIF_TERM cap;

    if (p->static_flags & ERTS_STC_FLG_SHADOW_PROC) /* a dirty NIF's stand-in */
        p = p->next;
    if (!path_cap(path, len, writing, &want) || !excl_denies(p, &want))
        return 0;
    cap = want.kind == CAP_TERM ? enif_make_atom(env, "node_control")
          : want.lo == want.hi  ? enif_make_tuple2(env, enif_make_atom(env, "irq"), enif_make_uint64(env, want.lo))
                                : enif_make_tuple2(env, enif_make_atom(env, "irq"), enif_make_atom(env, "all"));
    *raised = enif_raise_exception(env, enif_make_tuple2(env, enif_make_atom(env, "excluded"), cap));
    return 1;
}

/* file_server's check for the process it acts for: may Pid access Path
 * (iodata or an atom) for Access (read | write)? */
BIF_RETTYPE hydros_cap_check_file_3(BIF_ALIST_3)
{
    char buf[PATH_BUF];
    ErlDrvSizeT len;
    struct cap want;
    Process *rp;
    Eterm *hp, cap;
    int writing = BIF_ARG_3 == am_write;

    if (!is_internal_pid(BIF_ARG_1) || (!writing && BIF_ARG_3 != am_read))
        BIF_ERROR(BIF_P, BADARG);
    if (is_atom(BIF_ARG_2)) {
        Atom *a = atom_tab(atom_val(BIF_ARG_2));
        len = a->len < sizeof(buf) ? a->len : sizeof(buf) - 1;
        sys_memcpy(buf, a->name, len);
    } else if (erts_iolist_size(BIF_ARG_2, &len) || len >= sizeof(buf)) {
        len = 0; /* not a name the kernel takes as bytes, or too long: judged as nothing */
        if (!writing)
            BIF_RET(am_ok);
        want.kind = CAP_TERM, want.term = am_node_control;
        goto judge;
    } else
        erts_iolist_to_buf(BIF_ARG_2, buf, len);
    if (!path_cap(buf, len, writing, &want))
        BIF_RET(am_ok);
judge:
    rp = erts_proc_lookup(BIF_ARG_1);
    if (rp && !excl_denies(rp, &want))
        BIF_RET(am_ok);
    if (want.kind == CAP_TERM)
        cap = am_node_control;
    else {
        hp = HAlloc(BIF_P, 3);
        cap = TUPLE2(hp, am_irq, want.lo == want.hi ? make_small(want.lo) : am_all);
    }
    raise_excluded(BIF_P, cap);
    return THE_NON_VALUE;
}

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
static Eterm dev_error(Process *p, long r)
{
    Eterm *hp, reason;

    if (r > 0) {
        hp = HAlloc(p, 3 + 3);
        reason = TUPLE2(hp, am_owned_by, make_small(r - 1));
        hp += 3;
    } else {
        const char *s = r == -ENOENT   ? "no_device"
                        : r == -ESRCH  ? "no_core"
                        : r == -EACCES ? "ram"       /* map: memory, never a device's */
                        : r == -EROFS  ? "read_only" /* write: the device's range is :ro */
                        : r == -EBADF  ? "unmapped"
                        : r == -EBUSY  ? "in_use"
                                       : erl_errno_id(-r);
        reason = erts_atom_put((byte *)s, sys_strlen(s), ERTS_ATOM_ENC_LATIN1, 1);
        hp = HAlloc(p, 3);
    }
    return TUPLE2(hp, am_error, reason);
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
    struct cap want;
    long r;

    if (!term_to_Uint(port_t, &port) || port > PORT_MAX + 1 - width)
        BIF_ERROR(p, BADARG);
    if (is_value(value_t) &&
        (!term_to_Uint(value_t, &value) || (width < 4 && value >> (8 * width) != 0) ||
         value > 0xFFFFFFFFu))
        BIF_ERROR(p, BADARG);
    want.kind = CAP_PORT_IO;
    want.lo = port;
    want.hi = port + width - 1;
    if (excl_denies(p, &want)) {
        Eterm *hp = HAlloc(p, 3);
        raise_excluded(p, TUPLE2(hp, am_port_io, port_t));
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
    struct cap want = {CAP_RAW_MEMORY, lo, hi, NIL};
    Eterm *hp, lo_t, hi_t;

    if (!excl_denies(p, &want))
        return 0;
    lo_t = erts_make_integer((Uint)lo, p);
    hi_t = erts_make_integer((Uint)hi, p);
    hp = HAlloc(p, 4);
    raise_excluded(p, TUPLE3(hp, am_raw_memory, lo_t, hi_t));
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
    struct cap want;

    if (!is_small(line_t) || signed_val(line_t) < 0 || signed_val(line_t) > IRQ_MAX) {
        p->freason = BADARG;
        return -1;
    }
    want.kind = CAP_IRQ;
    want.lo = want.hi = (Uint64)signed_val(line_t);
    if (excl_denies(p, &want)) {
        Eterm *hp = HAlloc(p, 3);
        raise_excluded(p, TUPLE2(hp, am_irq, line_t));
        return -1;
    }
    return (int)signed_val(line_t);
}

static Eterm error_named(Process *p, const char *what)
{
    Eterm *hp = HAlloc(p, 3);
    return TUPLE2(hp, am_error, erts_atom_put((byte *)what, sys_strlen(what), ERTS_ATOM_ENC_LATIN1, 1));
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
