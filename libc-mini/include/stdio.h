/* libc-mini formatted output: integers, characters, strings and pointers,
 * no floating point (the kernel is built with -mgeneral-regs-only).
 * Conversions: %d %i %u %x %X %o %c %s %p %%, length l, ll or z, flags
 * '-' '0' '+' ' ', width and precision as numbers or '*'. Beyond C:
 * %p is "0x" and 16 lowercase hex digits, a NULL %s prints "(null)", and
 * an unknown conversion is copied to the output as written. */
#ifndef LIBC_MINI_STDIO_H
#define LIBC_MINI_STDIO_H
#include <stdarg.h>
#include <stddef.h>

/* The core: hands each character to out(c, ctx) and returns how many. */
int vcbprintf(void (*out)(char c, void *ctx), void *ctx, const char *fmt,
              va_list ap) __attribute__((format(printf, 3, 0)));
/* C99: writes at most n-1 characters and a NUL (nothing when n is 0) and
 * returns the length the whole output would have had. */
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
int snprintf(char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
