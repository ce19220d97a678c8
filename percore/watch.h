/* The watchdog's judgement of one core by another, pure logic (host-tested
 * in tests/unit/test_watch.c); watchdog.c feeds it and acts on it.
 *
 * A checker looks at a target's heartbeat (its timer ticks) on every tick
 * of its own. A heartbeat that has not moved for WATCH_STALE_US makes the
 * target suspect: the checker asks it by NMI, which a core takes even with
 * interrupts off. The NMI handler answers with the heartbeat it has and
 * whether it interrupted code running with interrupts on.
 *   - No answer within WATCH_ANSWER_US: dead (it halted, reset, or is stuck
 *     where not even an NMI gets in).
 *   - Two answers in a row from code with interrupts off and the heartbeat
 *     still where it was: hung with interrupts off. One such answer is not
 *     enough: the kernel turns interrupts off for short stretches. Nor
 *     is a core at the console (writing, or waiting for the lock): at
 *     115200 baud, which Bochs emulates, one kprintf takes up to 90 ms
 *     with interrupts off, and a dead holder's lock is taken from it
 *     (console.c); nor one waiting for a kernel lock whose holder died,
 *     which it takes 50 ms later (spinlock.h). The no-tick limit still
 *     bounds both.
 *   - Answers from code with interrupts on but still no tick for
 *     WATCH_NO_TICK_US: its timer is gone; dead too.
 * A heartbeat that moves again clears everything: a vCPU that the host did
 * not schedule for a while is late, not dead. */
#ifndef HYDROS_WATCH_H
#define HYDROS_WATCH_H
#include <stdbool.h>
#include <stdint.h>

/* Under QEMU's TCG on a small host a vCPU thread can go unscheduled for
 * 100 ms and more: it is late, not dead, and answers its NMI when it runs
 * again. So no verdict rests on a short silence: a hang is judged from two
 * answers, and only a core that stays silent for a whole second (halted
 * for good, or stuck where no NMI gets in) is judged by its silence. */
#define WATCH_STALE_US 20000    /* two ticks missed: probe (a probe costs nothing) */
#define WATCH_REPROBE_US 10000  /* from an answer from code with interrupts off to the next probe */
#define WATCH_ANSWER_US 1000000
#define WATCH_NO_TICK_US 1000000

struct watch { /* one checker's view of one target; all zero to start */
    uint64_t beat, beat_at; /* the heartbeat last seen, and when it moved */
    uint64_t asked, asked_at; /* the probe in flight (its sequence number), 0 none */
    uint64_t judged, judged_at; /* the last probe whose answer was counted, and when */
    int stuck;                /* answers from code with interrupts off, heartbeat unmoved */
};

struct watch_answer { /* what the target's NMI handler last wrote */
    uint64_t seq;  /* the probe it answered: the asked count it saw */
    uint64_t beat; /* its heartbeat then */
    bool irq_on;   /* the code it interrupted had interrupts on */
    bool excused;  /* it was at the console (writing, or waiting for a core that was), or
                      waiting for a lock a dead core holds: slow, not hung */
};

enum watch_verdict {
    WATCH_FINE,        /* beating, or not stale yet */
    WATCH_PROBE,       /* send an NMI probe now (watch_probed after) */
    WATCH_WAIT,        /* a probe is out */
    WATCH_DEAD_SILENT, /* no answer to a probe */
    WATCH_DEAD_HUNG,   /* answered twice from code with interrupts off, no tick */
    WATCH_DEAD_NO_TICK /* answers, but its timer stopped */
};

/* The verdict at time now (us) on a target whose heartbeat is beat and
 * whose last NMI answer is *a. */
enum watch_verdict watch_judge(struct watch *w, uint64_t now, uint64_t beat, const struct watch_answer *a);
/* The checker sent probe number seq at time now. */
void watch_probed(struct watch *w, uint64_t now, uint64_t seq);
const char *watch_verdict_name(enum watch_verdict v);

#endif
