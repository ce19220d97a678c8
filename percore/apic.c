/* The local APIC (xAPIC, memory mapped): per-core enable, the periodic
 * timer, IPIs for start-up, and the clocks. The boot core calibrates the
 * TSC and the APIC timer once against PIT channel 2; every core shares the
 * result (all cores run on the same bus and TSC clock). */
#include "arch/x86.h"
#include "kernel.h"

#define LAPIC_ID 0x020
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0B0
#define LAPIC_SVR 0x0F0
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3E0

#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define ICR_PENDING (1u << 12)
#define TIMER_HZ 100
#define CALIBRATE_MS 20
#define PIT_HZ 1193182

uint64_t tsc_per_us;
static volatile uint32_t *lapic;
static uint32_t timer_count; /* APIC timer ticks (divide by 16) per 1/TIMER_HZ s */
static uint64_t tsc_boot;

static uint32_t rd(uint32_t reg) { return lapic[reg / 4]; }
static void wr(uint32_t reg, uint32_t v) { lapic[reg / 4] = v; }

/* Busy-waits CALIBRATE_MS on PIT channel 2 (gate on, speaker off, mode 0)
 * while the APIC timer counts down and the TSC counts up. */
static void calibrate(void)
{
    uint16_t count = PIT_HZ * CALIBRATE_MS / 1000;
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xB0); /* channel 2, lobyte/hibyte, mode 0 */
    outb(0x42, count & 0xFF);
    outb(0x42, count >> 8);
    wr(LAPIC_TIMER_DIV, 0x3);
    wr(LAPIC_LVT_TIMER, LVT_MASKED);
    wr(LAPIC_TIMER_INIT, 0xFFFFFFFF);
    uint64_t t0 = rdtsc();
    uint64_t spins = 0;
    while (!(inb(0x61) & 0x20))
        if (++spins > 100000000)
            panic("PIT channel 2 never reached its count: cannot calibrate the clocks");
    uint64_t t1 = rdtsc();
    uint32_t apic_ticks = 0xFFFFFFFF - rd(LAPIC_TIMER_CUR);
    wr(LAPIC_TIMER_INIT, 0);
    tsc_per_us = (t1 - t0) / (CALIBRATE_MS * 1000);
    if (tsc_per_us == 0)
        tsc_per_us = 1;
    timer_count = (uint64_t)apic_ticks * 1000 / CALIBRATE_MS / TIMER_HZ;
    tsc_boot = t1;
}

void apic_init_boot(uint64_t lapic_phys)
{
    lapic = P2V(lapic_phys);
    outb(0x21, 0xFF); /* the legacy PICs stay masked: the APICs deliver everything */
    outb(0xA1, 0xFF);
    wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1u << 11));
    wr(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
    calibrate();
    kprintf("clocks: TSC %lu MHz, APIC timer %u Hz from %u counts\n", tsc_per_us, TIMER_HZ, timer_count);
}

void lapic_init_core(void)
{
    wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1u << 11));
    wr(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
    wr(LAPIC_TPR, 0);
    wr(LAPIC_LVT_LINT0, LVT_MASKED);
    wr(LAPIC_LVT_LINT1, LVT_MASKED);
    wr(LAPIC_LVT_ERROR, LVT_MASKED);
    wr(LAPIC_ESR, 0);
    wr(LAPIC_TIMER_DIV, 0x3);
    wr(LAPIC_LVT_TIMER, LVT_PERIODIC | VEC_TIMER);
    wr(LAPIC_TIMER_INIT, timer_count);
    lapic_eoi();
}

uint32_t lapic_id(void)
{
    return rd(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
    wr(LAPIC_EOI, 0);
}

static void send_ipi(uint32_t apic_id, uint32_t icr)
{
    wr(LAPIC_ICR_HI, apic_id << 24);
    wr(LAPIC_ICR_LO, icr);
    for (int i = 0; i < 1000000 && (rd(LAPIC_ICR_LO) & ICR_PENDING); i++)
        cpu_relax();
}

void lapic_send_init(uint32_t apic_id)
{
    send_ipi(apic_id, 0x4500); /* INIT, level assert */
    send_ipi(apic_id, 0x8500); /* INIT level de-assert, as the MP spec asks */
}

void lapic_send_sipi(uint32_t apic_id, uint8_t vector)
{
    send_ipi(apic_id, 0x4600 | vector);
}

void udelay(uint64_t us)
{
    uint64_t end = rdtsc() + us * tsc_per_us;
    while (rdtsc() < end)
        cpu_relax();
}

uint64_t uptime_us(void)
{
    return (rdtsc() - tsc_boot) / tsc_per_us;
}
