/* Runs as a node instead of ERTS (tests/boot/test_user_faults.py): calls the
 * kernel with bad pointers and arguments, prints one line per check, then,
 * asked to, dies of a segmentation fault. Static musl, like ERTS. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define KERNEL_TEXT ((void *)0xffffffff80100000ul)
#define DIRECT_MAP ((void *)0xffff800000001000ul)
#define UNMAPPED ((void *)0x1000ul)

static int failures;

static void expect(const char *what, long r, int err)
{
    int ok = r == -1 && errno == err;
    failures += !ok;
    printf("check %s: %s (ret %ld, errno %d, want %d)\n", what, ok ? "ok" : "WRONG", r, r == -1 ? errno : 0, err);
}

int main(int argc, char **argv)
{
    char buf[16];
    expect("write from kernel text", syscall(SYS_write, 1, KERNEL_TEXT, 16), EFAULT);
    expect("write from unmapped page", syscall(SYS_write, 1, UNMAPPED, 16), EFAULT);
    expect("read into direct map", syscall(SYS_read, 0, DIRECT_MAP, 16), EFAULT);
    expect("open kernel path", syscall(SYS_open, KERNEL_TEXT, 0), EFAULT);
    expect("clock_gettime to unmapped", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, UNMAPPED), EFAULT);
    expect("uname to kernel", syscall(SYS_uname, DIRECT_MAP), EFAULT);
    expect("writev iovec in kernel", syscall(SYS_writev, 1, KERNEL_TEXT, 1), EFAULT);
    expect("write wrapping range", syscall(SYS_write, 1, (void *)-4096l, 8192), EFAULT);
    expect("mmap fixed in kernel half",
           (long)syscall(SYS_mmap, DIRECT_MAP, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
           EINVAL);
    expect("munmap kernel half", syscall(SYS_munmap, KERNEL_TEXT, 4096), EINVAL);
    expect("arch_prctl non-canonical fs", syscall(SYS_arch_prctl, 0x1002, 0x800000000000ul), EPERM);
    expect("futex unaligned", syscall(SYS_futex, (char *)buf + 1, 0, 0, 0, 0, 0), EINVAL);
    expect("bad fd", syscall(SYS_write, 999, buf, 1), EBADF);
    expect("unknown syscall", syscall(999), ENOSYS);
    expect("fork", syscall(SYS_fork), ENOSYS);
    printf("badptr: %d failures; the kernel survived\n", failures);
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "segv") == 0) {
        int *volatile wild = (int *)16;
        *wild = 1;
    }
    return failures != 0;
}
