/* libc-mini as the host tests see it: libc.mk renames each library symbol to
 * mini_<name>. These prototypes must match libc-mini/include one for one. */
#ifndef LIBC_MINI_TEST_H
#define LIBC_MINI_TEST_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

void *mini_memcpy(void *restrict dst, const void *restrict src, size_t n);
void *mini_memmove(void *dst, const void *src, size_t n);
void *mini_memset(void *dst, int c, size_t n);
int mini_memcmp(const void *a, const void *b, size_t n);
void *mini_memchr(const void *s, int c, size_t n);
size_t mini_strlen(const char *s);
size_t mini_strnlen(const char *s, size_t maxlen);
int mini_strcmp(const char *a, const char *b);
int mini_strncmp(const char *a, const char *b, size_t n);
char *mini_strchr(const char *s, int c);
char *mini_strrchr(const char *s, int c);
char *mini_strcpy(char *restrict dst, const char *restrict src);
char *mini_strncpy(char *restrict dst, const char *restrict src, size_t n);
size_t mini_strlcpy(char *restrict dst, const char *restrict src, size_t size);
char *mini_strstr(const char *haystack, const char *needle);

unsigned long mini_strtoul(const char *nptr, char **endptr, int base);
unsigned long long mini_strtoull(const char *nptr, char **endptr, int base);
long mini_strtol(const char *nptr, char **endptr, int base);
int mini_abs(int n);
void mini_qsort(void *base, size_t n, size_t size,
                int (*cmp)(const void *a, const void *b));
void *mini_bsearch(const void *key, const void *base, size_t n, size_t size,
                   int (*cmp)(const void *key, const void *elem));

int mini_isdigit(int c);
int mini_isxdigit(int c);
int mini_isalpha(int c);
int mini_isalnum(int c);
int mini_isspace(int c);
int mini_isupper(int c);
int mini_islower(int c);
int mini_isprint(int c);
int mini_tolower(int c);
int mini_toupper(int c);

int mini_vcbprintf(void (*out)(char c, void *ctx), void *ctx, const char *fmt,
                   va_list ap) __attribute__((format(printf, 3, 0)));
int mini_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
int mini_snprintf(char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One cmocka group per libc_test_*.c; each returns its failure count. */
int libc_test_string(void);
int libc_test_printf(void);
int libc_test_stdlib(void);
int libc_test_sort(void);

/* Deterministic xorshift64, so a failure reproduces run after run. */
static inline uint64_t test_rand(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

#endif
