/* Threads, the node they belong to, and the core's scheduler.
 *
 * A node is the one user program a core runs (its ERTS): an address space,
 * a file table and a set of threads. All of a node's threads run on its
 * core only, round robin, preempted by the timer when they return to user
 * mode. The kernel itself is never preempted: kernel code runs until it
 * blocks (waitq_wait) or returns to user mode, so per-core state needs no
 * locks. Interrupt handlers only count ticks and set need_resched. */
#ifndef HYDROS_SCHED_H
#define HYDROS_SCHED_H
#include <stdbool.h>
#include <stdint.h>

#include "kernel.h"
#include "ktimer.h"
#include "vma.h"
#include "waitq.h"

#define THREAD_KSTACK_PAGES 4
#define MAX_FDS 1024
#define NODE_MAX_THREADS 64

enum thread_state { THREAD_RUNNABLE, THREAD_BLOCKED, THREAD_DEAD };

struct node;

struct thread {
    uint64_t ksp;              /* saved kernel rsp while switched out */
    uint64_t kstack;           /* physical address of THREAD_KSTACK_PAGES pages */
    struct trap_frame *uframe; /* its user context, at the top of its kernel stack */
    uint64_t fs_base;
    struct node *node;
    int tid;
    enum thread_state state;
    struct thread *rq_next;   /* run queue */
    struct thread *wq_next;   /* the waitq it sleeps on */
    struct waitq *wq;
    int wake_result;
    struct ktimer timeout;
    uint64_t clear_child_tid; /* set_tid_address / CLONE_CHILD_CLEARTID */
    uint64_t futex_addr;      /* the word it waits on in futex_wait */
    bool poke;                /* debug_poke: store to poke_addr on the way to user mode */
    uint64_t poke_addr;
    uint64_t sigmask;
    struct file *io_file;     /* the file a read or write holds while it waits (sys_fs.c) */
    struct thread *node_next; /* all threads of the node */
    uint8_t fpu[512] __attribute__((aligned(16))); /* FXSAVE area */
};

struct vm {
    uint64_t pml4; /* physical; the upper half is the kernel's */
    struct pmm *pmm; /* the node's partition: every page and page table */
    struct vma_set areas;
    uint64_t brk_start, brk;
    uint64_t resident; /* its own pages mapped */
    uint64_t shared;   /* shared read-only pages mapped (program text) */
    bool corrupt;      /* an entry failed the kernel's checks (vm.c): the node must end */
};

struct file;
struct vfs;
struct node {
    int id; /* the core it runs on */
    bool dying;
    bool crashed; /* a fault or a fatal signal, not an exit */
    bool injected_halt; /* its exit was injected: the console node's does not power off */
    bool has_console;   /* its fds 0-2 are the console tty (node_io.c) */
    int exit_status;
    struct vm vm;
    struct vfs *vfs;
    char cwd[256];
    char core_arg[8];  /* "N" of the "-hydros core N" it was given */
    char name_arg[16]; /* "cN@hydros" of its "-sname" */
    struct file *fds[MAX_FDS];
    uint8_t cloexec[MAX_FDS];
    struct thread *threads;
    int nthreads, next_tid;
    struct waitq poll_wq;
    struct waitq futex_wq[64]; /* hashed by address */
    uint64_t sigactions[65][4]; /* stored for rt_sigaction, never delivered */
};

/* ---- sched.c */
void sched_init_core(void);
void sched_reset_core(void); /* a restarted core: no thread, no timer (node_reclaim) */
struct thread *thread_new(struct node *n, const struct trap_frame *uframe, uint64_t fs_base);
_Noreturn void thread_exit(struct thread *t); /* current thread */
void thread_discard(struct thread *t); /* one that never ran */
void sched_make_runnable(struct thread *t);
void sched_yield(void);
_Noreturn void sched_start(void); /* boot path: run the first thread */
void sched_user_return(struct trap_frame *f); /* timers, console, preemption: before every return to user */
void sched_interrupt_node(struct node *n);    /* wake all its sleepers with -EINTR */
void thread_wake(struct thread *t, int result); /* off its waitq, runnable; waitq_wait returns result */

/* ---- futex.c */
int futex_wake(struct node *n, uint64_t uaddr, int count);
int64_t sys_futex(uint64_t uaddr, int op, uint32_t val, uint64_t utimeout, uint64_t uaddr2, uint32_t val3);

/* ---- node.c */
int node_start(const void *archive, uint64_t archive_len); /* the program named in the archive */
/* Starts core's node again once its last one is gone: 0, -ENXIO (no such
 * core or no partition), -EBUSY (its node is not dead, or the core is
 * starting). On that core, node_restart_poll (kernel_chores) frees the
 * whole partition, resets the rings and loads the node from the archive.
 * A dead core is restarted whole first (smp_restart_core, and its errors). */
int node_restart_ask(int core);
/* The node a dead core left behind, in whatever state its kernel stopped:
 * files closed, threads and address space freed, run queue and timers
 * forgotten. On that core, restarted, before its timer runs. */
void node_reclaim(struct core *c);
/* Ends core's node on the operator's word (hydros:kill/1): 0, -ENXIO, or
 * -ESRCH (no node running or booting there). Its fault reads "killed". */
int node_kill_ask(int core);

void node_restart_poll(void);

/* ---- node_io.c */
extern const struct file_ops node_io_log_ops; /* /dev/hydros/log: lines through the log ring */
int node_io_open(struct node *n);             /* fds 0-2: the console tty on the console core, else the log ring */
struct tty *console_tty(void);                /* the console's line discipline, on the console core */
void node_io_follow_console(void);            /* console core: its running node takes the tty if it lacks it */

/* ---- inject.c: faults asked for at run time or on the command line,
 * and test hooks that are off unless the command line asks */
enum fault {
    FAULT_NONE, FAULT_HALT, FAULT_NODE_CRASH, FAULT_NODE_HANG, FAULT_KERNEL_PANIC,
    FAULT_CORE_HANG, FAULT_WILD_WRITE, FAULT_CHAN_GARBAGE, FAULT_MCE, FAULT_HEAP_PANIC,
};
int fault_by_name(const char *name, size_t len); /* an enum fault, or -EINVAL */
/* Asks core to suffer fault: 0, -EINVAL (no such fault), -ENXIO (no such
 * core), -ESRCH (the core is dead),
 * -EBUSY (one is pending there), -ENOTSUP (mce without writable banks). */
int inject_ask(int core, int fault);
void inject_poll(void);                       /* kernel_chores: a fault asked of this core happens here */
int inject_node_started(struct node *n);      /* with the node's CR3 loaded */
void inject_chan_poke(void);                  /* after chan_init_core */
void node_before_user(struct trap_frame *f);
void inject_node_crashed(void);
void node_exited(struct node *n);             /* its last thread is gone */
void node_kill(struct node *n, int status);   /* from a fault or exit_group */

/* ---- uaccess.c: every user pointer goes through these. */
int copy_from_user(void *dst, uint64_t usrc, uint64_t n);
int copy_to_user(uint64_t udst, const void *src, uint64_t n);
int64_t strncpy_from_user(char *dst, uint64_t usrc, uint64_t max); /* length, -EFAULT, -ENAMETOOLONG */
void *user_buffer(uint64_t uaddr, uint64_t len, bool write);      /* checked and present, or NULL */
static inline struct thread *current(void) { return this_core()->sched.current; }

/* ---- arch/switch.S */
void switch_stacks(uint64_t *save_ksp, uint64_t next_ksp);
void fpu_save(void *area);
void fpu_restore(const void *area);
extern char trap_return[]; /* pops a trap_frame and irets */

#endif
