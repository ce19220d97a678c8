/* See heap_shim.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "heap.h"
#include "heap_shim.h"

long fail_at = -1;
long live_blocks;

void *kmalloc(size_t n)
{
    if (n == 0 || fail_at == 0)
        return NULL;
    if (fail_at > 0)
        fail_at--;
    void *p = malloc(n);
    if (p) {
        memset(p, 0xa5, n);
        live_blocks++;
    }
    return p;
}

void *kzalloc(size_t n)
{
    void *p = kmalloc(n);
    if (p)
        memset(p, 0, n);
    return p;
}

void kfree(void *p)
{
    if (p) {
        live_blocks--;
        free(p);
    }
}

void panic(const char *fmt, ...)
{
    static char buf[256]; /* cmocka reads it after the longjmp */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    mock_assert(0, buf, __FILE__, __LINE__);
    abort();
}
