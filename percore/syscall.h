/* The Linux syscall layer: syscall.c holds the table from numbers to
 * handlers and the small calls; sys_fs.c, sys_poll.c, sys_mem.c and
 * sys_thread.c the rest, by area. Every handler takes the raw argument
 * registers and returns a value or -errno; every user pointer goes
 * through uaccess.c. docs/syscalls.md lists what is implemented. */
#ifndef HYDROS_SYSCALL_H
#define HYDROS_SYSCALL_H
#include <stdint.h>

#include "kernel.h"

typedef uint64_t u64;

void syscall_dispatch(struct trap_frame *f);

/* sys_fs.c */
struct file;
struct node;
int fd_install(struct node *n, struct file *f, int min_fd, bool cloexec); /* the fd, or -EMFILE */
struct file *fd_file(int fd);                                           /* current node's, or NULL */
void fd_close_all(struct node *n);
int64_t sys_read(u64 fd, u64 buf, u64 len);
int64_t sys_write(u64 fd, u64 buf, u64 len);
int64_t sys_readv(u64 fd, u64 iov, u64 cnt);
int64_t sys_writev(u64 fd, u64 iov, u64 cnt);
int64_t sys_pread64(u64 fd, u64 buf, u64 len, u64 off);
int64_t sys_open(u64 path, u64 flags, u64 mode);
int64_t sys_openat(u64 dirfd, u64 path, u64 flags, u64 mode);
int64_t sys_close(u64 fd);
int64_t sys_stat(u64 path, u64 st);
int64_t sys_lstat(u64 path, u64 st);
int64_t sys_fstat(u64 fd, u64 st);
int64_t sys_newfstatat(u64 dirfd, u64 path, u64 st, u64 flags);
int64_t sys_lseek(u64 fd, u64 off, u64 whence);
int64_t sys_access(u64 path, u64 mode);
int64_t sys_faccessat(u64 dirfd, u64 path, u64 mode, u64 flags);
int64_t sys_readlink(u64 path, u64 buf, u64 len);
int64_t sys_readlinkat(u64 dirfd, u64 path, u64 buf, u64 len);
int64_t sys_getcwd(u64 buf, u64 len);
int64_t sys_chdir(u64 path);
int64_t sys_getdents64(u64 fd, u64 buf, u64 len);
int64_t sys_fcntl(u64 fd, u64 cmd, u64 arg);
int64_t sys_ioctl(u64 fd, u64 cmd, u64 arg);
int64_t sys_pipe2(u64 fds, u64 flags);
int64_t sys_pipe(u64 fds);
int64_t sys_dup(u64 fd);
int64_t sys_dup2(u64 fd, u64 to);
int64_t sys_dup3(u64 fd, u64 to, u64 flags);
int64_t sys_mkdir(u64 path, u64 mode);
int64_t sys_mkdirat(u64 dirfd, u64 path, u64 mode);
int64_t sys_unlink(u64 path);
int64_t sys_unlinkat(u64 dirfd, u64 path, u64 flags);
int64_t sys_rmdir(u64 path);
int64_t sys_rename(u64 from, u64 to);
int64_t sys_renameat(u64 fromfd, u64 from, u64 tofd, u64 to);
int64_t sys_ftruncate(u64 fd, u64 len);
int64_t sys_fsync(u64 fd);

/* sys_poll.c */
int64_t sys_poll(u64 fds, u64 nfds, u64 timeout_ms);
int64_t sys_ppoll(u64 fds, u64 nfds, u64 ts, u64 sigmask);
int64_t sys_select(u64 nfds, u64 r, u64 w, u64 e, u64 tv);
int64_t sys_pselect6(u64 nfds, u64 r, u64 w, u64 e, u64 ts, u64 sig);
int64_t sys_epoll_create1(u64 flags);
int64_t sys_epoll_create(u64 size);
int64_t sys_epoll_ctl(u64 epfd, u64 op, u64 fd, u64 ev);
int64_t sys_epoll_wait(u64 epfd, u64 evs, u64 max, u64 timeout_ms);
int64_t sys_epoll_pwait(u64 epfd, u64 evs, u64 max, u64 timeout_ms, u64 sigmask);
int64_t sys_timerfd_create(u64 clockid, u64 flags);
int64_t sys_timerfd_settime(u64 fd, u64 flags, u64 nv, u64 old);
int64_t sys_timerfd_gettime(u64 fd, u64 cur);

/* sys_mem.c */
int64_t sys_mmap(u64 addr, u64 len, u64 prot, u64 flags, u64 fd, u64 off);
int64_t sys_munmap(u64 addr, u64 len);
int64_t sys_mprotect(u64 addr, u64 len, u64 prot);
int64_t sys_mremap(u64 old, u64 oldlen, u64 newlen, u64 flags, u64 newaddr);
int64_t sys_madvise(u64 addr, u64 len, u64 advice);
int64_t sys_brk(u64 addr);

/* sys_thread.c */
int64_t sys_clone(u64 flags, u64 stack, u64 ptid, u64 ctid, u64 tls);
int64_t sys_exit(u64 status);
int64_t sys_exit_group(u64 status);
int64_t sys_set_tid_address(u64 addr);
int64_t sys_arch_prctl(u64 code, u64 addr);
int64_t sys_gettid(void);
int64_t sys_sched_yield(void);
int64_t sys_nanosleep(u64 req, u64 rem);
int64_t sys_clock_nanosleep(u64 clock, u64 flags, u64 req, u64 rem);
int64_t sys_tgkill(u64 tgid, u64 tid, u64 sig);
int64_t sys_tkill(u64 tid, u64 sig);
int64_t sys_kill(u64 pid, u64 sig);

#endif
