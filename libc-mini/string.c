/* libc-mini string.h: byte loops, plus 8-byte words for the bulk of
 * memcpy/memmove/memset since the kernel copies and clears whole pages. */
#include <stdint.h>
#include <string.h>

/* No loop here may become a call to memcpy/memset, which would recurse:
 * -ffreestanding implies -fno-builtin, which stops gcc's idiom recognition,
 * and the host tests build this file with the kernel's flags to keep it so.
 * may_alias: word access to memory of any type is what mem* are for. */
typedef uint64_t __attribute__((may_alias)) word_t;
#define WORD_MASK (sizeof(word_t) - 1)

/* Also safe for overlap when dst < src: each load precedes any store that
 * could clobber it. Words are used only if both sides can be aligned. */
static void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
    if ((((uintptr_t)d ^ (uintptr_t)s) & WORD_MASK) == 0) {
        for (; n && ((uintptr_t)d & WORD_MASK); n--)
            *d++ = *s++;
        for (; n >= sizeof(word_t); n -= sizeof(word_t)) {
            *(word_t *)d = *(const word_t *)s;
            d += sizeof(word_t);
            s += sizeof(word_t);
        }
    }
    for (; n; n--)
        *d++ = *s++;
}

/* The mirror image, for memmove with dst > src. */
static void copy_backward(unsigned char *d, const unsigned char *s, size_t n)
{
    d += n;
    s += n;
    if ((((uintptr_t)d ^ (uintptr_t)s) & WORD_MASK) == 0) {
        for (; n && ((uintptr_t)d & WORD_MASK); n--)
            *--d = *--s;
        for (; n >= sizeof(word_t); n -= sizeof(word_t)) {
            d -= sizeof(word_t);
            s -= sizeof(word_t);
            *(word_t *)d = *(const word_t *)s;
        }
    }
    for (; n; n--)
        *--d = *--s;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    copy_forward(dst, src, n);
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    if ((uintptr_t)dst <= (uintptr_t)src)
        copy_forward(dst, src, n);
    else
        copy_backward(dst, src, n);
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    unsigned char b = (unsigned char)c;
    word_t w = b * (word_t)0x0101010101010101ull;

    for (; n && ((uintptr_t)d & WORD_MASK); n--)
        *d++ = b;
    for (; n >= sizeof(word_t); n -= sizeof(word_t), d += sizeof(word_t))
        *(word_t *)d = w;
    for (; n; n--)
        *d++ = b;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;

    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;

    for (; n; n--, p++)
        if (*p == (unsigned char)c)
            return (void *)p;
    return NULL;
}

size_t strlen(const char *s)
{
    const char *p = s;

    while (*p)
        p++;
    return p - s;
}

/* Reads no byte at or past s + maxlen, so s need not be terminated. */
size_t strnlen(const char *s, size_t maxlen)
{
    size_t n = 0;

    while (n < maxlen && s[n])
        n++;
    return n;
}

/* Characters compare as unsigned char, as C requires. */
int strcmp(const char *a, const char *b)
{
    return strncmp(a, b, SIZE_MAX);
}

int strncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *p = (const unsigned char *)a;
    const unsigned char *q = (const unsigned char *)b;

    for (; n; n--, p++, q++)
        if (*p != *q || !*p)
            return *p - *q;
    return 0;
}

/* The terminator counts as part of the string: strchr(s, 0) finds it. */
char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;

    for (;; s++) {
        if (*s == (char)c)
            last = s;
        if (!*s)
            return (char *)last;
    }
}

char *strcpy(char *restrict dst, const char *restrict src)
{
    return memcpy(dst, src, strlen(src) + 1);
}

/* C's strncpy: stops at n, and pads the rest of dst with NULs. */
char *strncpy(char *restrict dst, const char *restrict src, size_t n)
{
    size_t len = strnlen(src, n);

    memcpy(dst, src, len);
    memset(dst + len, 0, n - len);
    return dst;
}

size_t strlcpy(char *restrict dst, const char *restrict src, size_t size)
{
    size_t len = strlen(src);

    if (size) {
        size_t copy = len < size ? len : size - 1;
        memcpy(dst, src, copy);
        dst[copy] = '\0';
    }
    return len;
}

/* Naive O(n*m) search: the kernel only looks for short keys in short text. */
char *strstr(const char *haystack, const char *needle)
{
    size_t len = strlen(needle);

    for (; *haystack; haystack++)
        if (strncmp(haystack, needle, len) == 0)
            return (char *)haystack;
    return len ? NULL : (char *)haystack;
}
