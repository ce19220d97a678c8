/* epoll: an interest list of (fd, file) entries, polled on demand.
 *
 * Nothing is queued when a file changes: epoll_collect() polls each armed
 * entry's file (file_ops.poll) every time, so readiness is always current.
 * That is what ERTS needs: it arms its fds with EPOLLONESHOT and expects
 * EPOLL_CTL_MOD to report data that was already waiting, which a
 * poll-on-collect design does by construction.
 *   - Reported: file events & (interest | EPOLLERR | EPOLLHUP).
 *   - EPOLLONESHOT: an entry that is reported is disarmed until MOD.
 *   - EPOLLET is accepted and treated as level-triggered (a spurious extra
 *     wake-up is allowed by epoll's contract; a missed one would not be).
 *   - Fair: a collect starts after the entry last reported by the previous
 *     one, so with max events per call one busy fd cannot starve the rest.
 * Entries are keyed by (fd, file) like Linux and hold no reference on the
 * file: file.c calls epoll_file_released(f) when f's last reference goes,
 * BEFORE f->ops->release, and that removes every entry watching f.
 * An epoll file is itself pollable (POLLIN when an entry is ready) so it
 * can be nested or put in poll/select; ADD refuses loops (-ELOOP) and
 * nesting deeper than EPOLL_MAX_NESTS.
 * Node-local, kernel not preempted: no locks. */
#ifndef HYDROS_EPOLL_H
#define HYDROS_EPOLL_H
#include <stdbool.h>

#include "vfs.h"

#ifndef ELOOP
#define ELOOP 40
#endif
#define EPOLL_MAX_NESTS 4

/* A new, empty epoll file (O_RDWR, one reference), or NULL without memory. */
struct file *epoll_new(void);
bool file_is_epoll(const struct file *f);

/* op: EPOLL_CTL_ADD, _MOD, _DEL; fd is only the key, target is what the
 * syscall layer found at fd; ev may be NULL for DEL. Errors: -EINVAL (ep
 * not an epoll file, target == ep, bad op, NULL ev), -EEXIST (ADD of a
 * present key), -ENOENT (MOD or DEL of an absent key), -EPERM (target has
 * no poll op, e.g. a regular file, as on Linux), -ELOOP, -ENOMEM.
 * ADD and MOD call file_changed(ep) when the entry is ready at once, so a
 * thread already sleeping in epoll_wait on ep looks again. */
int epoll_ctl(struct file *ep, int op, int fd, struct file *target,
              const struct linux_epoll_event *ev);

/* Fills out[0..max) with ready entries and returns how many (0: none
 * ready; -EINVAL when max <= 0 or ep is not an epoll file). Never blocks:
 * the syscall layer waits on the node's poll waiters and calls it again. */
int epoll_collect(struct file *ep, struct linux_epoll_event *out, int max);

/* For file.c: f's last reference is going; drop every epoll entry that
 * watches f. Call before f->ops->release(f). Cheap when nothing watches f. */
void epoll_file_released(struct file *f);

#endif
