/* Runs as a node instead of ERTS (tests/boot/test_vdso.py): checks that
 * the kernel mapped a vDSO (AT_SYSINFO_EHDR), that its clock_gettime and
 * gettimeofday agree with the system calls, that a bad clock still gets
 * EINVAL, and that it is faster than the system call. Static musl, like
 * ERTS, whose clock_gettime calls the vDSO when there is one. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int64_t us_of(struct timespec t)
{
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int64_t sys_us(clockid_t c)
{
    struct timespec t;
    syscall(SYS_clock_gettime, c, &t);
    return us_of(t);
}

static int64_t vdso_us(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return us_of(t);
}

int main(void)
{
    int failures = 0;
    printf("vdsoclock: AT_SYSINFO_EHDR %s\n", getauxval(AT_SYSINFO_EHDR) ? "set" : "missing");
    failures += !getauxval(AT_SYSINFO_EHDR);
    const clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME,
                                CLOCK_PROCESS_CPUTIME_ID};
    for (unsigned i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
        int64_t a = sys_us(clocks[i]), b = vdso_us(clocks[i]), c = sys_us(clocks[i]);
        int ok = a <= b && b <= c && c - a < 100000;
        printf("vdsoclock: clock %d: syscall %lld <= vdso %lld <= syscall %lld: %s\n", (int)clocks[i],
               (long long)a, (long long)b, (long long)c, ok ? "ok" : "WRONG");
        failures += !ok;
    }
    struct timeval tv;
    int64_t a = sys_us(CLOCK_REALTIME);
    gettimeofday(&tv, NULL);
    int64_t b = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec, c = sys_us(CLOCK_REALTIME);
    int ok = a <= b && b <= c;
    printf("vdsoclock: gettimeofday: %s\n", ok ? "ok" : "WRONG");
    failures += !ok;
    struct timespec t;
    errno = 0;
    ok = clock_gettime(42, &t) == -1 && errno == EINVAL;
    printf("vdsoclock: clock 42: %s\n", ok ? "EINVAL, ok" : "WRONG");
    failures += !ok;
    enum { N = 20000 };
    int64_t t0 = vdso_us(CLOCK_MONOTONIC);
    for (int i = 0; i < N; i++)
        sys_us(CLOCK_MONOTONIC);
    int64_t t1 = vdso_us(CLOCK_MONOTONIC);
    for (int i = 0; i < N; i++)
        vdso_us(CLOCK_MONOTONIC);
    int64_t t2 = vdso_us(CLOCK_MONOTONIC);
    printf("vdsoclock: %d calls: syscall %lld us, vdso %lld us\n", N, (long long)(t1 - t0), (long long)(t2 - t1));
    printf("vdsoclock: %d failures\n", failures);
    return failures != 0;
}
