/* hydros_bif.h: what the patched ERTS files call of hydros_cap.c, and what
 * hydros_io.c uses of it.
 *
 * Capability exclusions: every process may carry a list of things it must
 * never do (hydros_cap). The list lives off the process heap in a shared,
 * immutable, reference-counted set; a process points to it from
 * `Process.hydros_excl` (NULL: no limit). A child shares its parent's set
 * (erl_create_process), a spawn option `{exclusions, L}` adds to it, and a
 * remote spawn carries it as that option (dist.c). Nothing ever removes an
 * entry: a set is replaced only by a larger one.
 */
#ifndef HYDROS_BIF_H
#define HYDROS_BIF_H

struct hydros_excl;

/* A valid exclusion list (proper, at most 256 entries, every built-in
 * capability well formed)? */
int hydros_excl_valid(Eterm list);
/* The set a new process gets: the parent's (NULL for a remote spawn) plus
 * every {exclusions, L} of the options, if they had one (SPO_HYDROS_EXCL:
 * so->hydros_excl is then the option list). */
struct hydros_excl *hydros_excl_spawn(Process *parent, ErlSpawnOpts *so);
void hydros_excl_release(struct hydros_excl *x);
/* Opts with `{exclusions, OwnList}` in front, built on p's heap, when p is
 * limited: a remote spawn never sheds the caller's exclusions. */
Eterm hydros_excl_dist_opts(Process *p, Eterm opts);
/* Raises error({excluded, Cap}) in p when p is excluded from the built-in
 * capability Cap (an atom: open_port, code_load, node_control,
 * device_control). 0 when allowed; otherwise a BIF returns THE_NON_VALUE. */
int hydros_excl_denies(Process *p, Eterm cap);

/* prim_file's open and read_file NIFs (beam-patches/0003): is the calling
 * process kept from path (the kernel's control files, interrupt lines)? 1,
 * with the exception raised in env in *raised, if so. */
int hydros_file_denied(ErlNifEnv *env, const char *path, size_t len, int writing, ERL_NIF_TERM *raised);

/* ---- Between hydros_cap.c and hydros_io.c */

/* A capability as the checks compare them: a built-in one is a kind and an
 * inclusive range (`all` is the whole range); any other term is an
 * application's own, compared whole. */
enum hydros_cap_kind { HCAP_TERM, HCAP_PORT_IO, HCAP_RAW_MEMORY, HCAP_IRQ };
struct hydros_cap {
    enum hydros_cap_kind kind;
    Uint64 lo, hi;
    Eterm term;
};
#define HYDROS_PORT_MAX 0xFFFF
#define HYDROS_IRQ_MAX 255

/* Is p excluded from want? */
int hydros_cap_denies(Process *p, const struct hydros_cap *want);
/* error({excluded, Cap}) in p; the BIF then returns THE_NON_VALUE. */
void hydros_raise_excluded(Process *p, Eterm cap);

#endif
