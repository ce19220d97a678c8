/* The IO APICs: where an ISA interrupt line goes.
 *
 * Contract: ioapic_route sends ISA IRQ `line` to one core's local APIC as a
 * vector of its own (VEC_IRQ_BASE + line), with the polarity and trigger
 * the MADT's overrides give it (ISA default: active high, edge), and
 * unmasked (-ENODEV for a line no IO APIC has, or whose pin an override
 * gave to another line: IRQ 0 on pin 2); ioapic_mask masks and unmasks
 * it, except that a line the operator holds masked (ioapic_hold) stays
 * masked. Every redirection entry is masked at boot: nothing arrives that no
 * node asked for. ioapic_render lists every entry (/dev/hydros/ioapic). The registers are an index and a window, so one lock
 * covers every IO APIC. Lines 0-15 only: what a PC's legacy devices use. */
#include <stdio.h>

#include "acpi.h"
#include "arch/x86.h"
#include "kernel.h"
#include "spinlock.h"
#include "uapi.h"

#define IOREGSEL 0x00
#define IOWIN 0x10
#define REG_VER 0x01
#define REG_REDIR(n) (0x10 + 2 * (n))
#define REDIR_POL_LOW (1u << 13)
#define REDIR_LEVEL (1u << 15)
#define REDIR_MASKED (1u << 16)

static struct {
    volatile uint32_t *base;
    uint32_t gsi_base, count;
} apics[ACPI_MAX_IOAPICS];
static int napics;
static struct {
    uint32_t gsi;
    bool low, level, taken; /* taken: another ISA line's override has its pin */
    bool held;              /* masked by the operator until released */
} isa[IRQ_LINES];
static struct spinlock lock = SPINLOCK_INIT; /* also taken by interrupt handlers (devices_irq) */

static uint64_t lock_irq(void)
{
    uint64_t flags = read_rflags();
    cli();
    spin_lock(&lock);
    return flags;
}

static void unlock_irq(uint64_t flags)
{
    spin_unlock(&lock);
    if (flags & (1u << 9)) /* IF */
        sti();
}

static uint32_t rd(int a, uint32_t reg)
{
    apics[a].base[IOREGSEL / 4] = reg;
    return apics[a].base[IOWIN / 4];
}

static void wr(int a, uint32_t reg, uint32_t v)
{
    apics[a].base[IOREGSEL / 4] = reg;
    apics[a].base[IOWIN / 4] = v;
}

/* The IO APIC and its entry for a GSI; -1 if none has it. */
static int apic_of(uint32_t gsi, uint32_t *entry)
{
    for (int a = 0; a < napics; a++)
        if (gsi >= apics[a].gsi_base && gsi < apics[a].gsi_base + apics[a].count) {
            *entry = gsi - apics[a].gsi_base;
            return a;
        }
    return -1;
}

void ioapic_init(const struct acpi_info *ai)
{
    for (int i = 0; i < ai->nioapics && napics < ACPI_MAX_IOAPICS; i++) {
        apics[napics].base = P2V((uint64_t)ai->ioapics[i].addr);
        apics[napics].gsi_base = ai->ioapics[i].gsi_base;
        apics[napics].count = ((rd(napics, REG_VER) >> 16) & 0xFF) + 1;
        for (uint32_t e = 0; e < apics[napics].count; e++)
            wr(napics, REG_REDIR(e), REDIR_MASKED);
        napics++;
    }
    for (int l = 0; l < IRQ_LINES; l++)
        isa[l].gsi = (uint32_t)l;
    for (int o = 0; o < ai->noverrides; o++) {
        const struct acpi_override *ov = &ai->overrides[o];
        if (ov->bus != 0 || ov->source_irq >= IRQ_LINES)
            continue;
        isa[ov->source_irq].gsi = ov->gsi;
        isa[ov->source_irq].low = ACPI_IRQ_POLARITY(ov->flags) == ACPI_POL_LOW;
        isa[ov->source_irq].level = ACPI_IRQ_TRIGGER(ov->flags) == ACPI_TRIG_LEVEL;
    }
    /* IRQ 0 usually comes in on pin 2: line 2 must not program it again. */
    for (int l = 0; l < IRQ_LINES; l++)
        for (int o = 0; o < IRQ_LINES; o++)
            if (o != l && isa[o].gsi == (uint32_t)l && isa[l].gsi == (uint32_t)l)
                isa[l].taken = true;
}

bool ioapic_level(int line)
{
    return isa[line].level;
}

int ioapic_route(int line, uint32_t apic_id)
{
    uint32_t e;
    uint64_t flags = lock_irq();
    int a = isa[line].taken ? -1 : apic_of(isa[line].gsi, &e);
    if (a >= 0) {
        wr(a, REG_REDIR(e), REDIR_MASKED);
        wr(a, REG_REDIR(e) + 1, apic_id << 24);
        wr(a, REG_REDIR(e), (uint32_t)(VEC_IRQ_BASE + line) | (isa[line].low ? REDIR_POL_LOW : 0) |
                                (isa[line].level ? REDIR_LEVEL : 0) | (isa[line].held ? REDIR_MASKED : 0));
    }
    unlock_irq(flags);
    return a >= 0 ? 0 : -ENODEV;
}

void ioapic_mask(int line, bool masked)
{
    uint32_t e;
    uint64_t flags = lock_irq();
    int a = isa[line].taken ? -1 : apic_of(isa[line].gsi, &e);
    if (a >= 0 && (masked || !isa[line].held)) {
        uint32_t v = rd(a, REG_REDIR(e));
        wr(a, REG_REDIR(e), masked ? v | REDIR_MASKED : v & ~REDIR_MASKED);
    }
    unlock_irq(flags);
}

int ioapic_hold(int line, bool held)
{
    uint32_t e;
    uint64_t flags = lock_irq();
    int a = isa[line].taken ? -1 : apic_of(isa[line].gsi, &e);
    if (a >= 0) {
        isa[line].held = held;
        if (held)
            wr(a, REG_REDIR(e), rd(a, REG_REDIR(e)) | REDIR_MASKED);
    }
    unlock_irq(flags);
    return a >= 0 ? 0 : -ENODEV;
}

/* The ISA line whose interrupts come in on gsi, or -1. */
static int line_of_gsi(uint32_t gsi)
{
    for (int l = 0; l < IRQ_LINES; l++)
        if (isa[l].gsi == gsi && !isa[l].taken)
            return l;
    return -1;
}

/* The core whose local APIC has that id, or -1. */
static int core_of_apic(uint32_t apic_id)
{
    for (int c = 0; c < ncores; c++)
        if (cores[c].state != CORE_ABSENT && cores[c].lapic_id == apic_id)
            return c;
    return -1;
}

int ioapic_render(char *out, int max)
{
    int n = 0;
    uint64_t flags = lock_irq();
    for (int a = 0; a < napics; a++)
        for (uint32_t e = 0; e < apics[a].count && n < max; e++) {
            uint32_t lo = rd(a, REG_REDIR(e)), hi = rd(a, REG_REDIR(e) + 1);
            int line = line_of_gsi(apics[a].gsi_base + e);
            n += snprintf(out + n, max - n, "ioapic %d pin %u gsi %u vector %u dest %u core %d masked %d trigger %s "
                          "polarity %s held %d line %d\n", a, e, apics[a].gsi_base + e, lo & 0xFF, hi >> 24,
                          core_of_apic(hi >> 24), !!(lo & REDIR_MASKED), lo & REDIR_LEVEL ? "level" : "edge",
                          lo & REDIR_POL_LOW ? "low" : "high", line >= 0 && isa[line].held, line);
        }
    unlock_irq(flags);
    return n < max ? n : max;
}
