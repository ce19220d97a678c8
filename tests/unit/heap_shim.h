/* The kernel heap and panic for host tests of file-system code: kmalloc is
 * malloc, filled with 0xa5 (nobody may rely on fresh memory being zero),
 * with a switch to fail the n-th allocation and a count of live blocks that
 * tests check at their end; panic fails the cmocka test. */
#ifndef HYDROS_TEST_HEAP_SHIM_H
#define HYDROS_TEST_HEAP_SHIM_H

extern long fail_at;     /* the allocation (counting from 0) that fails; -1: none */
extern long live_blocks; /* kmalloc'd and not yet kfree'd */

#endif
