/* The syscall table and the calls that need no subsystem of their own:
 * identity, limits, signals (recorded, never delivered), clocks, uname.
 * An unknown number returns -ENOSYS and is logged once per node. */
#include <string.h>

#include "arch/x86.h"
#include "sched.h"
#include "syscall.h"
#include "uapi.h"

typedef int64_t (*syscall_fn)(u64, u64, u64, u64, u64, u64);

static int64_t sys_getpid(void) { return 1; }
static int64_t sys_getppid(void) { return 0; }
static int64_t sys_getuid(void) { return 0; } /* also gid, euid, egid */
static int64_t sys_umask(u64 mask) { (void)mask; return 022; }
static int64_t sys_ok(void) { return 0; } /* accepted, nothing to do here */

static int64_t sys_rt_sigaction(u64 sig, u64 act, u64 oldact, u64 size)
{
    struct node *n = current()->node;
    if (sig < 1 || sig > 64 || size != 8)
        return -EINVAL;
    if (oldact && copy_to_user(oldact, n->sigactions[sig], sizeof(n->sigactions[sig])))
        return -EFAULT;
    if (act && copy_from_user(n->sigactions[sig], act, sizeof(n->sigactions[sig])))
        return -EFAULT;
    return 0;
}

static int64_t sys_rt_sigprocmask(u64 how, u64 set, u64 oldset, u64 size)
{
    struct thread *t = current();
    uint64_t mask;
    if (size != 8 || how > 2)
        return -EINVAL;
    if (oldset && copy_to_user(oldset, &t->sigmask, 8))
        return -EFAULT;
    if (set) {
        if (copy_from_user(&mask, set, 8))
            return -EFAULT;
        t->sigmask = how == 0 ? t->sigmask | mask : how == 1 ? t->sigmask & ~mask : mask;
    }
    return 0;
}

static int64_t sys_uname(u64 buf)
{
    struct linux_utsname u;
    memset(&u, 0, sizeof(u));
    strlcpy(u.sysname, "Linux", sizeof(u.sysname)); /* the ABI we speak */
    strlcpy(u.nodename, "hydros.local", sizeof(u.nodename)); /* a domain: no host lookup */
    strlcpy(u.release, "6.1.0-hydros", sizeof(u.release));
    strlcpy(u.version, "#1 HydrOS multikernel", sizeof(u.version));
    strlcpy(u.machine, "x86_64", sizeof(u.machine));
    return copy_to_user(buf, &u, sizeof(u));
}

static int64_t sys_prlimit64(u64 pid, u64 resource, u64 new, u64 old)
{
    (void)new; /* limits are fixed: setting one is accepted and ignored */
    if (pid != 0 && pid != 1)
        return -ESRCH;
    struct linux_rlimit r = {~0ull, ~0ull};
    if (resource == 7) /* RLIMIT_NOFILE: ERTS sizes its poll set from it */
        r.cur = r.max = MAX_FDS;
    else if (resource == 3) /* RLIMIT_STACK */
        r.cur = r.max = 8ull << 20;
    return old ? copy_to_user(old, &r, sizeof(r)) : 0;
}

static int64_t sys_getrlimit(u64 resource, u64 old)
{
    return sys_prlimit64(0, resource, 0, old);
}

static int64_t sys_sched_getaffinity(u64 pid, u64 size, u64 mask)
{
    (void)pid;
    uint64_t one = 1; /* a node sees one CPU: its own core */
    if (size < sizeof(one))
        return -EINVAL;
    return copy_to_user(mask, &one, sizeof(one)) ?: (int64_t)sizeof(one);
}

static int64_t sys_prctl(u64 option)
{
    return option == 15 /* PR_SET_NAME */ || option == 16 /* PR_GET_NAME */ ? 0 : -EINVAL;
}

/* The flags change nothing: the generator is seeded before its first
 * byte, so it never blocks, and there is no separate "random" pool. At
 * most GETRANDOM_MAX bytes a call: the kernel is not preempted. */
static int64_t sys_getrandom(u64 buf, u64 len, u64 flags)
{
    if (flags & ~(u64)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
        return -EINVAL;
    if (len > GETRANDOM_MAX)
        len = GETRANDOM_MAX;
    uint8_t *p = user_buffer(buf, len, true);
    if (!p && len)
        return -EFAULT;
    random_fill(p, len);
    return (int64_t)len;
}

static int64_t to_timespec(u64 uts, uint64_t us)
{
    struct linux_timespec ts = {(int64_t)(us / 1000000), (int64_t)(us % 1000000) * 1000};
    return copy_to_user(uts, &ts, sizeof(ts));
}

static int64_t sys_clock_gettime(u64 clock, u64 ts)
{
    switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
        return to_timespec(ts, realtime_us());
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    case CLOCK_PROCESS_CPUTIME_ID: /* the node owns the core: its CPU time is uptime */
    case CLOCK_THREAD_CPUTIME_ID:
        return to_timespec(ts, uptime_us());
    default:
        return -EINVAL;
    }
}

static int64_t sys_clock_getres(u64 clock, u64 ts)
{
    if (clock > CLOCK_BOOTTIME)
        return -EINVAL;
    struct linux_timespec res = {0, 1000};
    return ts ? copy_to_user(ts, &res, sizeof(res)) : 0;
}

static int64_t sys_gettimeofday(u64 tv, u64 tz)
{
    (void)tz;
    uint64_t now = realtime_us();
    int64_t v[2] = {(int64_t)(now / 1000000), (int64_t)(now % 1000000)};
    return tv ? copy_to_user(tv, v, sizeof(v)) : 0;
}

static int64_t sys_sysinfo(u64 info)
{
    struct vm *vm = &current()->node->vm;
    uint64_t v[14] = {0}; /* struct sysinfo, 112 bytes on x86-64 */
    v[0] = uptime_us() / 1000000;
    v[4] = vm->areas.limit * PAGE_SIZE;                  /* totalram: the node's share */
    v[5] = vm->resident < vm->areas.limit ? (vm->areas.limit - vm->resident) * PAGE_SIZE : 0; /* freeram */
    v[13] = 1;                                           /* mem_unit */
    return copy_to_user(info, v, sizeof(v));
}

/* struct rusage: CPU time as CLOCK_PROCESS_CPUTIME_ID counts it (the node
 * owns its core), maxrss the node's resident KiB; children: none. ERTS calls
 * it for statistics(runtime), which the distribution handshake uses. */
static int64_t sys_getrusage(u64 who, u64 usage)
{
    int64_t v[18] = {0}; /* 2 timevals, then 14 longs: 144 bytes */
    if ((int64_t)who != 0 && (int64_t)who != -1 && who != 1)
        return -EINVAL;
    if (who != (u64)-1) {
        uint64_t us = uptime_us();
        v[0] = (int64_t)(us / 1000000), v[1] = (int64_t)(us % 1000000);
        v[4] = (int64_t)(current()->node->vm.resident * (PAGE_SIZE / 1024));
    }
    return copy_to_user(usage, v, sizeof(v));
}

/* Handlers take fewer arguments than six: harmless in the x86-64 calling
 * convention, where the extra registers are simply not read. */
#define SYS(nr, fn) [nr] = (syscall_fn)(void (*)(void))(fn)
static const syscall_fn table[] = {
    SYS(0, sys_read), SYS(1, sys_write), SYS(2, sys_open), SYS(3, sys_close),
    SYS(4, sys_stat), SYS(5, sys_fstat), SYS(6, sys_lstat), SYS(7, sys_poll),
    SYS(8, sys_lseek), SYS(9, sys_mmap), SYS(10, sys_mprotect), SYS(11, sys_munmap),
    SYS(12, sys_brk), SYS(13, sys_rt_sigaction), SYS(14, sys_rt_sigprocmask),
    SYS(16, sys_ioctl), SYS(17, sys_pread64), SYS(19, sys_readv), SYS(20, sys_writev),
    SYS(21, sys_access), SYS(22, sys_pipe), SYS(23, sys_select), SYS(24, sys_sched_yield),
    SYS(25, sys_mremap), SYS(28, sys_madvise), SYS(32, sys_dup), SYS(33, sys_dup2),
    SYS(35, sys_nanosleep), SYS(39, sys_getpid), SYS(56, sys_clone), SYS(60, sys_exit),
    SYS(62, sys_kill), SYS(63, sys_uname), SYS(72, sys_fcntl), SYS(74, sys_fsync),
    SYS(75, sys_fsync), SYS(77, sys_ftruncate), SYS(79, sys_getcwd), SYS(80, sys_chdir),
    SYS(82, sys_rename), SYS(83, sys_mkdir), SYS(84, sys_rmdir), SYS(87, sys_unlink),
    SYS(89, sys_readlink), SYS(95, sys_umask), SYS(96, sys_gettimeofday),
    SYS(97, sys_getrlimit), SYS(98, sys_getrusage), SYS(99, sys_sysinfo), SYS(102, sys_getuid), SYS(104, sys_getuid),
    SYS(107, sys_getuid), SYS(108, sys_getuid), SYS(110, sys_getppid), SYS(131, sys_ok),
    SYS(157, sys_prctl), SYS(158, sys_arch_prctl), SYS(186, sys_gettid), SYS(200, sys_tkill),
    SYS(202, sys_futex), SYS(203, sys_ok), SYS(204, sys_sched_getaffinity),
    SYS(213, sys_epoll_create), SYS(217, sys_getdents64), SYS(218, sys_set_tid_address),
    SYS(228, sys_clock_gettime), SYS(229, sys_clock_getres), SYS(230, sys_clock_nanosleep),
    SYS(231, sys_exit_group), SYS(232, sys_epoll_wait), SYS(233, sys_epoll_ctl),
    SYS(234, sys_tgkill), SYS(257, sys_openat), SYS(258, sys_mkdirat), SYS(262, sys_newfstatat),
    SYS(263, sys_unlinkat), SYS(264, sys_renameat), SYS(267, sys_readlinkat),
    SYS(269, sys_faccessat), SYS(270, sys_pselect6), SYS(271, sys_ppoll), SYS(273, sys_ok),
    SYS(281, sys_epoll_pwait), SYS(283, sys_timerfd_create), SYS(286, sys_timerfd_settime),
    SYS(287, sys_timerfd_gettime), SYS(291, sys_epoll_create1), SYS(292, sys_dup3),
    SYS(293, sys_pipe2), SYS(302, sys_prlimit64), SYS(318, sys_getrandom), SYS(439, sys_faccessat),
    SYS(SYS_hydros_dev, sys_hydros_dev),
};

static uint8_t logged[MAX_CORES][512 / 8];

void syscall_dispatch(struct trap_frame *f)
{
    uint64_t nr = f->rax;
    sti(); /* syscall_entry runs with interrupts off (SFMASK) */
    if (nr < ARRAY_SIZE(table) && table[nr]) {
        f->rax = table[nr](f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9);
        return;
    }
    uint8_t *seen = logged[this_core()->id];
    if (nr >= 512 || !(seen[nr / 8] & (1 << (nr % 8)))) {
        if (nr < 512)
            seen[nr / 8] |= 1 << (nr % 8);
        kprintf("node %u: syscall %lu not implemented (-ENOSYS)\n", this_core()->id, nr);
    }
    f->rax = -ENOSYS;
}
