/* The device table, pure logic (host-tested in tests/unit/test_devtab.c);
 * devices.c keeps the machine's one table and acts on it.
 *
 * A device is a name, the IO port ranges and the memory-mapped register
 * ranges (MMIO) it answers on, held by one core's node at a time. The
 * table comes from /etc/hydros/devices in the boot archive, one device a
 * line:
 *     # comment
 *     NAME CORE RESOURCE [RESOURCE ...]
 * a resource being port:FIRST-LAST (port:0x80 is one port),
 * mmio:FIRST-LAST, whole 4 KiB pages, with :ro after it when the node may
 * only read them, irq:LINE, an ISA interrupt line 0-15 (numbers in C
 * syntax: 0x70 or 112), `firmware': the kernel adds the read-only
 * ranges where it found the firmware's tables (ACPI, SMBIOS) at boot, or
 * `ecam': it adds PCI Express's configuration space (ACPI's MCFG). A line that does not
 * parse, names a core beyond the machine's, repeats a name or shares a
 * port, a page or a line with an earlier device is reported and left out; the rest of
 * the table stands. (Whether an MMIO range is RAM, which it must never be,
 * is for the kernel to say: devices.c.)
 *
 * A core's I/O permission bitmap (the TSS's: one bit a port, 0 = open)
 * has exactly the ports of the devices its node holds open. */
#ifndef HYDROS_DEVTAB_H
#define HYDROS_DEVTAB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hydros_abi.h"

#define DEV_MAX 32
#define DEV_RANGES 4
#define IOMAP_BYTES 8192 /* 65536 ports, one bit each */
#define DEV_IRQ_LINES 16 /* ISA lines 0-15 */

struct dev_range {
    uint16_t first, last;
};

struct dev_mmio {
    uint64_t first, last; /* bytes, whole pages */
    bool ro;
};

struct device {
    char name[HYDROS_DEV_NAME_MAX];
    int holder; /* the core whose node drives it */
    int nports, nmmio, nirqs;
    struct dev_range ports[DEV_RANGES];
    struct dev_mmio mmio[DEV_RANGES];
    uint8_t irqs[DEV_RANGES];
    bool firmware; /* takes the firmware's tables (devtab_add_mmio) */
    bool ecam;     /* takes the ECAM range */
};

struct devtab {
    int n;
    struct device dev[DEV_MAX];
};

/* Parses a whole file into t (emptied first). bad(line, why) is told of
 * each line left out. Returns the number of devices. */
int devtab_parse(struct devtab *t, const char *text, size_t len, int ncores,
                 void (*bad)(int line, const char *why));
/* The device whose ranges hold every port of first..last; NULL if none. */
struct device *devtab_port_device(struct devtab *t, unsigned first, unsigned last);
/* The device whose MMIO ranges hold all of first..last (bytes); NULL if
 * none. *ro: that range is read-only. */
struct device *devtab_mmio_device(struct devtab *t, uint64_t first, uint64_t last, bool *ro);
/* The device with interrupt line `line`; NULL if none. */
struct device *devtab_irq_device(struct devtab *t, int line);
struct device *devtab_find(struct devtab *t, const char *name);
/* Adds a range of whole pages to d; NULL, or why not (no room, or
 * another device has one of its pages). */
const char *devtab_add_mmio(struct devtab *t, struct device *d, uint64_t first, uint64_t last, bool ro);
/* Leaves device i out (the kernel found its MMIO is RAM). */
void devtab_remove(struct devtab *t, int i);
/* core's bitmap: every port closed but those of the devices it holds. */
void devtab_iomap(const struct devtab *t, int core, uint8_t iomap[IOMAP_BYTES]);
/* Opens (open) or closes the ports of d in a bitmap. */
void devtab_iomap_set(const struct device *d, uint8_t iomap[IOMAP_BYTES], bool open);

#endif
