/* The vDSO every node maps (percore/vdso.c maps it): clock_gettime and
 * gettimeofday without a system call, since ERTS reads the clock several
 * times for every message it handles. The time is the kernel's to the
 * microsecond: the TSC and the calibration the kernel wrote into the data
 * page just below this image (vdso_data.h). Built as a position-independent
 * shared object with no relocations (vdso.lds; the Makefile checks). */
#include <stdint.h>

#include "vdso_data.h"

extern const struct vdso_data vdso_data __attribute__((visibility("hidden")));

struct vdso_timespec {
    int64_t tv_sec, tv_nsec;
};

struct vdso_timeval {
    int64_t tv_sec, tv_usec;
};

static uint64_t uptime_us(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    uint64_t d = ((uint64_t)hi << 32 | lo) - vdso_data.tsc_boot, khz = vdso_data.tsc_khz;
    return d / khz * 1000 + d % khz * 1000 / khz; /* as apic.c's uptime_us, to the microsecond */
}

static long syscall2(long nr, long a, long b)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return r;
}

/* The clocks of sys_clock_gettime (syscall.c), the same way; any other
 * clock (and a bad one) goes to the kernel. */
int __vdso_clock_gettime(int clock, struct vdso_timespec *ts)
{
    uint64_t us;
    switch (clock) {
    case 0: /* CLOCK_REALTIME */
    case 5: /* CLOCK_REALTIME_COARSE */
        us = vdso_data.epoch_us + uptime_us();
        break;
    case 1: /* CLOCK_MONOTONIC */
    case 2: /* CLOCK_PROCESS_CPUTIME_ID: the node owns its core */
    case 3: /* CLOCK_THREAD_CPUTIME_ID */
    case 4: /* CLOCK_MONOTONIC_RAW */
    case 6: /* CLOCK_MONOTONIC_COARSE */
    case 7: /* CLOCK_BOOTTIME */
        us = uptime_us();
        break;
    default:
        return (int)syscall2(228, clock, (long)ts);
    }
    ts->tv_sec = (int64_t)(us / 1000000);
    ts->tv_nsec = (int64_t)(us % 1000000) * 1000;
    return 0;
}

int __vdso_gettimeofday(struct vdso_timeval *tv, void *tz)
{
    if (tz)
        return (int)syscall2(96, (long)tv, (long)tz);
    uint64_t us = vdso_data.epoch_us + uptime_us();
    if (tv) {
        tv->tv_sec = (int64_t)(us / 1000000);
        tv->tv_usec = (int64_t)(us % 1000000);
    }
    return 0;
}
