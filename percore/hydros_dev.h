/* /dev/hydros: the kernel's status blocks, read by Erlang (erlang_os/hydros).
 *   self   "core N\npartition BASE END\nconsole C\n"  (this node's core; C: the console core's)
 *   nodes  one line a core: "cN STATE HEARTBEAT MEMORY_KIB FREE_KIB BASE END STARTS WHY" (memory:
 *          its node's resident pages; free: its partition's free pages; starts: how
 *          many times a node was started there), STATE one of
 *          none booting running node_dead suspect core_dead, WHY the rest of
 *          the line: why the node or the core died ("-" if it did not)
 *   ready  written once by a node when it has booted: its state becomes running
 *   poke   "ADDR": the writing thread stores to ADDR from user mode (only with
 *          debug_poke on the kernel command line: the isolation tests' hook)
 *   channels  this core's channels, a line a peer (chan_render_stats)
 *   retired a line a retired block of memory (after an uncorrected error): "cN BASE END"
 *   kernel "pool_free_kib N\nheap_kib N\nheap_in_use N\nheap_allocs N\nheap_frees N\n": the kernel's
 *          memory (heap_kib: the pages the heap holds from the pool)
 *   restart "CORE": start that core's dead node again, the whole core first if
 *          it is dead; errors as node_restart_ask and smp_restart_core
 *   log    lines for the console, through this core's log ring: printed whole,
 *          "[cN] "-prefixed, never inside the shell's echo (node_io.c)
 *   kill   "CORE": end that core's node ("killed"); ENXIO, ESRCH (no node
 *          running there) as node_kill_ask
 *   inject "CORE FAULT": core CORE suffers FAULT (inject.c lists them);
 *          EINVAL, ESRCH (a dead core), EBUSY, ENOTSUP as inject_ask */
#ifndef HYDROS_HYDROS_DEV_H
#define HYDROS_HYDROS_DEV_H
#include "vfs.h"

const struct vfs_device *hydros_devices(void);
void nodes_expect(int n); /* boot core: how many nodes must say ready for "all up" */

#endif
