/* Single-producer single-consumer byte rings, one per core. head is written
 * only by the producer, tail only by the consumer; release/acquire on them
 * orders the bytes (x86 keeps stores in order anyway). */
#include "logring.h"

#include "kernel.h"

#define LINE_MAX 160

struct logring {
    volatile uint64_t head __attribute__((aligned(64))); /* producer's */
    volatile uint64_t tail __attribute__((aligned(64))); /* consumer's */
    char buf[LOGRING_SIZE];
};

static struct logring rings[MAX_CORES];

/* The consumer's partial line per core. */
static char line[MAX_CORES][LINE_MAX];
static int line_len[MAX_CORES];

uint64_t logring_write(int core, const char *s, uint64_t n)
{
    struct logring *r = &rings[core];
    uint64_t head = r->head, tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
    uint64_t room = LOGRING_SIZE - (head - tail);
    if (n > room)
        n = room;
    for (uint64_t i = 0; i < n; i++)
        r->buf[(head + i) % LOGRING_SIZE] = s[i];
    __atomic_store_n(&r->head, head + n, __ATOMIC_RELEASE);
    return n;
}

static void flush_line(int core)
{
    kprintf("[c%d] %.*s\n", core, line_len[core], line[core]);
    line_len[core] = 0;
    this_core()->progress++; /* the console's work: the watchdog must not take a long drain for a hang */
}

void logring_drain(void)
{
    for (int c = 0; c < ncores; c++) { /* the console node's own ring stays empty: it writes to the tty */
        struct logring *r = &rings[c];
        uint64_t tail = r->tail, head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
        for (; tail != head; tail++) {
            char ch = r->buf[tail % LOGRING_SIZE];
            if (ch == '\n') {
                flush_line(c);
            } else if (ch != '\r') {
                /* Indexed through a local, checked first: a console that just moved
                 * may for a moment have two drainers, and neither writes past line[c]. */
                int n = line_len[c];
                if (n >= LINE_MAX) {
                    flush_line(c);
                    n = 0;
                }
                line[c][n] = ch;
                line_len[c] = n + 1;
            }
        }
        __atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
    }
}
