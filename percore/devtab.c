/* The device table: parsing /etc/hydros/devices and the I/O bitmaps it
 * gives (devtab.h). */
#include "devtab.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_WORDS (2 + DEV_RANGES + 1) /* one more: "too many" is told, not cut */

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

/* A whole word as a number no greater than max. */
static bool number(const char *s, unsigned long max, unsigned long *v)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return false;
    *v = strtoul(s, &end, 0);
    return *end == 0 && *v <= max;
}

/* "port:FIRST-LAST" or "port:N". */
static const char *port_range(char *s, struct dev_range *r)
{
    unsigned long first, last;
    if (strncmp(s, "port:", 5) != 0)
        return "a resource is port:FIRST-LAST";
    s += 5;
    char *dash = strchr(s, '-');
    if (dash)
        *dash = 0;
    if (!number(s, 0xFFFF, &first) || !number(dash ? dash + 1 : s, 0xFFFF, &last))
        return "ports are numbers from 0 to 0xffff";
    if (first > last)
        return "a port range ends before it starts";
    r->first = (uint16_t)first;
    r->last = (uint16_t)last;
    return NULL;
}

static bool overlaps(const struct dev_range *a, const struct dev_range *b)
{
    return a->first <= b->last && b->first <= a->last;
}

/* One line into d; NULL if it is a device, else why not. */
static const char *parse_line(struct devtab *t, char *line, int ncores, struct device *d)
{
    char *w[LINE_MAX_WORDS + 1];
    unsigned long core;
    int n = words(line, w, LINE_MAX_WORDS);
    if (n == 0)
        return "";
    if (n < 3)
        return "a device is NAME CORE port:FIRST-LAST ...";
    if (n > 2 + DEV_RANGES)
        return "more port ranges than a device may have";
    if (strlen(w[0]) >= sizeof(d->name))
        return "the name is too long";
    if (devtab_find(t, w[0]))
        return "a device of that name is already there";
    if (!number(w[1], (unsigned long)ncores - 1, &core))
        return "no such core";
    memset(d, 0, sizeof(*d));
    strcpy(d->name, w[0]);
    d->holder = (int)core;
    for (int i = 2; i < n; i++) {
        const char *why = port_range(w[i], &d->ports[d->nports]);
        if (why)
            return why;
        d->nports++;
    }
    for (int i = 0; i < t->n; i++)
        for (int a = 0; a < t->dev[i].nports; a++)
            for (int b = 0; b < d->nports; b++)
                if (overlaps(&t->dev[i].ports[a], &d->ports[b]))
                    return "it shares ports with an earlier device";
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
