/* The serial console on COM1 (16550, 115200 8N1, polled). kprintf formats
 * into a buffer first and writes it under one lock, so lines from different
 * cores never interleave, and starts on a fresh line when the console node
 * left one open (its shell prompt). Exception handlers use it too, so the lock is
 * taken with interrupts off.
 * One core is the console core (core 0 at boot): it reads COM1 into the
 * console tty, drains the other cores' log rings, and its node has the
 * shell. When that core or its node dies, console_check hands the role to
 * the lowest live core whose node runs; that core's node takes the tty
 * (node_io_follow_console) and, in Erlang, starts a shell on it
 * (hydros_console). Any core may write to COM1. */
#include <stdarg.h>
#include <stdio.h>

#include "arch/x86.h"
#include "kernel.h"
#include "logring.h"
#include "sched.h"
#include "tty.h"

#define COM1 0x3F8
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

static volatile int console_core;
static volatile bool staying; /* the machine powers off with its console node: no move */

/* The console lock names its holder (core id + 1, 0 when free), so that a
 * core that died holding it cannot silence the others: a waiter takes it
 * from a holder that is dead, stopped (its last NMI or line out: mark_dead)
 * and has written nothing for STEAL_US (a dying core still prints its last
 * line, and at 115200 baud a whole kprintf takes 90 ms). A core that faults (or takes an NMI or #MC) inside kprintf finds
 * it held by itself and prints its report anyway: `depth` counts those
 * nested holds. Taken with interrupts off; a core waiting for it or holding
 * it says so in at_console, and the watchdog does not take that for a hang. */
#define STEAL_US 50000
static volatile uint32_t console_holder;
static volatile uint64_t written; /* bytes out of COM1: the holder's progress */
static int depth;

static void console_lock(void)
{
    struct core *c = this_core();
    uint32_t me = c->id + 1;
    uint64_t since = 0, seen = 0;
    c->at_console = true;
    for (;;) {
        uint32_t held = 0;
        if (__atomic_compare_exchange_n(&console_holder, &held, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return;
        if (held == me) {
            depth++;
            return;
        }
        if (cores[held - 1].state != CORE_DEAD || !cores[held - 1].stopped || written != seen) {
            since = 0;
            seen = written;
        } else if (!since) {
            since = uptime_us();
        } else if (uptime_us() - since > STEAL_US &&
                   __atomic_compare_exchange_n(&console_holder, &held, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            depth = 0; /* whatever the dead holder had nested */
            return;
        }
        cpu_relax();
    }
}

void console_reclaim(void)
{
    uint32_t me = this_core()->id + 1;
    if (__atomic_compare_exchange_n(&console_holder, &me, 0, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
        depth = 0;
}

static void console_unlock(void)
{
    if (depth) {
        depth--;
        return;
    }
    __atomic_store_n(&console_holder, 0, __ATOMIC_RELEASE);
    this_core()->at_console = false;
}
static bool node_mid_line; /* the node's output left a line open (a prompt); under the console lock */

void console_init(void)
{
    outb(COM1 + 1, 0x00); /* no UART interrupts: we poll */
    outb(COM1 + 3, 0x80); /* divisor latch */
    outb(COM1 + 0, 0x01); /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1 */
    outb(COM1 + 2, 0xC7); /* FIFO on, cleared */
    outb(COM1 + 4, 0x03); /* DTR, RTS */
}

static void serial_putc(char c)
{
    /* Bounded: a console that never drains must not hang the kernel. */
    for (int i = 0; i < 100000 && !(inb(COM1 + 5) & LSR_THR_EMPTY); i++)
        cpu_relax();
    outb(COM1, (uint8_t)c);
    written++;
}

/* In pieces of CHUNK bytes, interrupts back on between them: a node's
 * 64 KiB write must not keep this core (or one waiting for the lock) from
 * its ticks for long, or the watchdog takes it for hung. A kernel line from
 * another core may land between two pieces. */
#define CHUNK 128

void console_write(const char *s, uint64_t n)
{
    uint64_t flags = read_rflags();
    for (uint64_t at = 0; at < n; at += CHUNK) {
        uint64_t end = n - at < CHUNK ? n : at + CHUNK;
        cli();
        console_lock();
        for (uint64_t i = at; i < end; i++)
            serial_putc(s[i]);
        node_mid_line = s[end - 1] != '\n';
        console_unlock();
        this_core()->progress++; /* at 115200 baud a node's long write is work, not a hung kernel */
        if (flags & RFLAGS_IF)
            sti();
    }
}

/* The console core prints the other cores' log rings, and received bytes go
 * to the console node's tty. Polled from the scheduler
 * (every tick and every return to user mode): the UART holds 16 bytes, and
 * QEMU stops sending while they are not taken, so nothing is lost. */
void console_poll(void)
{
    static uint64_t polled_at_tick = ~0ull;
    struct core *c = this_core();
    if ((int)c->id != console_core)
        return;
    node_io_follow_console();
    logring_drain();
    /* The UART once a tick: a port read is slow under emulation, and this
     * runs on every return to user mode. */
    struct tty *t = console_tty();
    if (!t || polled_at_tick == c->ticks)
        return;
    polled_at_tick = c->ticks;
    while (inb(COM1 + 5) & LSR_DATA_READY)
        tty_input(t, (char)inb(COM1));
}

int console_owner(void)
{
    return console_core;
}

/* The lowest live core other than `not` whose node runs, else the lowest
 * live one; -1 if none. */
static int console_heir(int not)
{
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < ncores; i++)
            if (i != not && core_alive(&cores[i]) && (pass || cores[i].node_state == NODE_RUNNING))
                return i;
    return -1;
}

void console_stay(void)
{
    staying = true;
}

bool console_staying(void)
{
    return staying;
}

void console_check(void)
{
    int from = console_core;
    struct core *c = &cores[from];
    if (staying || (core_alive(c) && c->node_state != NODE_DEAD))
        return;
    int to = console_heir(from);
    if (to < 0 || !__atomic_compare_exchange_n(&console_core, &from, to, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        return;
    kprintf("hydros: the console moves to core %d: %s %d is dead\n", to, core_alive(c) ? "the node of core" : "core",
            from);
    if (to != (int)this_core()->id)
        lapic_send_ipi(cores[to].lapic_id, VEC_CHAN); /* to console_poll now, even from hlt */
}

void kprintf(const char *fmt, ...)
{
    char buf[1024]; /* a whole fault dump fits: it must not be split between cores */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(buf))
        n = sizeof(buf) - 1;

    uint64_t flags = read_rflags();
    cli();
    console_lock();
    if (node_mid_line) { /* a kernel line starts a line of its own, as printk does */
        serial_putc('\r');
        serial_putc('\n');
        node_mid_line = false;
    }
    for (int i = 0; i < n; i++) {
        if (buf[i] == '\n')
            serial_putc('\r');
        serial_putc(buf[i]);
    }
    console_unlock();
    if (flags & RFLAGS_IF)
        sti();
}
