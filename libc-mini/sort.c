/* libc-mini qsort (as heapsort) and bsearch. Heapsort because it needs no
 * recursion and no scratch memory and never degrades to O(n^2). */
#include <stdlib.h>

typedef int (*cmp_fn)(const void *, const void *);

/* Elements can be any size, so they are swapped a byte at a time. */
static void swap_elems(char *a, char *b, size_t size)
{
    while (size--) {
        char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

/* Restores the max-heap order below root, in a heap of n elements, assuming
 * both subtrees of root already satisfy it. */
static void sift_down(char *base, size_t root, size_t n, size_t size, cmp_fn cmp)
{
    for (;;) {
        size_t child = 2 * root + 1;

        if (child >= n)
            return;
        if (child + 1 < n &&
            cmp(base + child * size, base + (child + 1) * size) < 0)
            child++;
        if (cmp(base + root * size, base + child * size) >= 0)
            return;
        swap_elems(base + root * size, base + child * size, size);
        root = child;
    }
}

void qsort(void *base, size_t n, size_t size, cmp_fn cmp)
{
    char *b = base;

    if (n < 2)
        return;
    for (size_t i = n / 2; i-- > 0;)
        sift_down(b, i, n, size, cmp);
    /* The largest remaining element moves to the end of the unsorted part. */
    for (size_t end = n - 1; end > 0; end--) {
        swap_elems(b, b + end * size, size);
        sift_down(b, 0, end, size, cmp);
    }
}

/* Returns any one element equal to *key, or NULL. */
void *bsearch(const void *key, const void *base, size_t n, size_t size,
              cmp_fn cmp)
{
    const char *lo = base;

    while (n > 0) {
        const char *mid = lo + n / 2 * size;
        int r = cmp(key, mid);

        if (r == 0)
            return (void *)mid;
        if (r > 0) {
            lo = mid + size;
            n -= n / 2 + 1;
        } else {
            n /= 2;
        }
    }
    return NULL;
}
