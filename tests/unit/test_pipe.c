/* Unit tests for percore/pipe.c: the ring (wrap-around, full, empty), EOF,
 * EPIPE, PIPE_BUF atomicity, poll bits, and the file_changed() announcements
 * that wake the other end, counted through the fake file layer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"
#include "pipe.h"

static uint8_t big[PIPE_SIZE + 100], got[PIPE_SIZE + 100];
static struct file *rd, *wr;

static int setup(void **state)
{
    (void)state;
    fake_reset();
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 7 + i / 251);
    assert_int_equal(pipe_create(0, &rd, &wr), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (rd)
        file_put(rd);
    if (wr)
        file_put(wr);
    rd = wr = NULL;
    assert_int_equal(fake_files_live(), 0);
    assert_int_equal(fake_blocks_live(), 0);
    return 0;
}

static void test_create_flags(void **state)
{
    (void)state;
    assert_int_equal(rd->flags & O_ACCMODE, O_RDONLY);
    assert_int_equal(wr->flags & O_ACCMODE, O_WRONLY);
    assert_int_equal(rd->flags & O_NONBLOCK, 0);
    struct file *r2, *w2;
    assert_int_equal(pipe_create(O_NONBLOCK | O_CLOEXEC, &r2, &w2), 0);
    assert_int_equal(r2->flags, O_RDONLY | O_NONBLOCK);
    assert_int_equal(w2->flags, O_WRONLY | O_NONBLOCK);
    assert_null(r2->ops->write);
    assert_null(w2->ops->read);
    struct linux_stat st;
    assert_int_equal(r2->ops->stat(r2, &st), 0);
    assert_int_equal(st.st_mode & S_IFMT, S_IFIFO);
    file_put(w2);
    file_put(r2);
}

static void test_create_out_of_memory(void **state)
{
    (void)state;
    for (int n = 0; n < 4; n++) {
        struct file *r2 = NULL, *w2 = NULL;
        int files = fake_files_live(), blocks = fake_blocks_live();
        fake_fail_alloc_at(n);
        assert_int_equal(pipe_create(0, &r2, &w2), -ENOMEM);
        assert_int_equal(fake_files_live(), files);
        assert_int_equal(fake_blocks_live(), blocks);
    }
    fake_fail_alloc_at(-1);
}

static void test_empty_then_data(void **state)
{
    (void)state;
    assert_int_equal(rd->ops->read(rd, got, 10), -EAGAIN);
    assert_int_equal(rd->ops->poll(rd), 0);
    assert_int_equal(wr->ops->poll(wr), POLLOUT);
    assert_int_equal(wr->ops->write(wr, "hello", 5), 5);
    assert_int_equal(rd->ops->poll(rd), POLLIN);
    int n = -1;
    assert_int_equal(rd->ops->ioctl(rd, FIONREAD, &n), 0);
    assert_int_equal(n, 5);
    assert_int_equal(rd->ops->read(rd, got, 3), 3);
    assert_memory_equal(got, "hel", 3);
    assert_int_equal(rd->ops->read(rd, got, 100), 2);
    assert_memory_equal(got, "lo", 2);
    assert_int_equal(rd->ops->read(rd, got, 100), -EAGAIN);
    assert_int_equal(rd->ops->read(rd, got, 0), 0);
    assert_int_equal(wr->ops->write(wr, "x", 0), 0);
}

static void test_fill_and_full(void **state)
{
    (void)state;
    assert_int_equal(wr->ops->write(wr, big, PIPE_SIZE + 100), PIPE_SIZE);
    assert_int_equal(wr->ops->poll(wr), 0);
    assert_int_equal(wr->ops->write(wr, big, 1), -EAGAIN);
    assert_int_equal(wr->ops->write(wr, big, PIPE_BUF + 1), -EAGAIN);
    assert_int_equal(rd->ops->read(rd, got, sizeof(got)), PIPE_SIZE);
    assert_memory_equal(got, big, PIPE_SIZE);
    assert_int_equal(wr->ops->poll(wr), POLLOUT);
}

static void test_wrap_around(void **state)
{
    (void)state;
    /* Move the head near the end, then write across the end of the ring. */
    assert_int_equal(wr->ops->write(wr, big, PIPE_SIZE - 10), PIPE_SIZE - 10);
    assert_int_equal(rd->ops->read(rd, got, PIPE_SIZE - 20), PIPE_SIZE - 20);
    /* 10 bytes left at the very end; write 3000 more: 10 + 3000 wrap. */
    assert_int_equal(wr->ops->write(wr, big + 5000, 3000), 3000);
    assert_int_equal(rd->ops->read(rd, got, sizeof(got)), 3010);
    assert_memory_equal(got, big + PIPE_SIZE - 20, 10);
    assert_memory_equal(got + 10, big + 5000, 3000);

    /* A read that crosses the end and leaves data behind, then more
     * traffic: the head must wrap, not run off the ring. */
    assert_int_equal(wr->ops->write(wr, big, PIPE_SIZE - 10), PIPE_SIZE - 10);
    assert_int_equal(rd->ops->read(rd, got, PIPE_SIZE - 30), PIPE_SIZE - 30);
    assert_int_equal(wr->ops->write(wr, big + 100, 1000), 1000); /* 20 + 1000 queued, wrapped */
    assert_int_equal(rd->ops->read(rd, got, 520), 520);          /* head crosses the end */
    assert_memory_equal(got, big + PIPE_SIZE - 30, 20);
    assert_memory_equal(got + 20, big + 100, 500);
    assert_int_equal(wr->ops->write(wr, big + 7, PIPE_SIZE - 500), PIPE_SIZE - 500);
    assert_int_equal(wr->ops->write(wr, big, 1), -EAGAIN);
    assert_int_equal(rd->ops->read(rd, got, sizeof(got)), PIPE_SIZE);
    assert_memory_equal(got, big + 600, 500);
    assert_memory_equal(got + 500, big + 7, PIPE_SIZE - 500);

    /* Writes into a ring whose queued data already wraps. */
    assert_int_equal(wr->ops->write(wr, big, PIPE_SIZE), PIPE_SIZE);
    assert_int_equal(rd->ops->read(rd, got, 100), 100);
    assert_int_equal(wr->ops->write(wr, big + 1, 50), 50);
    assert_int_equal(wr->ops->write(wr, big + 2, 50), 50);
    assert_int_equal(rd->ops->read(rd, got, sizeof(got)), PIPE_SIZE);
    assert_memory_equal(got, big + 100, PIPE_SIZE - 100);
    assert_memory_equal(got + PIPE_SIZE - 100, big + 1, 50);
    assert_memory_equal(got + PIPE_SIZE - 50, big + 2, 50);

    /* Many rounds of odd sizes keep the byte stream in order. */
    size_t wpos = 0, rpos = 0;
    for (int round = 0; round < 200; round++) {
        size_t w = (size_t)(round * 977) % 9000 + 1;
        if (wpos + w > sizeof(big))
            wpos = rpos = 0;
        int64_t n = wr->ops->write(wr, big + wpos, w);
        assert_true(n > 0);
        wpos += (size_t)n;
        size_t r = (size_t)(round * 1361) % 9000 + 1;
        int64_t m = rd->ops->read(rd, got, r);
        assert_true(m > 0);
        assert_memory_equal(got, big + rpos, (size_t)m);
        rpos += (size_t)m;
        if (rpos == wpos)
            wpos = rpos = 0;
        else if (wpos + 9000 > sizeof(big)) {
            /* drain so the next round restarts at 0 */
            m = rd->ops->read(rd, got, sizeof(got));
            assert_int_equal(m, (int64_t)(wpos - rpos));
            assert_memory_equal(got, big + rpos, (size_t)m);
            wpos = rpos = 0;
        }
    }
}

static void test_atomic_small_writes(void **state)
{
    (void)state;
    assert_int_equal(wr->ops->write(wr, big, PIPE_SIZE - 100), PIPE_SIZE - 100);
    /* 100 bytes free: a 101-byte write is all or nothing. */
    assert_int_equal(wr->ops->write(wr, big, 101), -EAGAIN);
    assert_int_equal(wr->ops->write(wr, big, PIPE_BUF), -EAGAIN);
    int n;
    rd->ops->ioctl(rd, FIONREAD, &n);
    assert_int_equal(n, PIPE_SIZE - 100);
    /* Fewer free than PIPE_BUF: not writable by poll's rule. */
    assert_int_equal(wr->ops->poll(wr), 0);
    /* A large write is split: it takes what fits. */
    assert_int_equal(wr->ops->write(wr, big, PIPE_BUF + 1), 100);
    assert_int_equal(rd->ops->read(rd, got, PIPE_BUF - 1), PIPE_BUF - 1);
    assert_int_equal(wr->ops->poll(wr), 0);
    assert_int_equal(rd->ops->read(rd, got, 1), 1);
    assert_int_equal(wr->ops->poll(wr), POLLOUT);
    assert_int_equal(wr->ops->write(wr, big, PIPE_BUF), PIPE_BUF);
}

static void test_eof_after_writer_closes(void **state)
{
    (void)state;
    assert_int_equal(wr->ops->write(wr, "abc", 3), 3);
    fake_changed_reset(rd);
    file_put(wr);
    wr = NULL;
    assert_int_equal(fake_changed(rd), 1);
    assert_int_equal(rd->ops->poll(rd), POLLIN | POLLHUP);
    assert_int_equal(rd->ops->read(rd, got, 10), 3); /* data first */
    assert_int_equal(rd->ops->read(rd, got, 10), 0);
    assert_int_equal(rd->ops->read(rd, got, 10), 0);
    assert_int_equal(rd->ops->poll(rd), POLLIN | POLLHUP);
}

static void test_dup_keeps_writer(void **state)
{
    (void)state;
    file_get(wr);
    file_put(wr); /* one reference left: still a writer */
    assert_int_equal(rd->ops->read(rd, got, 10), -EAGAIN);
    assert_int_equal(rd->ops->poll(rd), 0);
}

static void test_epipe_after_reader_closes(void **state)
{
    (void)state;
    assert_int_equal(wr->ops->write(wr, "abc", 3), 3);
    fake_changed_reset(wr);
    file_put(rd);
    rd = NULL;
    assert_int_equal(fake_changed(wr), 1);
    assert_int_equal(wr->ops->poll(wr), POLLERR);
    assert_int_equal(wr->ops->write(wr, "x", 1), -EPIPE);
    assert_int_equal(wr->ops->write(wr, big, PIPE_SIZE), -EPIPE);
}

static void test_notifications(void **state)
{
    (void)state;
    fake_changed_reset(rd);
    fake_changed_reset(wr);
    assert_int_equal(wr->ops->write(wr, "abc", 3), 3);
    assert_int_equal(fake_changed(rd), 1);
    assert_int_equal(fake_changed(wr), 0);
    assert_int_equal(rd->ops->read(rd, got, 1), 1);
    assert_int_equal(fake_changed(wr), 1);
    /* Failed operations change nothing and announce nothing. */
    assert_int_equal(rd->ops->read(rd, got, 10), 2);
    assert_int_equal(fake_changed(wr), 2);
    assert_int_equal(rd->ops->read(rd, got, 10), -EAGAIN);
    assert_int_equal(fake_changed(wr), 2);
    assert_int_equal(wr->ops->write(wr, big, PIPE_SIZE), PIPE_SIZE);
    assert_int_equal(fake_changed(rd), 2);
    assert_int_equal(wr->ops->write(wr, big, 1), -EAGAIN);
    assert_int_equal(fake_changed(rd), 2);
    assert_true(fake_poll_notifies() >= 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_out_of_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_then_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fill_and_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrap_around, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_small_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eof_after_writer_closes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dup_keeps_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_epipe_after_reader_closes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notifications, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
