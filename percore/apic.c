/* The local APIC (xAPIC, memory mapped): per-core enable, the timer (one
 * shot, armed for the next tick or the next kernel timer, whichever is
 * first, so timers are as precise as the TSC), IPIs, and the clocks. The boot core calibrates the
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
#define ICR_PENDING (1u << 12)
#define TIMER_HZ (1000000 / TICK_US)
#define CALIBRATE_MS 40 /* below the PIT's 55 ms wrap */
#define PIT_HZ 1193182

uint64_t tsc_khz;
static volatile uint32_t *lapic;
static uint32_t timer_count; /* APIC timer counts (divide by 16) per TICK_US */
uint64_t tsc_boot;

static uint32_t rd(uint32_t reg) { return lapic[reg / 4]; }
static void wr(uint32_t reg, uint32_t v) { lapic[reg / 4] = v; }

/* One reading of the three clocks: PIT channel 2 latched, the APIC timer's
 * count, and the TSC on both sides. A wide bracket means the CPU was stalled
 * (a busy host pauses an emulator's CPU thread) between the readings. */
struct clock_sample {
    uint64_t tsc, bracket;
    uint32_t apic;
    uint16_t pit;
};

static void sample(struct clock_sample *c)
{
    uint64_t t0 = rdtsc();
    outb(0x43, 0x80); /* latch channel 2 */
    uint8_t lo = inb(0x42), hi = inb(0x42);
    c->apic = rd(LAPIC_TIMER_CUR);
    uint64_t t1 = rdtsc();
    c->pit = (uint16_t)(lo | hi << 8);
    c->tsc = t0 + (t1 - t0) / 2;
    c->bracket = t1 - t0;
}

/* The sample with the narrowest bracket out of `n` taken in a row. */
static void best_sample(struct clock_sample *best, int n)
{
    best->bracket = ~0ull;
    for (int i = 0; i < n; i++) {
        struct clock_sample c;
        sample(&c);
        if (c.bracket < best->bracket)
            *best = c;
    }
}

/* Measures the TSC and the APIC timer against the PIT (1.193182 MHz, a
 * fixed crystal) over CALIBRATE_MS, from two clean samples: a stall at
 * either end makes a sample's bracket wide, and the narrowest of several is
 * taken, so a paused CPU cannot stretch the measured window (it did when
 * the end was found by polling the PIT's output). */
static void calibrate(void)
{
    outb(0x61, (inb(0x61) & ~0x02) | 0x01); /* channel 2 gate on, speaker off */
    outb(0x43, 0xB0);                        /* channel 2, lobyte/hibyte, mode 0 */
    outb(0x42, 0xFF);
    outb(0x42, 0xFF);
    wr(LAPIC_TIMER_DIV, 0x3);
    wr(LAPIC_LVT_TIMER, LVT_MASKED);
    wr(LAPIC_TIMER_INIT, 0xFFFFFFFF);
    struct clock_sample a, b;
    best_sample(&a, 8);
    uint32_t window = PIT_HZ / 1000 * CALIBRATE_MS;
    uint64_t spins = 0;
    do {
        sample(&b);
        if (++spins > 100000000)
            panic("PIT channel 2 does not count: cannot calibrate the clocks");
    } while ((uint16_t)(a.pit - b.pit) < window);
    best_sample(&b, 8);
    uint64_t pit_ticks = (uint16_t)(a.pit - b.pit);
    wr(LAPIC_TIMER_INIT, 0);
    tsc_khz = (b.tsc - a.tsc) * PIT_HZ / pit_ticks / 1000;
    if (tsc_khz == 0)
        tsc_khz = 1;
    timer_count = (uint64_t)(a.apic - b.apic) * PIT_HZ / pit_ticks * TICK_US / 1000000;
    tsc_boot = b.tsc;
}

void apic_init_boot(uint64_t lapic_phys)
{
    lapic = P2V(lapic_phys);
    outb(0x21, 0xFF); /* the legacy PICs stay masked: the APICs deliver everything */
    outb(0xA1, 0xFF);
    wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1u << 11));
    wr(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
    calibrate();
    kprintf("clocks: TSC %lu.%03lu MHz, APIC timer %u counts per %u us tick\n", tsc_khz / 1000, tsc_khz % 1000,
            timer_count, TICK_US);
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
    wr(LAPIC_LVT_TIMER, VEC_TIMER); /* one-shot: each interrupt arms the next */
    this_core()->sched.tick_deadline = uptime_us() + TICK_US;
    lapic_timer_oneshot(this_core()->sched.tick_deadline);
    lapic_eoi();
}

void lapic_timer_oneshot(uint64_t deadline_us)
{
    uint64_t now = uptime_us();
    uint64_t us = deadline_us > now ? deadline_us - now : 1;
    uint64_t count = us * timer_count / TICK_US;
    wr(LAPIC_TIMER_INIT, count == 0 ? 1 : count > 0xFFFFFFFF ? 0xFFFFFFFF : (uint32_t)count);
}

uint64_t apic_timer_hz(void)
{
    return (uint64_t)timer_count * 1000000 / TICK_US;
}

uint32_t lapic_id(void)
{
    return rd(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
    wr(LAPIC_EOI, 0);
}

/* Interrupts off between the two writes: the watchdog sends IPIs from the
 * timer interrupt, which must not retarget one half-written here. */
static void send_ipi(uint32_t apic_id, uint32_t icr)
{
    uint64_t flags = read_rflags();
    cli();
    wr(LAPIC_ICR_HI, apic_id << 24);
    wr(LAPIC_ICR_LO, icr);
    for (int i = 0; i < 1000000 && (rd(LAPIC_ICR_LO) & ICR_PENDING); i++)
        cpu_relax();
    if (flags & RFLAGS_IF)
        sti();
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

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
    send_ipi(apic_id, 0x4000 | vector); /* fixed, edge, assert */
}

/* Delivered even to a core running with interrupts off. */
void lapic_send_nmi(uint32_t apic_id)
{
    send_ipi(apic_id, 0x4400); /* NMI, edge, assert */
}

void udelay(uint64_t us)
{
    uint64_t end = rdtsc() + us * tsc_khz / 1000;
    while (rdtsc() < end)
        cpu_relax();
}

uint64_t uptime_us(void)
{
    uint64_t d = rdtsc() - tsc_boot; /* split, so that d * 1000 cannot overflow in a long uptime */
    return d / tsc_khz * 1000 + d % tsc_khz * 1000 / tsc_khz;
}
