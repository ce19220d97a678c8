/* hydros_cap.c: capability exclusions (hydros_bif.h says how a set is
 * shared and inherited): the sets, the checks every hydros BIF and control
 * path makes, the BIFs of module hydros_cap, and the files that are
 * capabilities (the kernel's control files, interrupt lines).
 *
 * Built inside ERTS: tools/build-erts.sh copies this file, hydros_io.c,
 * hydros_bif.h and percore/hydros_abi.h into erts/emulator/beam, and
 * beam-patches/0002-hydros-capabilities.patch compiles them in and lists
 * the BIFs in bif.tab. The modules' .erl stubs are in erlang_os/hydros/src.
 */
#ifdef HAVE_CONFIG_H
#  include "config.h"
#endif

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys.h"
#include "global.h"
#include "bif.h"
#include "big.h"
#include "erl_process.h"
#include "erl_binary.h"
#include "erl_bif_unique.h"
#include "erl_nif.h"
#include "hydros_bif.h"

struct hydros_excl {
    erts_refc_t refc;
    ErlOffHeap off_heap; /* binaries, funs and external pids in the list */
    Eterm list;          /* in heap[] below */
    Eterm heap[1];
};

/* ---- Capabilities, as the checks compare them (hydros_bif.h). */

/* `all', one value or {Lo, Hi}, up to max, into [lo, hi]; 0 if it is none
 * of them. */
static int cap_range(Eterm v, Uint64 max, struct hydros_cap *c)
{
    if (v == am_all) {
        c->lo = 0, c->hi = max;
        return 1;
    }
    if (is_tuple_arity(v, 2)) {
        Eterm *r = tuple_val(v);
        return term_to_Uint64(r[1], &c->lo) && term_to_Uint64(r[2], &c->hi) && c->lo <= c->hi && c->hi <= max;
    }
    if (!term_to_Uint64(v, &c->lo) || c->lo > max)
        return 0;
    c->hi = c->lo;
    return 1;
}

/* Term to capability; 0 when it names a built-in one badly. */
static int cap_parse(Eterm t, struct hydros_cap *c)
{
    Eterm *tp;

    c->term = t;
    c->kind = HCAP_TERM;
    if (t == am_port_io || t == am_raw_memory || t == am_irq) {
        c->kind = t == am_port_io ? HCAP_PORT_IO : t == am_irq ? HCAP_IRQ : HCAP_RAW_MEMORY;
        c->lo = 0;
        c->hi = t == am_port_io ? HYDROS_PORT_MAX : t == am_irq ? HYDROS_IRQ_MAX : ~(Uint64)0;
        return 1;
    }
    if (!is_tuple(t) || *tuple_val(t) == make_arityval(0))
        return 1;
    tp = tuple_val(t);
    if (tp[1] == am_port_io || tp[1] == am_irq) { /* {port_io | irq, all | N | {Lo, Hi}} */
        c->kind = tp[1] == am_port_io ? HCAP_PORT_IO : HCAP_IRQ;
        return *tp == make_arityval(2) &&
               cap_range(tp[2], c->kind == HCAP_PORT_IO ? HYDROS_PORT_MAX : HYDROS_IRQ_MAX, c);
    }
    if (tp[1] == am_raw_memory) {
        c->kind = HCAP_RAW_MEMORY;
        if (*tp == make_arityval(2) && tp[2] == am_all) {
            c->lo = 0, c->hi = ~(Uint64)0;
            return 1;
        }
        return *tp == make_arityval(3) && term_to_Uint64(tp[2], &c->lo) &&
               term_to_Uint64(tp[3], &c->hi) && c->lo <= c->hi;
    }
    return 1;
}

static int cap_covers(const struct hydros_cap *excl, const struct hydros_cap *want)
{
    if (excl->kind != want->kind)
        return 0;
    if (excl->kind == HCAP_TERM)
        return EQ(excl->term, want->term);
    return excl->lo <= want->hi && want->lo <= excl->hi;
}

/* At most this many entries a call: adding costs the product of the old
 * and the new list's lengths, and a BIF must not stall its scheduler. */
#define EXCL_ADD_MAX 256

int hydros_excl_valid(Eterm list)
{
    struct hydros_cap c;
    int n = 0;

    while (is_list(list)) {
        Eterm *cell = list_val(list);
        if (!cap_parse(CAR(cell), &c) || ++n > EXCL_ADD_MAX)
            return 0;
        list = CDR(cell);
    }
    return is_nil(list);
}

/* What a server acting for others assumes of a request without a
 * credential: it may do nothing that needs a right. */
#define NO_RIGHTS ((const struct hydros_excl *)1)

/* Does set x (NULL: none) exclude want? */
static int set_denies(const struct hydros_excl *x, const struct hydros_cap *want)
{
    Eterm l;
    struct hydros_cap c;

    if (x == NO_RIGHTS)
        return 1;
    if (!x)
        return 0;
    for (l = x->list; is_list(l); l = CDR(list_val(l)))
        if (cap_parse(CAR(list_val(l)), &c) && cap_covers(&c, want))
            return 1;
    return 0;
}

int hydros_cap_denies(Process *p, const struct hydros_cap *want)
{
    return set_denies(p->hydros_excl, want);
}

/* error({excluded, Cap}) in p; the BIF then returns THE_NON_VALUE. */
void hydros_raise_excluded(Process *p, Eterm cap)
{
    Eterm *hp = HAlloc(p, 3);
    p->fvalue = TUPLE2(hp, am_excluded, cap);
    p->freason = EXC_ERROR;
}

int hydros_excl_denies(Process *p, Eterm cap)
{
    struct hydros_cap want = {HCAP_TERM, 0, 0, cap};

    if (!hydros_cap_denies(p, &want))
        return 0;
    hydros_raise_excluded(p, cap);
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

void hydros_excl_release(struct hydros_excl *x)
{
    if (x && erts_refc_dectest(&x->refc, 0) == 0) {
        erts_cleanup_offheap(&x->off_heap);
        erts_free(ERTS_ALC_T_HYDROS_EXCL, x);
    }
}

struct hydros_excl *hydros_excl_spawn(Process *parent, ErlSpawnOpts *so)
{
    struct hydros_excl *x = parent ? parent->hydros_excl : NULL, *next;
    Eterm l, *tp;

    if (x)
        erts_refc_inc(&x->refc, 2);
    if (!(so->flags & SPO_HYDROS_EXCL))
        return x;
    /* so->hydros_excl is the whole option list: a remote spawn carries the
     * caller's list as one more {exclusions, L}, and every one adds. */
    for (l = so->hydros_excl; is_list(l); l = CDR(list_val(l))) {
        if (!is_tuple_arity(CAR(list_val(l)), 2))
            continue;
        tp = tuple_val(CAR(list_val(l)));
        if (tp[1] != am_exclusions)
            continue;
        next = excl_union(x, tp[2]);
        hydros_excl_release(x);
        x = next;
    }
    return x;
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

/* ---- Credentials: how a server learns its caller's rights. A message
 * says nothing reliable of its sender (a pid in it is whatever the sender
 * wrote), so the caller hands the server a credential: a magic reference,
 * which cannot be forged, holding a reference to the caller's set as it
 * was when made (it only grows after that). */

static int credential_dtor(Binary *bin)
{
    hydros_excl_release(*(struct hydros_excl **)ERTS_MAGIC_BIN_DATA(bin));
    return 1;
}

BIF_RETTYPE hydros_cap_credential_0(BIF_ALIST_0)
{
    Binary *bin = erts_create_magic_binary(sizeof(struct hydros_excl *), credential_dtor);
    struct hydros_excl *x = BIF_P->hydros_excl;
    Eterm *hp;

    if (x)
        erts_refc_inc(&x->refc, 2);
    *(struct hydros_excl **)ERTS_MAGIC_BIN_DATA(bin) = x;
    hp = HAlloc(BIF_P, ERTS_MAGIC_REF_THING_SIZE);
    BIF_RET(erts_mk_magic_ref(&hp, &MSO(BIF_P), bin));
}

/* The set a credential holds; NO_RIGHTS for anything else (`none', a
 * forgery, a credential from another node). */
static const struct hydros_excl *credential_set(Eterm cred)
{
    Binary *bin;

    if (!is_internal_magic_ref(cred))
        return NO_RIGHTS;
    bin = erts_magic_ref2bin(cred);
    if (ERTS_MAGIC_BIN_DESTRUCTOR(bin) != credential_dtor)
        return NO_RIGHTS;
    return *(struct hydros_excl **)ERTS_MAGIC_BIN_DATA(bin);
}

/* For a server that acts for others: may whoever made Cred use Cap? */
BIF_RETTYPE hydros_cap_check_2(BIF_ALIST_2)
{
    struct hydros_cap want;

    if (!cap_parse(BIF_ARG_2, &want))
        BIF_ERROR(BIF_P, BADARG);
    if (set_denies(credential_set(BIF_ARG_1), &want)) {
        hydros_raise_excluded(BIF_P, BIF_ARG_2);
        return THE_NON_VALUE;
    }
    BIF_RET(am_ok);
}

BIF_RETTYPE hydros_cap_check_1(BIF_ALIST_1)
{
    struct hydros_cap want;

    if (!cap_parse(BIF_ARG_1, &want))
        BIF_ERROR(BIF_P, BADARG);
    if (hydros_cap_denies(BIF_P, &want)) {
        hydros_raise_excluded(BIF_P, BIF_ARG_1);
        return THE_NON_VALUE;
    }
    BIF_RET(am_ok);
}

/* ---- Files that are capabilities: writing the kernel's control files
 * (/dev/hydros/inject, restart, kill, poke) needs node_control, writing
 * /dev/hydros/ioapic device_control, opening an
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
static int path_cap(const char *path, size_t len, int writing, struct hydros_cap *want)
{
    static const char *const control[] = {"/dev/hydros/inject", "/dev/hydros/restart", "/dev/hydros/kill",
                                          "/dev/hydros/poke"};
    char p[PATH_BUF], *end;
    unsigned long line;
    size_t i;

    want->kind = HCAP_TERM;
    want->term = am_node_control;
    if (!path_normal(path, len, p))
        return writing;
    for (i = 0; i < sizeof(control) / sizeof(control[0]); i++)
        if (writing && strcmp(p, control[i]) == 0)
            return 1;
    if (writing && strcmp(p, "/dev/hydros/ioapic") == 0) { /* where lines go, and their masks */
        want->term = am_device_control;
        return 1;
    }
    if (strncmp(p, "/dev/irq/", 9) != 0)
        return 0;
    line = strtoul(p + 9, &end, 10);
    want->kind = HCAP_IRQ;
    want->lo = want->hi = line;
    if (*end || end == p + 9 || line > HYDROS_IRQ_MAX) /* no such line: it fails there, but say so for all */
        want->lo = 0, want->hi = HYDROS_IRQ_MAX;
    return 1;
}

int hydros_file_denied(ErlNifEnv *env, const char *path, size_t len, int writing, ERL_NIF_TERM *raised)
{
    Process *p = env->proc;
    struct hydros_cap want;
    ERL_NIF_TERM cap;

    if (p->static_flags & ERTS_STC_FLG_SHADOW_PROC) /* a dirty NIF's stand-in */
        p = p->next;
    if (!path_cap(path, len, writing, &want) || !hydros_cap_denies(p, &want))
        return 0;
    cap = want.kind == HCAP_TERM ? enif_make_atom(env, want.term == am_device_control ? "device_control" : "node_control")
          : want.lo == want.hi  ? enif_make_tuple2(env, enif_make_atom(env, "irq"), enif_make_uint64(env, want.lo))
                                : enif_make_tuple2(env, enif_make_atom(env, "irq"), enif_make_atom(env, "all"));
    *raised = enif_raise_exception(env, enif_make_tuple2(env, enif_make_atom(env, "excluded"), cap));
    return 1;
}

/* file_server's check for the process it acts for: may whoever made Cred
 * access Path (iodata or an atom) for Access (read | write)? */
BIF_RETTYPE hydros_cap_check_file_3(BIF_ALIST_3)
{
    char buf[PATH_BUF];
    ErlDrvSizeT len;
    struct hydros_cap want;
    const struct hydros_excl *x = credential_set(BIF_ARG_1);
    Eterm *hp, cap;
    int writing = BIF_ARG_3 == am_write;

    if (!writing && BIF_ARG_3 != am_read)
        BIF_ERROR(BIF_P, BADARG);
    if (is_atom(BIF_ARG_2)) {
        Atom *a = atom_tab(atom_val(BIF_ARG_2));
        len = a->len < sizeof(buf) ? a->len : sizeof(buf) - 1;
        sys_memcpy(buf, a->name, len);
    } else if (erts_iolist_size(BIF_ARG_2, &len) || len >= sizeof(buf)) {
        len = 0; /* not a name the kernel takes as bytes, or too long: judged as nothing */
        if (!writing)
            BIF_RET(am_ok);
        want.kind = HCAP_TERM, want.term = am_node_control;
        goto judge;
    } else
        erts_iolist_to_buf(BIF_ARG_2, buf, len);
    if (!path_cap(buf, len, writing, &want))
        BIF_RET(am_ok);
judge:
    if (!set_denies(x, &want))
        BIF_RET(am_ok);
    if (want.kind == HCAP_TERM)
        cap = want.term;
    else {
        hp = HAlloc(BIF_P, 3);
        cap = TUPLE2(hp, am_irq, want.lo == want.hi ? make_small(want.lo) : am_all);
    }
    hydros_raise_excluded(BIF_P, cap);
    return THE_NON_VALUE;
}
