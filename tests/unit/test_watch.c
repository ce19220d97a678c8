/* Unit tests for percore/watch.c: what a checking core concludes about
 * another from its heartbeat and its answers to NMI probes. Times in us. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "watch.h"

#define MS 1000ull

/* The target, as the checker sees it: heartbeat and last NMI answer. */
struct target {
    uint64_t beat, asked;
    struct watch_answer answer;
};

static enum watch_verdict judge(struct watch *w, struct target *t, uint64_t now)
{
    enum watch_verdict v = watch_judge(w, now, t->beat, &t->answer);
    if (v == WATCH_PROBE)
        watch_probed(w, now, ++t->asked);
    return v;
}

static void answer(struct target *t, bool irq_on)
{
    t->answer = (struct watch_answer){.seq = t->asked, .beat = t->beat, .irq_on = irq_on};
}

/* A core that ticks every 10 ms is never probed. */
static void test_beating_core_is_fine(void **state)
{
    (void)state;
    struct watch w = {0};
    struct target t = {.beat = 1};
    for (uint64_t now = 1; now < 5000 * MS; now += 10 * MS, t.beat++)
        assert_int_equal(judge(&w, &t, now), WATCH_FINE);
    assert_int_equal(t.asked, 0);
}

/* The first look, whatever the time, only records the heartbeat. */
static void test_first_sight_is_fine(void **state)
{
    (void)state;
    struct watch w = {0};
    struct target t = {.beat = 7};
    assert_int_equal(judge(&w, &t, 100000 * MS), WATCH_FINE);
    assert_int_equal(judge(&w, &t, 100000 * MS + WATCH_STALE_US - 1), WATCH_FINE);
    assert_int_equal(judge(&w, &t, 100000 * MS + WATCH_STALE_US), WATCH_PROBE);
}

/* Interrupts off, answering NMIs: dead at the second answer, about 50 ms
 * after its last tick, never at the first. */
static void test_hung_with_interrupts_off(void **state)
{
    (void)state;
    struct watch w = {0};
    struct target t = {.beat = 3};
    assert_int_equal(judge(&w, &t, 0 + 1), WATCH_FINE);
    assert_int_equal(judge(&w, &t, 20 * MS), WATCH_FINE);
    assert_int_equal(judge(&w, &t, 31 * MS), WATCH_PROBE);
    assert_int_equal(judge(&w, &t, 35 * MS), WATCH_WAIT); /* not answered yet */
    answer(&t, false);
    assert_int_equal(judge(&w, &t, 37 * MS), WATCH_WAIT); /* one answer is not enough */
    assert_int_equal(judge(&w, &t, 46 * MS), WATCH_WAIT); /* the next probe: 10 ms after the answer */
    assert_int_equal(judge(&w, &t, 47 * MS), WATCH_PROBE);
    answer(&t, false);
    assert_int_equal(judge(&w, &t, 48 * MS), WATCH_DEAD_HUNG);
}

/* A core the host did not run for 200 ms answers late, from code with
 * interrupts on, then ticks: never judged dead. */
static void test_late_vcpu_is_not_dead(void **state)
{
    (void)state;
    struct watch w = {0};
    struct target t = {.beat = 3};
    judge(&w, &t, 1);
    assert_int_equal(judge(&w, &t, 40 * MS), WATCH_PROBE);
    for (uint64_t now = 50 * MS; now < 200 * MS; now += 10 * MS)
        assert_int_equal(judge(&w, &t, now), WATCH_WAIT);
    answer(&t, true);
    assert_int_equal(judge(&w, &t, 210 * MS), WATCH_WAIT);
    assert_int_equal(judge(&w, &t, 220 * MS), WATCH_PROBE); /* asks again: still no tick */
    t.beat++;
    assert_int_equal(judge(&w, &t, 221 * MS), WATCH_FINE);
    assert_int_equal(judge(&w, &t, 230 * MS), WATCH_FINE);
}

/* A late vCPU caught with interrupts off by its first answer is not asked
 * again at once: the next probe waits 10 ms from that answer, long enough
 * for the tick it owes. */
static void test_late_answer_then_a_tick(void **state)
{
    (void)state;
    struct watch w = {0};
    struct target t = {.beat = 3};
    judge(&w, &t, 1);
    assert_int_equal(judge(&w, &t, 40 * MS), WATCH_PROBE);
    assert_int_equal(judge(&w, &t, 150 * MS), WATCH_WAIT);
    answer(&t, false);
    assert_int_equal(judge(&w, &t, 160 * MS), WATCH_WAIT); /* 120 ms after the probe, yet no second one */
    t.beat++;
    assert_int_equal(judge(&w, &t, 165 * MS), WATCH_FINE);
}

/* Late, and caught once with interrupts off: the tick that follows clears it. */
static void test_one_answer_with_interrupts_off_is_forgiven(void **state)
{
    (void)state;
    struct watch w = {0};
    struct target t = {.beat = 3};
    judge(&w, &t, 1);
    assert_int_equal(judge(&w, &t, 40 * MS), WATCH_PROBE);
    answer(&t, false);
    assert_int_equal(judge(&w, &t, 50 * MS), WATCH_WAIT);
    assert_int_equal(judge(&w, &t, 60 * MS), WATCH_PROBE);
    answer(&t, true); /* the stuck count starts again */
    assert_int_equal(judge(&w, &t, 61 * MS), WATCH_WAIT);
    assert_int_equal(judge(&w, &t, 71 * MS), WATCH_PROBE);
    answer(&t, false);
    assert_int_equal(judge(&w, &t, 72 * MS), WATCH_WAIT);
    t.beat++;
    assert_int_equal(judge(&w, &t, 80 * MS), WATCH_FINE);
}

/* Silent for a second after a probe: dead by silence, not before. */
static void test_silent_core_is_dead_after_the_answer_time(void **state)
{
    (void)state;
    struct watch w = {0};
    struct target t = {.beat = 3};
    judge(&w, &t, 1);
    assert_int_equal(judge(&w, &t, 31 * MS), WATCH_PROBE);
    assert_int_equal(judge(&w, &t, 31 * MS + WATCH_ANSWER_US - 1), WATCH_WAIT);
    assert_int_equal(judge(&w, &t, 31 * MS + WATCH_ANSWER_US), WATCH_DEAD_SILENT);
}

/* Answers from code with interrupts on, but the timer never ticks again. */
static void test_no_tick_with_answers(void **state)
{
    (void)state;
    struct watch w = {0};
    struct target t = {.beat = 3};
    judge(&w, &t, 1);
    enum watch_verdict v = WATCH_FINE;
    uint64_t now;
    for (now = 10 * MS; now <= 2000 * MS && v != WATCH_DEAD_NO_TICK; now += 10 * MS) {
        v = judge(&w, &t, now);
        answer(&t, true);
        assert_true(v == WATCH_FINE || v == WATCH_PROBE || v == WATCH_WAIT || v == WATCH_DEAD_NO_TICK);
    }
    assert_int_equal(v, WATCH_DEAD_NO_TICK);
    assert_true(now - 10 * MS >= WATCH_NO_TICK_US);
}

/* At the console with interrupts off (printing a long report at 115200
 * baud, or waiting for a core that does): not hung, however many answers
 * say so, until the no-tick limit; the tick after it clears everything. */
static void test_console_output_is_not_a_hang(void **state)
{
    (void)state;
    struct watch w = {0};
    struct target t = {.beat = 3};
    judge(&w, &t, 1);
    for (uint64_t now = 10 * MS; now < 200 * MS; now += 5 * MS) {
        enum watch_verdict v = judge(&w, &t, now);
        assert_true(v == WATCH_FINE || v == WATCH_PROBE || v == WATCH_WAIT);
        t.answer = (struct watch_answer){.seq = t.asked, .beat = t.beat, .irq_on = false, .excused = true};
    }
    assert_true(t.asked >= 3);
    t.beat++;
    assert_int_equal(judge(&w, &t, 200 * MS), WATCH_FINE);
}

/* An answer to an older probe does not count for the one in flight. */
static void test_stale_answer_is_not_an_answer(void **state)
{
    (void)state;
    struct watch w = {0};
    struct target t = {.beat = 3};
    judge(&w, &t, 1);
    judge(&w, &t, 30 * MS);
    answer(&t, false);
    judge(&w, &t, 41 * MS); /* second probe; the answer is to the first */
    t.answer.seq = t.asked - 1;
    assert_int_equal(judge(&w, &t, 45 * MS), WATCH_WAIT);
    assert_int_equal(judge(&w, &t, 41 * MS + WATCH_ANSWER_US), WATCH_DEAD_SILENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_beating_core_is_fine),
        cmocka_unit_test(test_first_sight_is_fine),
        cmocka_unit_test(test_hung_with_interrupts_off),
        cmocka_unit_test(test_late_vcpu_is_not_dead),
        cmocka_unit_test(test_late_answer_then_a_tick),
        cmocka_unit_test(test_one_answer_with_interrupts_off_is_forgiven),
        cmocka_unit_test(test_silent_core_is_dead_after_the_answer_time),
        cmocka_unit_test(test_no_tick_with_answers),
        cmocka_unit_test(test_console_output_is_not_a_hang),
        cmocka_unit_test(test_stale_answer_is_not_an_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
