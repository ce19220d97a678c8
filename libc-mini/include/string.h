/* libc-mini string and memory functions, C semantics, for the kernel.
 * gcc emits calls to memcpy, memmove, memset and memcmp on its own (struct
 * copies, zeroing), so those exact names must exist even if nobody calls them. */
#ifndef LIBC_MINI_STRING_H
#define LIBC_MINI_STRING_H
#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);

size_t strlen(const char *s);
size_t strnlen(const char *s, size_t maxlen);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strcpy(char *restrict dst, const char *restrict src);
char *strncpy(char *restrict dst, const char *restrict src, size_t n);
/* BSD: copies at most size-1 bytes, always terminates when size > 0, and
 * returns strlen(src) so that a result >= size means it was truncated. */
size_t strlcpy(char *restrict dst, const char *restrict src, size_t size);
char *strstr(const char *haystack, const char *needle);

#endif
