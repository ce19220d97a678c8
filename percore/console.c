/* The serial console on COM1 (16550, 115200 8N1, polled). kprintf formats
 * into a buffer first and writes it under one lock, so lines from different
 * cores never interleave, and starts on a fresh line when the console node
 * left one open (its shell prompt). Exception handlers use it too, so the lock is
 * taken with interrupts off. */
#include <stdarg.h>
#include <stdio.h>

#include "arch/x86.h"
#include "kernel.h"
#include "logring.h"
#include "sched.h"
#include "spinlock.h"
#include "tty.h"

#define COM1 0x3F8
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

static struct spinlock console_lock = SPINLOCK_INIT;
static bool node_mid_line; /* the node's output left a line open (a prompt); under console_lock */

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
}

void console_write(const char *s, uint64_t n)
{
    uint64_t flags = read_rflags();
    cli();
    spin_lock(&console_lock);
    for (uint64_t i = 0; i < n; i++)
        serial_putc(s[i]);
    if (n)
        node_mid_line = s[n - 1] != '\n';
    spin_unlock(&console_lock);
    if (flags & RFLAGS_IF)
        sti();
}

/* The console core prints the other cores' log rings, and received bytes go
 * to the console node's tty. Polled from the scheduler
 * (every tick and every return to user mode): the UART holds 16 bytes, and
 * QEMU stops sending while they are not taken, so nothing is lost. */
void console_poll(void)
{
    static uint64_t polled_at_tick = ~0ull;
    struct core *c = this_core();
    if (c->id != 0)
        return;
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
    spin_lock(&console_lock);
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
    spin_unlock(&console_lock);
    if (flags & RFLAGS_IF)
        sti();
}
