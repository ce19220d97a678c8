/* The boot core's path from the loader to an idle multikernel: console,
 * descriptor tables, memory, page tables, ACPI, clocks, the other cores.
 * Every core ends in core_online and core_idle: announce, then idle in hlt
 * while its timer ticks. */
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "arch/x86.h"
#include "bootinfo.h"
#include "kernel.h"
#include "chan.h"
#include "hydros_dev.h"
#include "sched.h"
#include "smbios.h"
#include "vdso.h"

#define TICK_CHECK_US 2000000
#define DEFAULT_LAPIC 0xFEE00000ull

static struct acpi_info acpi;

static const void *acpi_map(uint64_t phys, uint64_t len, void *ctx)
{
    (void)ctx;
    if (phys + len < phys || phys + len > direct_map_end)
        return NULL;
    return P2V(phys);
}

/* ACPI, or one CPU (this one) when the tables are missing or broken. */
static void find_cpus(void)
{
    uint64_t rsdp = acpi_find_rsdp(acpi_map, NULL);
    int err = rsdp ? acpi_parse(rsdp, acpi_map, NULL, &acpi) : ACPI_ERR_NO_RSDP;
    if (err != ACPI_OK) {
        uint32_t r[4];
        cpuid(1, 0, r);
        kprintf("warning: ACPI unusable (%s); running on one CPU\n", acpi_strerror(err));
        memset(&acpi, 0, sizeof(acpi));
        acpi.ncpus = 1;
        acpi.cpus[0].apic_id = r[1] >> 24;
        acpi.lapic_addr = DEFAULT_LAPIC;
        return;
    }
    kprintf("acpi: OEM %s, %d CPUs (lapic ids", acpi.oem_id, acpi.ncpus);
    for (int i = 0; i < acpi.ncpus; i++)
        kprintf(" %u", acpi.cpus[i].apic_id);
    kprintf("), local APIC at %p\n", (void *)acpi.lapic_addr);
    for (int i = 0; i < acpi.nioapics; i++)
        kprintf("acpi: IOAPIC id %u at %p, GSI base %u\n", acpi.ioapics[i].id,
                (void *)(uint64_t)acpi.ioapics[i].addr, acpi.ioapics[i].gsi_base);
    for (int i = 0; i < acpi.noverrides; i++)
        kprintf("acpi: IRQ %u -> GSI %u (flags 0x%x)\n", acpi.overrides[i].source_irq,
                acpi.overrides[i].gsi, acpi.overrides[i].flags);
}

/* Test hook: "crash=N" makes core N take a page fault once online. */
static void maybe_crash(struct core *c)
{
    const char *v = cmdline_get("crash");
    if (v && *v && strtoul(v, NULL, 10) == c->id)
        *(volatile uint64_t *)0xdead000 = 1; /* nothing is mapped in the low half */
}

_Noreturn void acpi_power_off(void)
{
    kprintf("hydros: powering off\n");
    if (acpi.power_off) {
        outw(acpi.pm1a_cnt, (uint16_t)(acpi.slp_typ_s5 << 10 | 1 << 13)); /* SLP_TYP, SLP_EN */
        udelay(100000);
    }
    core_die("the machine did not power off (no ACPI S5)");
}

void core_online(struct core *c)
{
    kprintf("core %u online (lapic id %u)\n", c->id, c->lapic_id);
    c->state = CORE_ONLINE;
}

/* A core whose node could not start: it still prints the logs if it is
 * the console core, and starts a node when asked (hydros:restart/1). */
_Noreturn void core_idle(void)
{
    for (;;) {
        this_core()->progress++; /* idling: not a kernel stuck (watchdog_kernel_stuck) */
        console_poll();
        node_restart_poll();
        if (this_core()->node)
            sched_start();
        sti_hlt();
    }
}

/* Released by the boot core once the partitions are set: then every core
 * starts its own node. */
static volatile bool nodes_go;
static const void *archive;
static uint64_t archive_len;

const void *boot_archive(uint64_t *len)
{
    *len = archive_len;
    return archive;
}

/* A restarted core starts clean (smp_restart_core): what its last life left
 * is given back and never runs again; its node starts as a restarted one
 * does (node_restart_poll). */
void core_reclaim(struct core *c)
{
    console_reclaim(); /* before anything prints */
    c->death[0] = 0;
    c->at_console = false;
    c->inject = 0;
    watchdog_init_core();
    node_reclaim(c);
    c->restart_asked = true;
}

_Noreturn void core_run_node(void)
{
    struct core *c = this_core();
    if (c->lives) { /* restarted: core_idle starts the node */
        chan_init_core();
        sti(); /* the node's start is long (Bochs: far more than the watchdog's 50 ms), and ticks */
        core_idle();
    }
    maybe_crash(c);
    while (!nodes_go)
        sti_hlt();
    chan_init_core();
    inject_chan_poke();
    if (node_start(archive, archive_len) == 0)
        sched_start();
    core_idle();
}

/* Every online core should be taking timer interrupts; say so, or say which is not. */
static void check_ticks(void)
{
    uint64_t end = uptime_us() + TICK_CHECK_US;
    int ticking, online;
    do {
        ticking = online = 0;
        for (int i = 0; i < ncores; i++) { /* suspect is alive: the watchdog is asking it (a vCPU late under TCG) */
            online += core_alive(&cores[i]);
            ticking += core_alive(&cores[i]) && cores[i].ticks >= 3;
        }
    } while (ticking < online && uptime_us() < end);
    kprintf("timer: %d of %d cores ticking", ticking, ncores);
    for (int i = 0; i < ncores; i++)
        if (!core_alive(&cores[i]))
            kprintf(", core %d %s", i, cores[i].state == CORE_DEAD ? "dead" : "absent");
        else if (cores[i].ticks < 3)
            kprintf(", core %d silent", i);
    kprintf("\n");
}

void kmain(uint64_t boot_info_phys)
{
    const struct boot_info *bi = P2V(boot_info_phys);
    struct core *c0 = &cores[0];
    console_init();
    idt_init();
    desc_init_core(c0);
    cpu_init_core();
    kprintf("\nHydrOS: an x86-64 multikernel, one kernel and one Erlang node per core\n");
    if (bi->magic != BOOTINFO_MAGIC)
        panic("boot_info at %p has a bad magic number: not started by our loader?", (void *)bi);
    cmdline_init(bi->cmdline);
    kprintf("command line: \"%s\"\n", bi->cmdline);
    mm_init(bi);
    paging_init();
    find_cpus();
    apic_init_boot(acpi.lapic_addr);
    c0->lapic_id = lapic_id();
    lapic_init_core();
    core_online(c0);
    uint64_t t0 = uptime_us();
    smp_start(&acpi);
    int online = 0;
    for (int i = 0; i < ncores; i++)
        online += cores[i].state != CORE_ABSENT;
    kprintf("smp: %d of %d cores online, started in %lu ms\n", online, ncores, (uptime_us() - t0) / 1000);
    sti();
    check_ticks();
    rtc_init();
    vdso_init();
    sched_init_core();
    archive = P2V(bi->archive_phys);
    archive_len = bi->archive_size;
    ioapic_init(&acpi);
    devices_init(archive, archive_len);
    devices_found(false, "ACPI tables", acpi.tables_first, acpi.tables_end);
    struct smbios_where smbios;
    if (smbios_find(acpi_map, NULL, &smbios) == 0)
        devices_found(false, "SMBIOS table", smbios.table, smbios.table_end);
    devices_found(true, "ECAM", acpi.ecam_base, acpi.ecam_base + ((uint64_t)acpi.ecam_buses << 20));
    nodes_expect(mm_partition(ncores));
    __atomic_store_n(&nodes_go, true, __ATOMIC_RELEASE);
    core_run_node();
}
