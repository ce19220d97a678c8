/* The kernel command line from the disk image (tools/mkimage.py --cmdline):
 * space-separated "key=value" or bare "key" words. Split once at boot and
 * read-only afterwards, so every core may look keys up without a lock. */
#include <string.h>

#include "bootinfo.h"
#include "kernel.h"

#define MAX_ARGS 32

static char words[BOOT_CMDLINE_MAX];
static const char *keys[MAX_ARGS], *values[MAX_ARGS];
static int nargs;

void cmdline_init(const char *src)
{
    strlcpy(words, src, sizeof(words));
    for (char *p = words; *p && nargs < MAX_ARGS;) {
        if (*p == ' ') {
            *p++ = 0;
            continue;
        }
        keys[nargs] = p;
        values[nargs] = "";
        while (*p && *p != ' ' && *p != '=')
            p++;
        if (*p == '=') {
            *p++ = 0;
            values[nargs] = p;
            while (*p && *p != ' ')
                p++;
        }
        nargs++;
    }
}

const char *cmdline_get(const char *key)
{
    for (int i = 0; i < nargs; i++)
        if (strcmp(keys[i], key) == 0)
            return values[i];
    return NULL;
}
