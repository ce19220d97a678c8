/* Pipes: a 64 KiB ring between a read end and a write end, for pipe(2) and
 * pipe2(2). Linux semantics without signals:
 *   read:  what is there; -EAGAIN when empty and a writer is left; 0 (EOF)
 *          when empty and no writer is left.
 *   write: what fits; a write of <= PIPE_BUF bytes is atomic (all of it or
 *          -EAGAIN); -EAGAIN when full; -EPIPE when no reader is left.
 *   poll:  read end POLLIN when data or no writer (then POLLHUP too);
 *          write end POLLOUT when at least PIPE_BUF bytes are free (Linux's
 *          rule: a level-triggered writer never spins on a short write that
 *          must be atomic), POLLERR when no reader is left.
 * Every change one end can see (data, room, a close) is announced with
 * file_changed() on that end. FIONREAD on either end gives the bytes queued.
 * Node-local, kernel not preempted: no locks. */
#ifndef HYDROS_PIPE_H
#define HYDROS_PIPE_H
#include <stdint.h>

#include "vfs.h"

#define PIPE_SIZE 65536u
#define PIPE_BUF 4096u

/* Makes a pipe. flags: O_NONBLOCK is copied to both files' flags (the
 * syscall layer decides whether to wait on -EAGAIN); O_CLOEXEC belongs to
 * the fds, not here, and is ignored. Returns 0 with *rd (O_RDONLY) and *wr
 * (O_WRONLY) each holding one reference, or -ENOMEM. */
int pipe_create(uint32_t flags, struct file **rd, struct file **wr);

#endif
