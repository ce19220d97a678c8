/* libc-mini number parsing (strtoul family) and abs. One scanner does the
 * syntax; the callers only differ in how they clamp its magnitude. */
#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

/* x86-64 is LP64: strtoul can share strtoull's result unchanged. */
_Static_assert(ULONG_MAX == ULLONG_MAX, "unsigned long is 64-bit");

/* What the digits said, before the caller applies its type's range. */
struct scan {
    unsigned long long mag; /* absolute value, ULLONG_MAX if it overflowed */
    bool neg;
    bool overflow;
};

static int digit_value(int c)
{
    if (isdigit(c))
        return c - '0';
    if (isalpha(c))
        return tolower(c) - 'a' + 10;
    return INT_MAX; /* not a digit in any base */
}

/* Parses [spaces][+|-][0x|0X|0]digits as C's strto* do. */
static struct scan scan_number(const char *nptr, char **endptr, int base)
{
    struct scan r = {0, false, false};
    const char *s = nptr;
    const char *digits;

    if (base != 0 && (base < 2 || base > 36)) {
        if (endptr)
            *endptr = (char *)nptr;
        return r;
    }
    while (isspace(*s))
        s++;
    if (*s == '+' || *s == '-')
        r.neg = *s++ == '-';
    /* "0x" counts as a prefix only if a hex digit follows: in "0xg" the
     * number is the "0" and parsing stops at the 'x'. */
    if ((base == 0 || base == 16) && s[0] == '0' && tolower(s[1]) == 'x' &&
        isxdigit(s[2])) {
        s += 2;
        base = 16;
    } else if (base == 0) {
        base = s[0] == '0' ? 8 : 10;
    }
    for (digits = s; digit_value(*s) < base; s++) {
        unsigned d = digit_value(*s);
        if (r.mag > (ULLONG_MAX - d) / base)
            r.overflow = true;
        else
            r.mag = r.mag * base + d;
    }
    if (s == digits) /* no digits: nothing was converted */
        s = nptr;
    if (r.overflow)
        r.mag = ULLONG_MAX;
    if (endptr)
        *endptr = (char *)s;
    return r;
}

/* Like C, "-n" gives the unsigned negation of n; overflow gives ULLONG_MAX
 * whatever the sign. */
unsigned long long strtoull(const char *nptr, char **endptr, int base)
{
    struct scan r = scan_number(nptr, endptr, base);

    if (r.overflow)
        return ULLONG_MAX;
    return r.neg ? 0 - r.mag : r.mag;
}

unsigned long strtoul(const char *nptr, char **endptr, int base)
{
    return strtoull(nptr, endptr, base);
}

/* Saturates to LONG_MIN/LONG_MAX. A magnitude of exactly -LONG_MIN goes
 * through the saturating branch too, as negating it would overflow. */
long strtol(const char *nptr, char **endptr, int base)
{
    struct scan r = scan_number(nptr, endptr, base);

    if (!r.neg)
        return r.mag > LONG_MAX ? LONG_MAX : (long)r.mag;
    return r.mag > LONG_MAX ? LONG_MIN : -(long)r.mag;
}

/* abs(INT_MIN) is undefined in C and stays so here. */
int abs(int n)
{
    return n < 0 ? -n : n;
}
