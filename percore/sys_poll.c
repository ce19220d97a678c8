/* Waiting for files: poll, ppoll, select, pselect6, the epoll calls, and
 * timerfd. All of them look at the files, and when nothing is ready sleep
 * on the node's poll_wq, which every file_changed wakes, then look again. */
#include <string.h>

#include "epoll.h"
#include "sched.h"
#include "syscall.h"
#include "timerfd.h"
#include "uapi.h"
#include "vfs.h"

#define POLL_MAX 1024

static uint32_t file_poll(struct file *f)
{
    return f->ops->poll ? f->ops->poll(f) : POLLIN | POLLOUT;
}

/* A deadline from a timeout in ms (negative: none), 0 meaning "do not wait". */
static uint64_t ms_deadline(int64_t ms, bool *forever)
{
    *forever = ms < 0;
    return ms <= 0 ? 0 : uptime_us() + (uint64_t)ms * 1000 + 1;
}

static int ts_deadline(u64 uts, uint64_t *deadline, bool *forever)
{
    *forever = !uts;
    *deadline = 0;
    if (!uts)
        return 0;
    struct linux_timespec ts;
    uint64_t us;
    if (copy_from_user(&ts, uts, sizeof(ts)))
        return -EFAULT;
    int err = timespec_us(&ts, &us);
    if (err)
        return err;
    *forever = us == TIMESPEC_US_MAX;
    *deadline = us ? uptime_us() + us + 1 : 0;
    return 0;
}

/* Sleeps on poll_wq until something changes: 1 to look again, 0 when the
 * deadline has passed, -EINTR. */
static int poll_sleep(uint64_t deadline, bool forever)
{
    if (!forever && (deadline == 0 || uptime_us() >= deadline))
        return 0;
    int r = waitq_wait(&current()->node->poll_wq, forever ? WAIT_FOREVER : deadline);
    return r == -ETIMEDOUT ? 0 : r ? r : 1;
}

static int64_t do_poll(u64 ufds, u64 nfds, uint64_t deadline, bool forever)
{
    if (nfds > POLL_MAX)
        return -EINVAL;
    struct linux_pollfd *fds = user_buffer(ufds, nfds * sizeof(*fds), true);
    if (!fds && nfds)
        return -EFAULT;
    for (;;) {
        int ready = 0;
        for (u64 i = 0; i < nfds; i++) {
            fds[i].revents = 0;
            if (fds[i].fd < 0)
                continue;
            struct file *f = fd_file(fds[i].fd);
            uint32_t ev = f ? file_poll(f) & ((uint16_t)fds[i].events | POLLERR | POLLHUP) : POLLNVAL;
            fds[i].revents = (int16_t)ev;
            ready += ev != 0;
        }
        if (ready)
            return ready;
        int r = poll_sleep(deadline, forever);
        if (r <= 0)
            return r;
        fds = user_buffer(ufds, nfds * sizeof(*fds), true); /* still there after the sleep? */
        if (!fds && nfds)
            return -EFAULT;
    }
}

int64_t sys_poll(u64 fds, u64 nfds, u64 timeout_ms)
{
    bool forever;
    uint64_t deadline = ms_deadline((int)timeout_ms, &forever);
    return do_poll(fds, nfds, deadline, forever);
}

int64_t sys_ppoll(u64 fds, u64 nfds, u64 ts, u64 sigmask)
{
    (void)sigmask;
    bool forever;
    uint64_t deadline;
    int err = ts_deadline(ts, &deadline, &forever);
    return err ? err : do_poll(fds, nfds, deadline, forever);
}

/* select over fd_sets of up to POLL_MAX bits. */
static int64_t do_select(u64 nfds, u64 ur, u64 uw, u64 ue, uint64_t deadline, bool forever)
{
    if ((int64_t)nfds < 0 || nfds > POLL_MAX)
        return -EINVAL;
    u64 bytes = (nfds + 63) / 64 * 8;
    uint64_t in[3][POLL_MAX / 64], out[3][POLL_MAX / 64];
    u64 sets[3] = {ur, uw, ue};
    for (int s = 0; s < 3; s++) {
        memset(in[s], 0, sizeof(in[s]));
        if (sets[s] && copy_from_user(in[s], sets[s], bytes))
            return -EFAULT;
    }
    static const uint32_t want[3] = {POLLIN | POLLHUP | POLLERR, POLLOUT | POLLERR, POLLPRI};
    for (;;) {
        int ready = 0;
        memset(out, 0, sizeof(out));
        for (u64 fd = 0; fd < nfds; fd++) {
            bool asked = false;
            for (int s = 0; s < 3; s++)
                asked |= (in[s][fd / 64] >> (fd % 64)) & 1;
            if (!asked)
                continue;
            struct file *f = fd_file((int)fd);
            if (!f)
                return -EBADF;
            uint32_t ev = file_poll(f);
            for (int s = 0; s < 3; s++)
                if (((in[s][fd / 64] >> (fd % 64)) & 1) && (ev & want[s])) {
                    out[s][fd / 64] |= 1ull << (fd % 64);
                    ready++;
                }
        }
        if (ready || !poll_sleep(deadline, forever)) {
            for (int s = 0; s < 3; s++)
                if (sets[s] && copy_to_user(sets[s], out[s], bytes))
                    return -EFAULT;
            return ready;
        }
        if (current()->node->dying)
            return -EINTR;
    }
}

int64_t sys_select(u64 nfds, u64 r, u64 w, u64 e, u64 utv)
{
    bool forever = !utv;
    uint64_t deadline = 0;
    if (utv) {
        int64_t tv[2];
        if (copy_from_user(tv, utv, sizeof(tv)))
            return -EFAULT;
        if (tv[0] < 0 || tv[1] < 0 || tv[1] >= 1000000)
            return -EINVAL;
        uint64_t us = (uint64_t)tv[0] * 1000000 + (uint64_t)tv[1];
        deadline = us ? uptime_us() + us + 1 : 0;
    }
    return do_select(nfds, r, w, e, deadline, forever);
}

int64_t sys_pselect6(u64 nfds, u64 r, u64 w, u64 e, u64 ts, u64 sig)
{
    (void)sig;
    bool forever;
    uint64_t deadline;
    int err = ts_deadline(ts, &deadline, &forever);
    return err ? err : do_select(nfds, r, w, e, deadline, forever);
}

/* ---- epoll */

int64_t sys_epoll_create1(u64 flags)
{
    if (flags & ~(u64)O_CLOEXEC)
        return -EINVAL;
    struct file *ep = epoll_new();
    if (!ep)
        return -ENOMEM;
    int fd = fd_install(current()->node, ep, 0, flags & O_CLOEXEC);
    if (fd < 0)
        file_put(ep);
    return fd;
}

int64_t sys_epoll_create(u64 size)
{
    return (int)size <= 0 ? -EINVAL : sys_epoll_create1(0);
}

int64_t sys_epoll_ctl(u64 epfd, u64 op, u64 fd, u64 uev)
{
    struct file *ep = fd_file((int)epfd), *target = fd_file((int)fd);
    if (!ep || !target)
        return -EBADF;
    struct linux_epoll_event ev = {0, 0};
    if (op != EPOLL_CTL_DEL && copy_from_user(&ev, uev, sizeof(ev)))
        return -EFAULT;
    return epoll_ctl(ep, (int)op, (int)fd, target, &ev);
}

int64_t sys_epoll_pwait(u64 epfd, u64 uevs, u64 max, u64 timeout_ms, u64 sigmask)
{
    (void)sigmask;
    struct file *ep = fd_file((int)epfd);
    if (!ep)
        return -EBADF;
    if ((int)max <= 0 || max > 4096)
        return -EINVAL;
    bool forever;
    uint64_t deadline = ms_deadline((int)timeout_ms, &forever);
    for (;;) {
        struct linux_epoll_event *evs = user_buffer(uevs, max * sizeof(*evs), true);
        if (!evs)
            return -EFAULT;
        int n = epoll_collect(ep, evs, (int)max);
        if (n)
            return n;
        int r = poll_sleep(deadline, forever);
        if (r <= 0)
            return r;
    }
}

int64_t sys_epoll_wait(u64 epfd, u64 evs, u64 max, u64 timeout_ms)
{
    return sys_epoll_pwait(epfd, evs, max, timeout_ms, 0);
}

/* ---- timerfd */

int64_t sys_timerfd_create(u64 clockid, u64 flags)
{
    if (clockid != CLOCK_MONOTONIC && clockid != CLOCK_REALTIME && clockid != CLOCK_BOOTTIME)
        return -EINVAL;
    if (flags & ~(u64)(O_NONBLOCK | O_CLOEXEC))
        return -EINVAL;
    struct file *f = timerfd_new(clockid == CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC, (uint32_t)flags);
    if (!f)
        return -ENOMEM;
    int fd = fd_install(current()->node, f, 0, flags & O_CLOEXEC);
    if (fd < 0)
        file_put(f);
    return fd;
}

int64_t sys_timerfd_settime(u64 fd, u64 flags, u64 unv, u64 uold)
{
    struct file *f = fd_file((int)fd);
    if (!f)
        return -EBADF;
    struct linux_itimerspec nv, old;
    if (copy_from_user(&nv, unv, sizeof(nv)))
        return -EFAULT;
    int err = timerfd_settime(f, (int)flags, &nv, &old);
    if (!err && uold && copy_to_user(uold, &old, sizeof(old)))
        return -EFAULT;
    return err;
}

int64_t sys_timerfd_gettime(u64 fd, u64 ucur)
{
    struct file *f = fd_file((int)fd);
    if (!f)
        return -EBADF;
    struct linux_itimerspec cur;
    int err = timerfd_gettime(f, &cur);
    return err ? err : copy_to_user(ucur, &cur, sizeof(cur));
}
