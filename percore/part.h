/* Memory partitions: the boot core gives every core a contiguous range of
 * physical memory, its partition, from which that core's node gets all its
 * user memory. Pure arithmetic (host-tested); the kernel applies the plan.
 *
 * Invariants of a plan: partitions are disjoint, each lies inside one usable
 * range, each base and size is a multiple of PART_ALIGN, partition i of a
 * core with a fixed size has exactly that size, and every other partition
 * has the same size: the largest for which first-fit placement in core
 * order (each partition at the lowest free place that holds it) succeeds. */
#ifndef HYDROS_PART_H
#define HYDROS_PART_H
#include <stdint.h>

#include "memmap.h"

#define PART_ALIGN (2ull << 20)
#define PART_MAX 64

struct part {
    uint64_t base, end;
};

/* usable: sorted, disjoint ranges. fixed[i] (NULL for none) nonzero fixes
 * core i's size. Fills out[0..n-1]. Returns 0; -EINVAL for n out of
 * [1, PART_MAX] or a fixed size not a multiple of PART_ALIGN; -ENOMEM when
 * some partition cannot get at least min bytes (nothing useful is in out). */
int part_plan(const struct mem_range *usable, int nr, int n, const uint64_t *fixed, uint64_t min,
              struct part *out);
/* How many partitions of at least min bytes fit, none fixed: the most cores
 * this memory can run, for the message that refuses the rest. */
int part_max_count(const struct mem_range *usable, int nr, uint64_t min);

#endif
