/* libc-mini printf family: vcbprintf formats into a per-character callback
 * (the kernel console), vsnprintf/snprintf are one such callback into a
 * buffer. Integers only; see stdio.h for the supported conversions. */
#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Where characters go, and how many went; returned clamped to INT_MAX. */
struct sink {
    void (*out)(char c, void *ctx);
    void *ctx;
    size_t count;
};

/* One parsed %-specification. */
struct spec {
    bool left, zero, plus, space; /* the flags '-' '0' '+' ' ' */
    int width;
    int prec;    /* -1 when none was given */
    char length; /* 0, 'l', 'q' (for ll) or 'z' */
    char conv;
};

static void put(struct sink *s, char c)
{
    s->out(c, s->ctx);
    s->count++;
}

static void put_repeat(struct sink *s, char c, size_t n)
{
    while (n--)
        put(s, c);
}

static void put_chars(struct sink *s, const char *p, size_t n)
{
    while (n--)
        put(s, *p++);
}

/* Emits prefix (sign or "0x"), zeros, then body, space-padded to the width. */
static void put_field(struct sink *s, const struct spec *sp, const char *prefix,
                      size_t zeros, const char *body, size_t len)
{
    size_t used = strlen(prefix) + zeros + len;
    size_t pad = (size_t)sp->width > used ? sp->width - used : 0;

    if (!sp->left)
        put_repeat(s, ' ', pad);
    put_chars(s, prefix, strlen(prefix));
    put_repeat(s, '0', zeros);
    put_chars(s, body, len);
    if (sp->left)
        put_repeat(s, ' ', pad);
}

/* C's integer rules: precision is the minimum digit count (default 1, so
 * 0 with precision 0 prints no digits), and '0' pads to the width only
 * when neither '-' nor a precision is given. */
static void put_uint(struct sink *s, const struct spec *sp, const char *prefix,
                     unsigned long long v, unsigned base)
{
    const char *digits = sp->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[22]; /* 2^64 - 1 has 22 octal digits */
    char *p = buf + sizeof buf;
    size_t len, zeros, min_digits = sp->prec < 0 ? 1 : (size_t)sp->prec;

    for (; v; v /= base)
        *--p = digits[v % base];
    len = buf + sizeof buf - p;
    zeros = min_digits > len ? min_digits - len : 0;
    if (sp->zero && !sp->left && sp->prec < 0) {
        size_t used = strlen(prefix) + len;
        if ((size_t)sp->width > used + zeros)
            zeros = sp->width - used;
    }
    put_field(s, sp, prefix, zeros, p, len);
}

/* Reads a decimal number, saturating at INT_MAX. */
static int parse_int(const char **fmt)
{
    int n = 0;

    for (; isdigit(**fmt); (*fmt)++) {
        int d = **fmt - '0';
        n = n > (INT_MAX - d) / 10 ? INT_MAX : n * 10 + d;
    }
    return n;
}

/* Parses flags, width, precision and length after the '%'. A negative '*'
 * width means '-' plus its magnitude; a negative '*' precision means none. */
static void parse_spec(const char **fmt, struct spec *sp, va_list *ap)
{
    const char *f = *fmt;

    *sp = (struct spec){.prec = -1};
    for (;; f++) {
        if (*f == '-')
            sp->left = true;
        else if (*f == '0')
            sp->zero = true;
        else if (*f == '+')
            sp->plus = true;
        else if (*f == ' ')
            sp->space = true;
        else
            break;
    }
    if (*f == '*') {
        int w = va_arg(*ap, int);
        f++;
        sp->left |= w < 0;
        sp->width = w < 0 ? (w == INT_MIN ? INT_MAX : -w) : w;
    } else {
        sp->width = parse_int(&f);
    }
    if (*f == '.') {
        f++;
        if (*f == '*') {
            int p = va_arg(*ap, int);
            f++;
            sp->prec = p < 0 ? -1 : p;
        } else {
            sp->prec = parse_int(&f);
        }
    }
    if (*f == 'z' || *f == 'l')
        sp->length = *f++;
    if (sp->length == 'l' && *f == 'l') {
        sp->length = 'q';
        f++;
    }
    sp->conv = *f;
    *fmt = f;
}

static long long arg_signed(const struct spec *sp, va_list *ap)
{
    switch (sp->length) {
    case 'l': return va_arg(*ap, long);
    case 'q': return va_arg(*ap, long long);
    case 'z': return va_arg(*ap, ptrdiff_t); /* the signed size_t */
    default: return va_arg(*ap, int);
    }
}

static unsigned long long arg_unsigned(const struct spec *sp, va_list *ap)
{
    switch (sp->length) {
    case 'l': return va_arg(*ap, unsigned long);
    case 'q': return va_arg(*ap, unsigned long long);
    case 'z': return va_arg(*ap, size_t);
    default: return va_arg(*ap, unsigned int);
    }
}

/* Formats the conversion in sp; returns false if it is not one we know. */
static bool put_conversion(struct sink *s, struct spec *sp, va_list *ap)
{
    switch (sp->conv) {
    case 'd':
    case 'i': {
        long long v = arg_signed(sp, ap);
        unsigned long long mag = (unsigned long long)v;
        const char *sign = v < 0 ? "-" : sp->plus ? "+" : sp->space ? " " : "";

        /* Negated as unsigned: -LLONG_MIN does not fit a long long. */
        put_uint(s, sp, sign, v < 0 ? 0 - mag : mag, 10);
        return true;
    }
    case 'u':
        put_uint(s, sp, "", arg_unsigned(sp, ap), 10);
        return true;
    case 'x':
    case 'X':
        put_uint(s, sp, "", arg_unsigned(sp, ap), 16);
        return true;
    case 'o':
        put_uint(s, sp, "", arg_unsigned(sp, ap), 8);
        return true;
    case 'p':
        sp->prec = 2 * sizeof(void *); /* fixed width: every hex digit */
        put_uint(s, sp, "0x", (uintptr_t)va_arg(*ap, void *), 16);
        return true;
    case 'c': {
        char c = (char)va_arg(*ap, int);
        put_field(s, sp, "", 0, &c, 1);
        return true;
    }
    case 's': {
        const char *str = va_arg(*ap, const char *);
        /* strnlen: with a precision, str need not be NUL-terminated. */
        size_t max = sp->prec < 0 ? SIZE_MAX : (size_t)sp->prec;

        if (!str)
            str = "(null)";
        put_field(s, sp, "", 0, str, strnlen(str, max));
        return true;
    }
    case '%':
        put(s, '%');
        return true;
    default:
        return false;
    }
}

int vcbprintf(void (*out)(char c, void *ctx), void *ctx, const char *fmt,
              va_list ap)
{
    struct sink s = {out, ctx, 0};
    struct spec sp;
    va_list args;

    /* A va_list parameter may be an array type; only a local copy can be
     * passed on by pointer to the helpers. */
    va_copy(args, ap);
    for (; *fmt; fmt++) {
        const char *start = fmt;

        if (*fmt != '%') {
            put(&s, *fmt);
            continue;
        }
        fmt++;
        parse_spec(&fmt, &sp, &args);
        if (put_conversion(&s, &sp, &args))
            continue;
        /* Unknown: copy it as written, which shows the mistake in the log. */
        put_chars(&s, start, fmt - start + (*fmt != '\0'));
        if (!*fmt)
            break;
    }
    va_end(args);
    return s.count > INT_MAX ? INT_MAX : (int)s.count;
}

/* vsnprintf's callback state: the buffer, its size, and the output so far. */
struct buf_sink {
    char *buf;
    size_t size;
    size_t len;
};

static void buf_out(char c, void *ctx)
{
    struct buf_sink *b = ctx;

    if (b->len + 1 < b->size) /* keep the last byte for the NUL */
        b->buf[b->len] = c;
    b->len++;
}

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    struct buf_sink b = {buf, n, 0};
    int len = vcbprintf(buf_out, &b, fmt, ap);

    if (n)
        buf[b.len < n ? b.len : n - 1] = '\0';
    return len;
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return len;
}
