/* Unit tests for percore/epoll.c: level-triggered reporting, EPOLLONESHOT
 * disarm and MOD re-arm reporting data already waiting (what ERTS relies
 * on), ADD/MOD/DEL errors, removal when a target's last reference goes,
 * fairness across calls, nesting and loops, and no leaks. Targets are fake
 * files whose poll mask the test sets, plus real pipes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "epoll.h"
#include "fake_kernel.h"
#include "pipe.h"

/* A target whose readiness is whatever *priv says. */
static uint32_t mask_poll(struct file *f) { return *(uint32_t *)f->priv; }
static const struct file_ops mask_ops = { .poll = mask_poll };
static const struct file_ops regular_ops = { .read = NULL }; /* no poll: a regular file */

#define NT 6
static uint32_t mask[NT];
static struct file *tgt[NT];
static struct file *ep;
static struct linux_epoll_event out[16];

static struct linux_epoll_event ev(uint32_t events, uint64_t data)
{
    struct linux_epoll_event e = { .events = events, .data = data };
    return e;
}

static int add(int fd, struct file *t, uint32_t events, uint64_t data)
{
    struct linux_epoll_event e = ev(events, data);
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, t, &e);
}

static int mod(int fd, struct file *t, uint32_t events, uint64_t data)
{
    struct linux_epoll_event e = ev(events, data);
    return epoll_ctl(ep, EPOLL_CTL_MOD, fd, t, &e);
}

static int setup(void **state)
{
    (void)state;
    fake_reset();
    for (int i = 0; i < NT; i++) {
        mask[i] = 0;
        tgt[i] = file_new(&mask_ops, O_RDWR, &mask[i]);
    }
    ep = epoll_new();
    assert_non_null(ep);
    assert_true(file_is_epoll(ep));
    assert_false(file_is_epoll(tgt[0]));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (ep)
        file_put(ep);
    ep = NULL;
    for (int i = 0; i < NT; i++)
        if (tgt[i])
            file_put(tgt[i]);
    assert_int_equal(fake_files_live(), 0);
    assert_int_equal(fake_blocks_live(), 0);
    return 0;
}

static void test_level_triggered(void **state)
{
    (void)state;
    assert_int_equal(add(3, tgt[0], EPOLLIN, 0x1122334455667788ull), 0);
    assert_int_equal(epoll_collect(ep, out, 16), 0);
    assert_int_equal(ep->ops->poll(ep), 0);
    mask[0] = POLLIN;
    assert_int_equal(ep->ops->poll(ep), POLLIN);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(epoll_collect(ep, out, 16), 1);
        assert_int_equal(out[0].events, EPOLLIN);
        assert_true(out[0].data == 0x1122334455667788ull);
    }
    mask[0] = 0;
    assert_int_equal(epoll_collect(ep, out, 16), 0);
}

static void test_interest_mask(void **state)
{
    (void)state;
    assert_int_equal(add(3, tgt[0], EPOLLIN, 1), 0);
    mask[0] = POLLOUT;
    assert_int_equal(epoll_collect(ep, out, 16), 0);
    mask[0] = POLLOUT | POLLIN;
    assert_int_equal(epoll_collect(ep, out, 16), 1);
    assert_int_equal(out[0].events, EPOLLIN);
    /* ERR and HUP are reported without being asked for. */
    mask[0] = POLLOUT | POLLHUP | POLLERR;
    assert_int_equal(epoll_collect(ep, out, 16), 1);
    assert_int_equal(out[0].events, EPOLLHUP | EPOLLERR);
    assert_int_equal(mod(3, tgt[0], EPOLLIN | EPOLLOUT, 2), 0);
    mask[0] = POLLOUT;
    assert_int_equal(epoll_collect(ep, out, 16), 1);
    assert_int_equal(out[0].events, EPOLLOUT);
    assert_true(out[0].data == 2);
}

static void test_ctl_errors(void **state)
{
    (void)state;
    struct linux_epoll_event e = ev(EPOLLIN, 0);
    assert_int_equal(add(3, tgt[0], EPOLLIN, 0), 0);
    assert_int_equal(add(3, tgt[0], EPOLLOUT, 0), -EEXIST);
    /* The key is (fd, file): the same file under another fd is another entry. */
    assert_int_equal(add(4, tgt[0], EPOLLIN, 4), 0);
    assert_int_equal(add(3, tgt[1], EPOLLIN, 5), 0);
    assert_int_equal(add(7, ep, EPOLLIN, 0), -EINVAL);
    assert_int_equal(mod(9, tgt[0], EPOLLIN, 0), -ENOENT);
    assert_int_equal(mod(3, tgt[2], EPOLLIN, 0), -ENOENT);
    assert_int_equal(epoll_ctl(ep, EPOLL_CTL_DEL, 9, tgt[0], NULL), -ENOENT);
    assert_int_equal(epoll_ctl(ep, 0, 3, tgt[0], &e), -EINVAL);
    assert_int_equal(epoll_ctl(ep, 4, 3, tgt[0], &e), -EINVAL);
    assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, 8, tgt[3], NULL), -EINVAL);
    assert_int_equal(epoll_ctl(tgt[1], EPOLL_CTL_ADD, 3, tgt[0], &e), -EINVAL);
    assert_int_equal(epoll_collect(tgt[1], out, 1), -EINVAL);
    assert_int_equal(epoll_collect(ep, out, 0), -EINVAL);
    struct file *reg = file_new(&regular_ops, O_RDONLY, NULL);
    assert_int_equal(add(5, reg, EPOLLIN, 0), -EPERM);
    file_put(reg);
    mask[0] = POLLIN;
    mask[1] = POLLIN;
    assert_int_equal(epoll_collect(ep, out, 16), 3);
}

static void test_oneshot_and_mod_rearm(void **state)
{
    (void)state;
    assert_int_equal(add(3, tgt[0], EPOLLIN | EPOLLONESHOT, 33), 0);
    mask[0] = POLLIN;
    assert_int_equal(epoll_collect(ep, out, 16), 1);
    assert_true(out[0].data == 33);
    /* Disarmed: still readable, but not reported, not even HUP. */
    assert_int_equal(epoll_collect(ep, out, 16), 0);
    mask[0] = POLLIN | POLLHUP;
    assert_int_equal(epoll_collect(ep, out, 16), 0);
    assert_int_equal(ep->ops->poll(ep), 0);
    /* MOD re-arms, and data already waiting is reported at once: ERTS
     * re-arms after reading only part of what is there. */
    fake_changed_reset(ep);
    mask[0] = POLLIN;
    assert_int_equal(mod(3, tgt[0], EPOLLIN | EPOLLONESHOT, 34), 0);
    assert_int_equal(fake_changed(ep), 1); /* wakes a sleeping epoll_wait */
    assert_int_equal(epoll_collect(ep, out, 16), 1);
    assert_int_equal(out[0].events, EPOLLIN);
    assert_true(out[0].data == 34);
    assert_int_equal(epoll_collect(ep, out, 16), 0);
    /* MOD with nothing waiting: armed, silent, then reports when data comes. */
    mask[0] = 0;
    assert_int_equal(mod(3, tgt[0], EPOLLIN | EPOLLONESHOT, 35), 0);
    assert_int_equal(fake_changed(ep), 1);
    assert_int_equal(epoll_collect(ep, out, 16), 0);
    mask[0] = POLLIN;
    assert_int_equal(epoll_collect(ep, out, 16), 1);
    assert_true(out[0].data == 35);
    assert_int_equal(epoll_collect(ep, out, 16), 0);
}

static void test_oneshot_only_fired_entries_disarm(void **state)
{
    (void)state;
    for (int i = 0; i < 4; i++)
        assert_int_equal(add(10 + i, tgt[i], EPOLLIN | EPOLLONESHOT, (uint64_t)i), 0);
    mask[1] = mask[2] = POLLIN;
    assert_int_equal(epoll_collect(ep, out, 1), 1); /* only one reported ... */
    uint64_t first = out[0].data;
    assert_int_equal(epoll_collect(ep, out, 16), 1); /* ... the other stays armed */
    assert_true(out[0].data != first);
    assert_true((first == 1 && out[0].data == 2) || (first == 2 && out[0].data == 1));
    mask[0] = mask[3] = POLLIN;
    assert_int_equal(epoll_collect(ep, out, 16), 2);
}

static void test_add_ready_wakes(void **state)
{
    (void)state;
    fake_changed_reset(ep);
    assert_int_equal(add(3, tgt[0], EPOLLIN, 0), 0);
    assert_int_equal(fake_changed(ep), 0);
    mask[1] = POLLOUT;
    assert_int_equal(add(4, tgt[1], EPOLLOUT, 0), 0);
    assert_int_equal(fake_changed(ep), 1);
}

static void test_del(void **state)
{
    (void)state;
    assert_int_equal(add(3, tgt[0], EPOLLIN, 1), 0);
    assert_int_equal(add(4, tgt[1], EPOLLIN, 2), 0);
    mask[0] = mask[1] = POLLIN;
    assert_int_equal(epoll_ctl(ep, EPOLL_CTL_DEL, 3, tgt[0], NULL), 0);
    assert_null(tgt[0]->epoll_links);
    assert_int_equal(epoll_collect(ep, out, 16), 1);
    assert_true(out[0].data == 2);
    assert_int_equal(epoll_ctl(ep, EPOLL_CTL_DEL, 3, tgt[0], NULL), -ENOENT);
    assert_int_equal(add(3, tgt[0], EPOLLIN, 3), 0);
    assert_int_equal(epoll_collect(ep, out, 16), 2);
    assert_int_equal(epoll_ctl(ep, EPOLL_CTL_DEL, 4, tgt[1], NULL), 0);
    assert_int_equal(epoll_ctl(ep, EPOLL_CTL_DEL, 3, tgt[0], NULL), 0);
    assert_int_equal(epoll_collect(ep, out, 16), 0);
    assert_int_equal(add(3, tgt[0], EPOLLIN, 4), 0);
    assert_int_equal(epoll_collect(ep, out, 16), 1);
}

static void test_removed_with_last_reference(void **state)
{
    (void)state;
    struct file *ep2 = epoll_new();
    struct linux_epoll_event e = ev(EPOLLIN, 7);
    assert_int_equal(add(3, tgt[0], EPOLLIN, 1), 0);
    assert_int_equal(add(5, tgt[0], EPOLLIN, 2), 0);
    assert_int_equal(add(4, tgt[1], EPOLLIN, 3), 0);
    assert_int_equal(epoll_ctl(ep2, EPOLL_CTL_ADD, 3, tgt[0], &e), 0);
    mask[0] = mask[1] = POLLIN;
    /* A dup'd reference going away changes nothing. */
    file_get(tgt[0]);
    file_put(tgt[0]);
    assert_int_equal(epoll_collect(ep, out, 16), 3);
    /* The last one drops every entry on it, in both epolls (the fake
     * file_put aborts if any link is left). */
    file_put(tgt[0]);
    tgt[0] = NULL;
    assert_int_equal(epoll_collect(ep, out, 16), 1);
    assert_true(out[0].data == 3);
    assert_int_equal(epoll_collect(ep2, out, 16), 0);
    assert_int_equal(epoll_ctl(ep, EPOLL_CTL_DEL, 4, tgt[1], NULL), 0);
    file_put(ep2);
}

static void test_release_epoll_unlinks_targets(void **state)
{
    (void)state;
    for (int i = 0; i < NT; i++)
        assert_int_equal(add(i, tgt[i], EPOLLIN, 0), 0);
    assert_non_null(tgt[2]->epoll_links);
    file_put(ep);
    ep = NULL;
    for (int i = 0; i < NT; i++)
        assert_null(tgt[i]->epoll_links);
}

static void test_fairness(void **state)
{
    (void)state;
    int seen[NT] = {0};
    for (int i = 0; i < NT; i++) {
        assert_int_equal(add(i, tgt[i], EPOLLIN, (uint64_t)i), 0);
        mask[i] = POLLIN;
    }
    /* Two at a time: three calls serve all six, in turn, then it wraps. */
    for (int call = 0; call < 6; call++) {
        assert_int_equal(epoll_collect(ep, out, 2), 2);
        for (int k = 0; k < 2; k++) {
            assert_true(out[k].data == (uint64_t)((call * 2 + k) % NT));
            seen[out[k].data]++;
        }
    }
    for (int i = 0; i < NT; i++)
        assert_int_equal(seen[i], 2);
    /* One always-busy fd cannot starve a quiet one. */
    for (int i = 2; i < NT; i++)
        mask[i] = 0;
    int got1 = 0;
    for (int call = 0; call < 4; call++) {
        assert_int_equal(epoll_collect(ep, out, 1), 1);
        got1 += out[0].data == 1;
    }
    assert_int_equal(got1, 2);
}

static void test_fairness_cursor_deleted(void **state)
{
    (void)state;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(add(i, tgt[i], EPOLLIN, (uint64_t)i), 0);
        mask[i] = POLLIN;
    }
    assert_int_equal(epoll_collect(ep, out, 1), 1);
    assert_true(out[0].data == 0);
    /* The next start (entry 1) goes away: the walk goes on from entry 2. */
    assert_int_equal(epoll_ctl(ep, EPOLL_CTL_DEL, 1, tgt[1], NULL), 0);
    assert_int_equal(epoll_collect(ep, out, 1), 1);
    assert_true(out[0].data == 2);
    file_put(tgt[3]);
    tgt[3] = NULL;
    assert_int_equal(epoll_collect(ep, out, 16), 2);
    assert_true(out[0].data == 0);
    assert_true(out[1].data == 2);
}

static void test_edge_triggered_is_level(void **state)
{
    (void)state;
    assert_int_equal(add(3, tgt[0], EPOLLIN | EPOLLET, 9), 0);
    mask[0] = POLLIN;
    assert_int_equal(epoll_collect(ep, out, 16), 1);
    assert_int_equal(out[0].events, EPOLLIN); /* control bits never reported */
    assert_int_equal(epoll_collect(ep, out, 16), 1);
}

static void test_nested_and_loops(void **state)
{
    (void)state;
    struct file *inner = epoll_new();
    struct linux_epoll_event e = ev(EPOLLIN, 0);
    assert_int_equal(epoll_ctl(inner, EPOLL_CTL_ADD, 3, tgt[0], &e), 0);
    assert_int_equal(add(9, inner, EPOLLIN, 99), 0);
    assert_int_equal(epoll_collect(ep, out, 16), 0);
    mask[0] = POLLIN;
    assert_int_equal(inner->ops->poll(inner), POLLIN);
    assert_int_equal(epoll_collect(ep, out, 16), 1);
    assert_true(out[0].data == 99);
    /* Polling the outer one does not consume the inner one's events. */
    assert_int_equal(epoll_collect(inner, out, 16), 1);
    /* inner -> ep would close a loop. */
    assert_int_equal(epoll_ctl(inner, EPOLL_CTL_ADD, 10, ep, &e), -ELOOP);
    /* A chain deeper than EPOLL_MAX_NESTS is refused too. */
    struct file *chain[EPOLL_MAX_NESTS + 2];
    chain[0] = epoll_new();
    int res = 0, i;
    for (i = 1; i < EPOLL_MAX_NESTS + 2 && res == 0; i++) {
        chain[i] = epoll_new();
        res = epoll_ctl(chain[i], EPOLL_CTL_ADD, 3, chain[i - 1], &e);
    }
    assert_int_equal(res, -ELOOP);
    while (i-- > 0)
        file_put(chain[i]);
    /* Releasing the inner epoll removes the outer entry on it. */
    file_put(inner);
    assert_int_equal(epoll_collect(ep, out, 16), 0);
}

static void test_pipe_targets(void **state)
{
    (void)state;
    struct file *rd, *wr;
    assert_int_equal(pipe_create(O_NONBLOCK, &rd, &wr), 0);
    assert_int_equal(add(3, rd, EPOLLIN | EPOLLONESHOT, 3), 0);
    assert_int_equal(add(4, wr, EPOLLOUT | EPOLLONESHOT, 4), 0);
    assert_int_equal(epoll_collect(ep, out, 16), 1);
    assert_true(out[0].data == 4);
    assert_int_equal(wr->ops->write(wr, "abcdef", 6), 6);
    assert_int_equal(epoll_collect(ep, out, 16), 1);
    assert_true(out[0].data == 3);
    char buf[4];
    assert_int_equal(rd->ops->read(rd, buf, 2), 2);
    assert_int_equal(mod(3, rd, EPOLLIN | EPOLLONESHOT, 5), 0);
    assert_int_equal(epoll_collect(ep, out, 16), 1); /* 4 bytes still waiting */
    assert_true(out[0].data == 5);
    /* The writer goes: the reader gets HUP after re-arming. */
    file_put(wr);
    assert_int_equal(mod(3, rd, EPOLLIN | EPOLLONESHOT, 6), 0);
    assert_int_equal(epoll_collect(ep, out, 16), 1);
    assert_int_equal(out[0].events, EPOLLIN | EPOLLHUP);
    file_put(rd);
    assert_int_equal(epoll_collect(ep, out, 16), 0);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    fake_fail_alloc_at(0);
    assert_int_equal(add(3, tgt[0], EPOLLIN, 0), -ENOMEM);
    assert_null(tgt[0]->epoll_links);
    mask[0] = POLLIN;
    assert_int_equal(epoll_collect(ep, out, 16), 0);
    fake_fail_alloc_at(0);
    assert_null(epoll_new());
    fake_fail_alloc_at(1);
    assert_null(epoll_new());
    fake_fail_alloc_at(-1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_level_triggered),
        T(test_interest_mask),
        T(test_ctl_errors),
        T(test_oneshot_and_mod_rearm),
        T(test_oneshot_only_fired_entries_disarm),
        T(test_add_ready_wakes),
        T(test_del),
        T(test_removed_with_last_reference),
        T(test_release_epoll_unlinks_targets),
        T(test_fairness),
        T(test_fairness_cursor_deleted),
        T(test_edge_triggered_is_level),
        T(test_nested_and_loops),
        T(test_pipe_targets),
        T(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
