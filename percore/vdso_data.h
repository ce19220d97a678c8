/* The page of data the kernel writes once at boot (vdso.c) and every node
 * maps read-only just below the vDSO image (percore/vdso/): what the vDSO
 * needs to tell the time exactly as the kernel does (apic.c: uptime_us,
 * rtc.c: realtime_us). Shared by the kernel and the vDSO build. */
#ifndef HYDROS_VDSO_DATA_H
#define HYDROS_VDSO_DATA_H
#include <stdint.h>

#define VDSO_DATA_VERSION 1

struct vdso_data {
    uint64_t version;  /* VDSO_DATA_VERSION: the layout below */
    uint64_t tsc_boot; /* the TSC at uptime 0 */
    uint64_t tsc_khz;  /* uptime_us = (rdtsc - tsc_boot) * 1000 / tsc_khz, computed without overflow */
    uint64_t epoch_us; /* realtime_us = epoch_us + uptime_us */
};

#endif
