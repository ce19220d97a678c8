/* Threads and their lifetime: clone (threads only: a node is one process),
 * exit, exit_group, TLS, sleeping, and the few signals that end a node.
 * Signals are otherwise never delivered (DESIGN.md). */
#include "arch/x86.h"
#include "sched.h"
#include "syscall.h"
#include "uapi.h"

#define CLONE_VM 0x00000100
#define CLONE_SETTLS 0x00080000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID 0x01000000
#define CLONE_THREAD 0x00010000
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define USER_TOP 0x0000800000000000ull
#define TIMER_ABSTIME 1

int64_t sys_clone(u64 flags, u64 stack, u64 ptid, u64 ctid, u64 tls)
{
    struct thread *parent = current();
    if ((flags & (CLONE_VM | CLONE_THREAD)) != (CLONE_VM | CLONE_THREAD))
        return -ENOSYS; /* no processes: fork and spawn are patched out of ERTS */
    if ((flags & CLONE_SETTLS) && tls >= USER_TOP)
        return -EPERM;
    struct trap_frame frame = *parent->uframe;
    frame.rax = 0;
    if (stack)
        frame.rsp = stack;
    struct thread *t = thread_new(parent->node, &frame, (flags & CLONE_SETTLS) ? tls : rdmsr(MSR_FS_BASE));
    if (!t)
        return -EAGAIN;
    fpu_save(t->fpu); /* the child starts with the parent's FPU state, as on Linux */
    if ((flags & CLONE_PARENT_SETTID) && copy_to_user(ptid, &t->tid, sizeof(int)))
        goto fault;
    if ((flags & CLONE_CHILD_SETTID) && copy_to_user(ctid, &t->tid, sizeof(int)))
        goto fault;
    if (flags & CLONE_CHILD_CLEARTID)
        t->clear_child_tid = ctid;
    sched_make_runnable(t);
    return t->tid;
fault:
    t->state = THREAD_DEAD; /* never ran: the node keeps its other threads */
    thread_discard(t);
    return -EFAULT;
}

int64_t sys_exit(u64 status)
{
    struct thread *t = current();
    if (t->node->nthreads == 1)
        t->node->exit_status = (int)(status & 0xFF);
    thread_exit(t);
    return 0;
}

int64_t sys_exit_group(u64 status)
{
    node_kill(current()->node, (int)(status & 0xFF));
    thread_exit(current());
    return 0;
}

int64_t sys_set_tid_address(u64 addr)
{
    current()->clear_child_tid = addr;
    return current()->tid;
}

int64_t sys_arch_prctl(u64 code, u64 addr)
{
    struct thread *t = current();
    switch (code) {
    case ARCH_SET_FS:
        if (addr >= USER_TOP)
            return -EPERM; /* a non-canonical base would fault in the kernel */
        t->fs_base = addr;
        wrmsr(MSR_FS_BASE, addr);
        return 0;
    case ARCH_GET_FS: {
        uint64_t fs = rdmsr(MSR_FS_BASE);
        return copy_to_user(addr, &fs, sizeof(fs));
    }
    default:
        return -EINVAL;
    }
}

int64_t sys_gettid(void)
{
    return current()->tid;
}

int64_t sys_sched_yield(void)
{
    sched_yield();
    return 0;
}

/* Sleeps until the deadline; on -EINTR writes the time left to rem. */
static int64_t sleep_until(uint64_t deadline, u64 rem)
{
    struct waitq never = {0};
    int r = waitq_wait(&never, deadline);
    if (r == -ETIMEDOUT)
        return 0;
    if (rem) {
        uint64_t now = uptime_us(), left = deadline > now ? deadline - now : 0;
        struct linux_timespec ts = {(int64_t)(left / 1000000), (int64_t)(left % 1000000) * 1000};
        copy_to_user(rem, &ts, sizeof(ts));
    }
    return -EINTR;
}

static int read_timespec_us(u64 uts, uint64_t *us)
{
    struct linux_timespec ts;
    if (copy_from_user(&ts, uts, sizeof(ts)))
        return -EFAULT;
    return timespec_us(&ts, us);
}

int64_t sys_nanosleep(u64 req, u64 rem)
{
    uint64_t us;
    int err = read_timespec_us(req, &us);
    return err ? err : sleep_until(uptime_us() + us + 1, rem);
}

int64_t sys_clock_nanosleep(u64 clock, u64 flags, u64 req, u64 rem)
{
    uint64_t us;
    if (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME && clock != CLOCK_BOOTTIME)
        return -EINVAL;
    int err = read_timespec_us(req, &us);
    if (err)
        return err;
    if (!(flags & TIMER_ABSTIME))
        return sleep_until(uptime_us() + us + 1, rem);
    uint64_t base = clock == CLOCK_REALTIME ? realtime_us() : uptime_us();
    return sleep_until(uptime_us() + (us > base ? us - base : 0) + 1, 0);
}

/* A signal is never delivered; one whose default action ends the process
 * ends the node, when no handler was installed for it. */
static int64_t signal_node(u64 sig)
{
    struct node *n = current()->node;
    if (sig == 0)
        return 0;
    if (sig > 64)
        return -EINVAL;
    bool fatal = sig == 2 || sig == 3 || sig == 6 || sig == 9 || sig == 11 || sig == 15;
    if (fatal && (sig == 9 || n->sigactions[sig][0] == 0)) {
        kprintf("node %d: killed by signal %lu\n", n->id, sig);
        n->crashed = true;
        node_kill(n, 128 + (int)sig);
        thread_exit(current());
    }
    return 0;
}

int64_t sys_tgkill(u64 tgid, u64 tid, u64 sig)
{
    (void)tgid, (void)tid;
    return signal_node(sig);
}

int64_t sys_tkill(u64 tid, u64 sig)
{
    (void)tid;
    return signal_node(sig);
}

int64_t sys_kill(u64 pid, u64 sig)
{
    if (pid != 1 && pid != 0 && (int64_t)pid != -1)
        return -ESRCH;
    return signal_node(sig);
}
