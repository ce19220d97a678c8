/* gcc's own limits.h, without the libc one it normally chains to: under
 * -nostdinc that #include_next fails. _LIBC_LIMITS_H_ tells gcc's header the
 * C library part is already there (libc-mini has nothing to add). */
#ifndef LIBC_MINI_LIMITS_H
#define LIBC_MINI_LIMITS_H
#define _LIBC_LIMITS_H_
#include_next <limits.h>
#endif
