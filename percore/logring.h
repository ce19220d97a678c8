/* Per-core log rings: how a node that does not own the console gets its
 * output there. Core N's kernel is the only producer of ring N, the console
 * core's kernel the only consumer; the rings live in kernel memory that
 * every core maps. The consumer prints whole lines, prefixed "[cN] ", so
 * nothing from two cores is ever interleaved within a line. */
#ifndef HYDROS_LOGRING_H
#define HYDROS_LOGRING_H
#include <stdint.h>

#define LOGRING_SIZE 65536 /* a power of two */

/* Appends what fits of s[0..n) to the calling core's ring; returns the
 * bytes taken (0 when full: the caller waits and tries again). */
uint64_t logring_write(int core, const char *s, uint64_t n);
/* Console core: prints every complete line waiting in every ring (and a
 * partial line that fills its buffer). */
void logring_drain(void);

#endif
