/* The device table: parsing /etc/hydros/devices and the I/O bitmaps it
 * gives (devtab.h). */
#include "devtab.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_WORDS (2 + 3 * DEV_RANGES + 1) /* one more: "too many" is told, not cut */

/* Splits a line into words, in place; returns how many (at most max). */
static int words(char *s, char **w, int max)
{
    int n = 0;
    while (*s) {
        while (isspace((unsigned char)*s))
            *s++ = 0;
        if (!*s || *s == '#')
            break;
        if (n == max)
            return max + 1;
        w[n++] = s;
        while (*s && !isspace((unsigned char)*s))
            s++;
    }
    return n;
}

#define PAGE 4096ull

/* A number no greater than max, ending at *end (NUL or stop); s past it. */
static bool number(char **s, char stop, unsigned long long max, unsigned long long *v)
{
    char *end;
    if (!isdigit((unsigned char)**s))
        return false;
    *v = strtoull(*s, &end, 0);
    if ((*end != 0 && *end != stop) || *v > max)
        return false;
    *s = end;
    return true;
}

/* "FIRST-LAST" or "N", up to max; s past it. */
static const char *range(char **s, unsigned long long max, uint64_t *first, uint64_t *last)
{
    unsigned long long f, l;
    if (!number(s, '-', max, &f))
        return "a range is FIRST-LAST, in numbers the resource allows";
    l = f;
    if (**s == '-') {
        ++*s;
        if (!number(s, ':', max, &l))
            return "a range is FIRST-LAST, in numbers the resource allows";
    }
    if (f > l)
        return "a range ends before it starts";
    *first = f, *last = l;
    return NULL;
}

static bool overlaps(uint64_t a_first, uint64_t a_last, uint64_t b_first, uint64_t b_last)
{
    return a_first <= b_last && b_first <= a_last;
}

/* One resource word into d. */
static const char *resource(char *s, struct device *d)
{
    uint64_t first, last;
    const char *why;
    if (strncmp(s, "port:", 5) == 0) {
        s += 5;
        if ((why = range(&s, 0xFFFF, &first, &last)))
            return why;
        if (*s)
            return "a port range has nothing after it";
        if (d->nports == DEV_RANGES)
            return "more port ranges than a device may have";
        d->ports[d->nports++] = (struct dev_range){(uint16_t)first, (uint16_t)last};
        return NULL;
    }
    if (strncmp(s, "mmio:", 5) == 0) {
        s += 5;
        if ((why = range(&s, ~0ull, &first, &last)))
            return why;
        if (first % PAGE || (last + 1) % PAGE)
            return "an mmio range is whole 4 KiB pages";
        bool ro = strcmp(s, ":ro") == 0;
        if (*s && !ro)
            return "an mmio range may only have :ro after it";
        if (d->nmmio == DEV_RANGES)
            return "more mmio ranges than a device may have";
        d->mmio[d->nmmio++] = (struct dev_mmio){first, last, ro};
        return NULL;
    }
    if (strncmp(s, "irq:", 4) == 0) {
        unsigned long long line;
        s += 4;
        if (!number(&s, 0, DEV_IRQ_LINES - 1, &line))
            return "an interrupt line is a number from 0 to 15";
        if (d->nirqs == DEV_RANGES)
            return "more interrupt lines than a device may have";
        d->irqs[d->nirqs++] = (uint8_t)line;
        return NULL;
    }
    if (strcmp(s, "firmware") == 0 || strcmp(s, "ecam") == 0) {
        *(s[0] == 'f' ? &d->firmware : &d->ecam) = true;
        return NULL;
    }
    return "a resource is port:FIRST-LAST, mmio:FIRST-LAST, irq:LINE, firmware or ecam";
}

/* Does d share a port or a page with e? */
static bool shares(const struct device *d, const struct device *e)
{
    for (int a = 0; a < e->nports; a++)
        for (int b = 0; b < d->nports; b++)
            if (overlaps(e->ports[a].first, e->ports[a].last, d->ports[b].first, d->ports[b].last))
                return true;
    for (int a = 0; a < e->nmmio; a++)
        for (int b = 0; b < d->nmmio; b++)
            if (overlaps(e->mmio[a].first, e->mmio[a].last, d->mmio[b].first, d->mmio[b].last))
                return true;
    for (int a = 0; a < e->nirqs; a++)
        for (int b = 0; b < d->nirqs; b++)
            if (e->irqs[a] == d->irqs[b])
                return true;
    return false;
}

/* One line into d; NULL if it is a device, else why not. */
static const char *parse_line(struct devtab *t, char *line, int ncores, struct device *d)
{
    char *w[LINE_MAX_WORDS + 1];
    unsigned long long core;
    int n = words(line, w, LINE_MAX_WORDS);
    if (n == 0)
        return "";
    if (n < 3)
        return "a device is NAME CORE RESOURCE ...";
    if (n > 2 + 3 * DEV_RANGES)
        return "more resources than a device may have";
    if (strlen(w[0]) >= sizeof(d->name))
        return "the name is too long";
    if (devtab_find(t, w[0]))
        return "a device of that name is already there";
    if (!number(&w[1], 0, (unsigned long long)ncores - 1, &core))
        return "no such core";
    memset(d, 0, sizeof(*d));
    strcpy(d->name, w[0]);
    d->holder = (int)core;
    for (int i = 2; i < n; i++) {
        const char *why = resource(w[i], d);
        if (why)
            return why;
    }
    for (int i = 0; i < t->n; i++)
        if (shares(d, &t->dev[i]))
            return "it shares ports, pages or lines with an earlier device";
    return NULL;
}

int devtab_parse(struct devtab *t, const char *text, size_t len, int ncores,
                 void (*bad)(int line, const char *why))
{
    char line[256];
    int lineno = 0;
    t->n = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        lineno++;
        const char *why;
        if (j - i >= sizeof(line)) {
            why = "the line is too long";
        } else {
            memcpy(line, text + i, j - i);
            line[j - i] = 0;
            why = t->n == DEV_MAX ? "more devices than the table holds" : NULL;
            if (!why)
                why = parse_line(t, line, ncores, &t->dev[t->n]);
            if (!why)
                t->n++;
            else if (!*why)
                why = NULL; /* blank or a comment */
        }
        if (why)
            bad(lineno, why);
        i = j + 1;
    }
    return t->n;
}

struct device *devtab_port_device(struct devtab *t, unsigned first, unsigned last)
{
    for (int i = 0; i < t->n; i++)
        for (int r = 0; r < t->dev[i].nports; r++)
            if (t->dev[i].ports[r].first <= first && last <= t->dev[i].ports[r].last)
                return &t->dev[i];
    return NULL;
}

struct device *devtab_mmio_device(struct devtab *t, uint64_t first, uint64_t last, bool *ro)
{
    for (int i = 0; i < t->n; i++)
        for (int r = 0; r < t->dev[i].nmmio; r++)
            if (t->dev[i].mmio[r].first <= first && last <= t->dev[i].mmio[r].last) {
                *ro = t->dev[i].mmio[r].ro;
                return &t->dev[i];
            }
    return NULL;
}

struct device *devtab_irq_device(struct devtab *t, int line)
{
    for (int i = 0; i < t->n; i++)
        for (int r = 0; r < t->dev[i].nirqs; r++)
            if (t->dev[i].irqs[r] == line)
                return &t->dev[i];
    return NULL;
}

const char *devtab_add_mmio(struct devtab *t, struct device *d, uint64_t first, uint64_t last, bool ro)
{
    if (first % PAGE || (last + 1) % PAGE || first > last)
        return "an mmio range is whole 4 KiB pages";
    if (d->nmmio == DEV_RANGES)
        return "more mmio ranges than a device may have";
    for (int i = 0; i < t->n; i++)
        for (int r = 0; r < t->dev[i].nmmio; r++)
            if (&t->dev[i] != d && overlaps(first, last, t->dev[i].mmio[r].first, t->dev[i].mmio[r].last))
                return "another device has one of its pages";
    d->mmio[d->nmmio++] = (struct dev_mmio){first, last, ro};
    return NULL;
}

void devtab_remove(struct devtab *t, int i)
{
    memmove(&t->dev[i], &t->dev[i + 1], (size_t)(t->n - i - 1) * sizeof(t->dev[0]));
    t->n--;
}

struct device *devtab_find(struct devtab *t, const char *name)
{
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->dev[i].name, name) == 0)
            return &t->dev[i];
    return NULL;
}

void devtab_iomap_set(const struct device *d, uint8_t iomap[IOMAP_BYTES], bool open)
{
    for (int r = 0; r < d->nports; r++)
        for (unsigned p = d->ports[r].first; p <= d->ports[r].last; p++) {
            if (open)
                iomap[p / 8] &= (uint8_t)~(1u << (p % 8));
            else
                iomap[p / 8] |= (uint8_t)(1u << (p % 8));
        }
}

void devtab_iomap(const struct devtab *t, int core, uint8_t iomap[IOMAP_BYTES])
{
    memset(iomap, 0xFF, IOMAP_BYTES);
    for (int i = 0; i < t->n; i++)
        if (t->dev[i].holder == core)
            devtab_iomap_set(&t->dev[i], iomap, true);
}
