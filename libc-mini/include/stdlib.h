/* libc-mini number parsing, sorting and searching, C semantics, for the kernel.
 * There is no errno: strto* report overflow only by saturating (ULONG_MAX,
 * LONG_MIN/LONG_MAX), which is also what C returns. */
#ifndef LIBC_MINI_STDLIB_H
#define LIBC_MINI_STDLIB_H
#include <stddef.h>

/* Base 0 picks 16 for "0x", 8 for a leading "0", else 10; bases 2..36 are
 * accepted, any other base converts nothing. *endptr (if endptr is not NULL)
 * points past the last digit used, or at nptr if there was none. */
unsigned long strtoul(const char *nptr, char **endptr, int base);
unsigned long long strtoull(const char *nptr, char **endptr, int base);
long strtol(const char *nptr, char **endptr, int base);
int abs(int n);

/* Heapsort: O(n log n) even at worst and no recursion, which matters on a
 * small kernel stack. Like C's qsort it is not stable. */
void qsort(void *base, size_t n, size_t size,
           int (*cmp)(const void *a, const void *b));
void *bsearch(const void *key, const void *base, size_t n, size_t size,
              int (*cmp)(const void *key, const void *elem));

#endif
