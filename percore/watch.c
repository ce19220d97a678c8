/* The watchdog's judgement (watch.h). */
#include "watch.h"

enum watch_verdict watch_judge(struct watch *w, uint64_t now, uint64_t beat, const struct watch_answer *a)
{
    if (beat != w->beat || w->beat_at == 0) { /* alive, or seen for the first time */
        *w = (struct watch){.beat = beat, .beat_at = now};
        return WATCH_FINE;
    }
    if (!w->asked)
        return now - w->beat_at >= WATCH_STALE_US ? WATCH_PROBE : WATCH_FINE;
    if (a->seq < w->asked)
        return now - w->asked_at >= WATCH_ANSWER_US ? WATCH_DEAD_SILENT : WATCH_WAIT;
    if (now - w->beat_at >= WATCH_NO_TICK_US)
        return WATCH_DEAD_NO_TICK;
    if (w->judged != w->asked) {
        w->judged = w->asked;
        w->judged_at = now;
        w->stuck = !a->irq_on && !a->excused && a->beat == w->beat ? w->stuck + 1 : 0;
        if (w->stuck >= 2)
            return WATCH_DEAD_HUNG;
    }
    /* From the answer seen, not the probe sent: a late vCPU answers the
     * first probe and would get the second at once, in the same stretch. */
    return now - w->judged_at >= WATCH_REPROBE_US ? WATCH_PROBE : WATCH_WAIT;
}

void watch_probed(struct watch *w, uint64_t now, uint64_t seq)
{
    w->asked = seq;
    w->asked_at = now;
}

const char *watch_verdict_name(enum watch_verdict v)
{
    switch (v) {
    case WATCH_DEAD_SILENT:
        return "no answer to an NMI";
    case WATCH_DEAD_HUNG:
        return "hung with interrupts off";
    case WATCH_DEAD_NO_TICK:
        return "its timer stopped";
    default:
        return "alive";
    }
}
