/* Channel files: /dev/chan/K on core C is the pair of rings C->K and K->C
 * of the msgchan region. write sends one message, read receives one (whole
 * messages only: a buffer too small gives EMSGSIZE and the message stays),
 * poll says which (writable: room for the largest message, which fstat
 * gives as st_blksize). A sender whose receiver's core announced that it is
 * halting rings its doorbell: an IPI (VEC_CHAN). When a node or its core dies, every other core
 * closes its rings to and from it, so its peers read EPIPE/POLLHUP at once. */
#ifndef HYDROS_CHAN_H
#define HYDROS_CHAN_H
#include "vfs.h"

/* The size of one ring of the N x N matrix for ncores cores: the largest
 * power of two from 64 KiB to 1 MiB that keeps the region within
 * CHAN_REGION_BUDGET (or 64 KiB). Bigger rings carry a 64 KiB message whole
 * and let a sender run further ahead. */
#define CHAN_REGION_BUDGET (16u << 20)
uint32_t chan_ring_bytes(int ncores);

/* Once the region is laid out: this core's view of it (its own block
 * writable, the rest read-only: paging_core_tables), loaded, and its ends
 * of the rings attached through that view. */
void chan_init_core(void);
void chan_poll(void);           /* kernel context: doorbells rung at this core, dead peers, rings with data */
/* The idle loop's side (sched.c): is a ring of an open channel file ready
 * (or a doorbell rung)? Before halting, announce the sleep on every such
 * ring: false, with nothing announced, if one is ready after all; after
 * the halt, withdraw the announcements. Interrupts off for the last two. */
bool chan_pending(void);
bool chan_before_halt(void);
void chan_after_halt(void);
/* A node or a core died (its status block says so): every live core, this
 * one too, is rung and closes its rings to it in chan_poll. Safe from an
 * interrupt handler and from a dying core. */
void chan_tell_all(void);
/* This core's node is about to start again: every ring to and from it gets
 * a new epoch (msgchan_restart; what was queued is dropped), and peers that
 * closed them on its death reopen them when told (chan_tell_all). */
void chan_restart(void);
void chan_kicked(void);         /* the VEC_CHAN interrupt: only sets a flag */
extern const struct file_ops chan_ops; /* priv: the peer core, as an integer */
/* This core's channels, a line a peer: "cK open|closed RX_MSGS RX_CORRUPT
 * TX_MSGS TX_CORRUPT" (corrupt: messages or indices the checks rejected). */
int chan_render_stats(char *out, int max);

#endif
