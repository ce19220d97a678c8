/* Unit tests for percore/tty.c: canonical-mode editing and echo (CR, erase,
 * kill, word erase, EOF, long lines in pieces, control characters as data),
 * readiness only on whole lines, non-canonical mode, termios round trip,
 * window size, FIONREAD, output processing in one out() call, bounded input
 * with dropped bytes counted, several open files, and no leaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"
#include "tty.h"

static char outbuf[1 << 18];
static size_t outlen;
static int outcalls;
static struct tty *tty;
static struct file *f;

static void capture(const char *s, uint64_t n, void *ctx)
{
    assert_ptr_equal(ctx, &outcalls);
    assert_true(outlen + n <= sizeof(outbuf));
    memcpy(outbuf + outlen, s, n);
    outlen += n;
    outcalls++;
}

static void out_clear(void)
{
    outlen = 0;
    outcalls = 0;
}

#define assert_output(s)                                  \
    do {                                                  \
        assert_int_equal(outlen, sizeof(s) - 1);          \
        assert_memory_equal(outbuf, s, sizeof(s) - 1);    \
    } while (0)

static void type(const char *s)
{
    while (*s)
        tty_input(tty, *s++);
}

static void type_n(char c, int n)
{
    while (n--)
        tty_input(tty, c);
}

/* Reads up to len bytes into a static buffer; the result or -errno. */
static char rbuf[TTY_INPUT_SIZE + 100];
static int64_t rd(uint64_t len)
{
    memset(rbuf, 0, sizeof(rbuf));
    return f->ops->read(f, rbuf, len);
}

static struct linux_termios get_tio(void)
{
    struct linux_termios tio;
    assert_int_equal(f->ops->ioctl(f, TCGETS, &tio), 0);
    return tio;
}

static void set_lflag(uint32_t set, uint32_t clear)
{
    struct linux_termios tio = get_tio();
    tio.c_lflag = (tio.c_lflag | set) & ~clear;
    assert_int_equal(f->ops->ioctl(f, TCSETS, &tio), 0);
}

static int fionread(void)
{
    int n = -1;
    assert_int_equal(f->ops->ioctl(f, FIONREAD, &n), 0);
    return n;
}

static int setup(void **state)
{
    (void)state;
    fake_reset();
    out_clear();
    tty = tty_new(capture, &outcalls);
    assert_non_null(tty);
    f = tty_open(tty, 0);
    assert_non_null(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (f)
        file_put(f);
    f = NULL;
    tty_free(tty);
    assert_int_equal(fake_files_live(), 0);
    assert_int_equal(fake_blocks_live(), 0);
    return 0;
}

static void test_defaults_and_ioctls(void **state)
{
    (void)state;
    struct linux_termios tio = get_tio();
    assert_true(tio.c_lflag & ICANON);
    assert_true(tio.c_lflag & ECHO);
    assert_true(tio.c_lflag & ISIG);
    assert_true(tio.c_iflag & ICRNL);
    assert_int_equal(tio.c_oflag & (OPOST | ONLCR), OPOST | ONLCR);
    assert_int_equal(tio.c_cflag & CS8, CS8);
    assert_int_equal(tio.c_cc[VERASE], 0x7f);
    assert_int_equal(tio.c_cc[VKILL], 0x15);
    assert_int_equal(tio.c_cc[VEOF], 0x04);
    assert_int_equal(tio.c_cc[VINTR], 0x03);
    assert_int_equal(tio.c_cc[VMIN], 1);
    assert_int_equal(f->flags, O_RDWR);
    struct linux_winsize ws = {0};
    assert_int_equal(f->ops->ioctl(f, TIOCGWINSZ, &ws), 0);
    assert_int_equal(ws.ws_col, 80);
    assert_int_equal(ws.ws_row, 24);
    ws.ws_col = 132;
    ws.ws_row = 50;
    assert_int_equal(f->ops->ioctl(f, TIOCSWINSZ, &ws), 0);
    memset(&ws, 0, sizeof(ws));
    assert_int_equal(f->ops->ioctl(f, TIOCGWINSZ, &ws), 0);
    assert_int_equal(ws.ws_col, 132);
    assert_int_equal(ws.ws_row, 50);
    assert_int_equal(f->ops->ioctl(f, 0x5409 /* TCSBRK */, &ws), -ENOTTY);
    assert_int_equal(f->ops->ioctl(f, FIONBIO, &ws), -ENOTTY);
    struct linux_stat st;
    assert_int_equal(f->ops->stat(f, &st), 0);
    assert_int_equal(st.st_mode & S_IFMT, S_IFCHR);
    struct file *nb = tty_open(tty, O_NONBLOCK | O_CLOEXEC);
    assert_int_equal(nb->flags, O_RDWR | O_NONBLOCK);
    file_put(nb);
}

static void test_termios_round_trip(void **state)
{
    (void)state;
    struct linux_termios tio;
    memset(&tio, 0, sizeof(tio));
    tio.c_iflag = 0x1234 & ~(ICRNL | INLCR | IGNCR);
    tio.c_oflag = 0;
    tio.c_cflag = 0x4321;
    tio.c_lflag = ECHOE | ISIG;
    tio.c_line = 3;
    for (int i = 0; i < 32; i++)
        tio.c_cc[i] = (uint8_t)(0x40 + i);
    tio.c_ispeed = 9600;
    tio.c_ospeed = 115200;
    assert_int_equal(f->ops->ioctl(f, TCSETSW, &tio), 0);
    struct linux_termios back = get_tio();
    assert_memory_equal(&back, &tio, sizeof(tio));
}

static void test_line_echo_and_readiness(void **state)
{
    (void)state;
    assert_int_equal(f->ops->poll(f), POLLOUT);
    type("hi");
    assert_output("hi");
    assert_int_equal(rd(100), -EAGAIN);
    assert_int_equal(f->ops->poll(f), POLLOUT);
    assert_int_equal(fake_changed(f), 0); /* not a whole line yet */
    assert_int_equal(fionread(), 0);
    type("\r");
    assert_output("hi\r\n");
    assert_int_equal(fake_changed(f), 1);
    assert_int_equal(f->ops->poll(f), POLLIN | POLLOUT);
    assert_int_equal(fionread(), 3);
    assert_int_equal(rd(100), 3);
    assert_string_equal(rbuf, "hi\n"); /* CR delivered as '\n' */
    assert_int_equal(rd(100), -EAGAIN);
    assert_int_equal(f->ops->poll(f), POLLOUT);
    type("x\n"); /* LF ends a line too */
    assert_int_equal(rd(100), 2);
    assert_string_equal(rbuf, "x\n");
}

static void test_one_line_per_read(void **state)
{
    (void)state;
    type("one\rtwo\rthree\r");
    assert_int_equal(fionread(), 14);
    assert_int_equal(rd(100), 4);
    assert_string_equal(rbuf, "one\n");
    assert_int_equal(rd(2), 2);
    assert_string_equal(rbuf, "tw");
    assert_int_equal(f->ops->poll(f), POLLIN | POLLOUT);
    assert_int_equal(rd(100), 2);
    assert_string_equal(rbuf, "o\n");
    assert_int_equal(rd(100), 6);
    assert_string_equal(rbuf, "three\n");
    assert_int_equal(rd(100), -EAGAIN);
}

static void test_erase(void **state)
{
    (void)state;
    type("abc\x7f\x7fx\bz\r");
    assert_output("abc\b \b\b \bx\b \bz\r\n");
    assert_int_equal(rd(100), 3);
    assert_string_equal(rbuf, "az\n");
    /* Never past the line start, nor into a finished line. */
    out_clear();
    type("\x7f\b");
    assert_output("");
    type("ok\r\x7f\x7f\x7fno\r");
    assert_int_equal(rd(100), 3);
    assert_string_equal(rbuf, "ok\n");
    assert_int_equal(rd(100), 3);
    assert_string_equal(rbuf, "no\n");
    /* A UTF-8 character goes whole, rubbed out as one column; a control
     * character shown as ^G takes two. */
    out_clear();
    type("a\xc3\xa9\x7f\a\x7f\r");
    assert_output("a\xc3\xa9\b \b^G\b \b\b \b\r\n");
    assert_int_equal(rd(100), 2);
    assert_string_equal(rbuf, "a\n");
}

static void test_kill_and_word_erase(void **state)
{
    (void)state;
    type("hello");
    out_clear();
    type("\x15");
    assert_output("\b \b\b \b\b \b\b \b\b \b");
    type("ok\r");
    assert_int_equal(rd(100), 3);
    assert_string_equal(rbuf, "ok\n");
    type("foo bar  \x17" "baz\r");
    assert_int_equal(rd(100), 8);
    assert_string_equal(rbuf, "foo baz\n");
    type("\x15\x15\r"); /* kill on an empty line: harmless */
    assert_int_equal(rd(100), 1);
}

static void test_eof(void **state)
{
    (void)state;
    type("\x04");
    assert_output(""); /* ^D is not echoed */
    assert_int_equal(fake_changed(f), 1);
    assert_int_equal(f->ops->poll(f), POLLIN | POLLOUT);
    assert_int_equal(rd(100), 0);
    assert_int_equal(rd(100), -EAGAIN); /* EOF once */
    /* On a non-empty line ^D ends it without a newline. */
    type("abc\x04");
    assert_int_equal(rd(100), 3);
    assert_string_equal(rbuf, "abc");
    assert_int_equal(rd(100), -EAGAIN);
    type("x\x04\x04");
    assert_int_equal(rd(100), 1);
    assert_int_equal(rd(100), 0);
}

static void test_long_line_in_pieces(void **state)
{
    (void)state;
    type_n('a', TTY_LINE_MAX - 1);
    assert_int_equal(f->ops->poll(f), POLLOUT);
    type("bcd\r"); /* 'b' fills the buffer: that piece is readable */
    assert_int_equal(rd(sizeof(rbuf)), TTY_LINE_MAX);
    assert_int_equal(rbuf[0], 'a');
    assert_int_equal(rbuf[TTY_LINE_MAX - 1], 'b');
    assert_int_equal(rd(sizeof(rbuf)), 3);
    assert_string_equal(rbuf, "cd\n");
    assert_int_equal(tty_dropped(tty), 0);
}

static void test_control_chars_are_data(void **state)
{
    (void)state;
    type("\x03\x07\x1a\x1b[A\r");
    assert_output("^C^G^Z^[[A\r\n");
    assert_int_equal(rd(100), 7);
    assert_memory_equal(rbuf, "\x03\x07\x1a\x1b[A\n", 7);
}

static void test_no_echo(void **state)
{
    (void)state;
    set_lflag(0, ECHO);
    type("secret\x7ft\r");
    assert_output("");
    assert_int_equal(rd(100), 7);
    assert_string_equal(rbuf, "secret\n");
    set_lflag(ECHONL, 0);
    type("x\r");
    assert_output("\r\n");
}

static void test_icrnl_off(void **state)
{
    (void)state;
    struct linux_termios tio = get_tio();
    tio.c_iflag &= ~ICRNL;
    assert_int_equal(f->ops->ioctl(f, TCSETS, &tio), 0);
    type("a\rb");
    assert_int_equal(rd(100), -EAGAIN); /* CR is data, not a line end */
    type("\n");
    assert_int_equal(rd(100), 4);
    assert_string_equal(rbuf, "a\rb\n");
}

static void test_non_canonical(void **state)
{
    (void)state;
    type("half");
    set_lflag(0, ICANON);
    assert_int_equal(f->ops->poll(f), POLLIN | POLLOUT); /* the half line */
    assert_int_equal(rd(2), 2);
    assert_string_equal(rbuf, "ha");
    assert_int_equal(rd(100), 2);
    assert_int_equal(rd(100), -EAGAIN);
    out_clear();
    int before = fake_changed(f);
    type("q");
    assert_int_equal(fake_changed(f), before + 1);
    assert_output("q");
    type("\x7f\x04\r");
    assert_int_equal(fionread(), 4);
    assert_int_equal(rd(100), 4);
    assert_memory_equal(rbuf, "q\x7f\x04\n", 4); /* no editing, CR still mapped */
    set_lflag(0, ECHO);
    out_clear();
    type("zz");
    assert_output("");
    assert_int_equal(rd(1), 1);
    /* Back to canonical: leftover bytes start the next line. */
    set_lflag(ICANON | ECHO, 0);
    assert_int_equal(f->ops->poll(f), POLLOUT);
    type("y\r");
    assert_int_equal(rd(100), 3);
    assert_string_equal(rbuf, "zy\n");
    /* Lines finished in canonical mode but read raw leave no stale ends. */
    type("ab\r\x04");
    set_lflag(0, ICANON);
    assert_int_equal(rd(100), 3);
    set_lflag(ICANON, 0);
    assert_int_equal(f->ops->poll(f), POLLOUT);
    type("c\r");
    assert_int_equal(rd(100), 2);
    assert_string_equal(rbuf, "c\n");
}

static void test_tcsetsf_flushes(void **state)
{
    (void)state;
    type("gone\rhalf");
    struct linux_termios tio = get_tio();
    assert_int_equal(f->ops->ioctl(f, TCSETSF, &tio), 0);
    assert_int_equal(rd(100), -EAGAIN);
    type("new\r");
    assert_int_equal(rd(100), 4);
    assert_string_equal(rbuf, "new\n");
}

static void test_output(void **state)
{
    (void)state;
    assert_int_equal(f->ops->write(f, "a\nb\n", 4), 4);
    assert_output("a\r\nb\r\n");
    assert_int_equal(outcalls, 1);
    /* A big write is one call too. */
    static char big[10000];
    memset(big, '\n', sizeof(big));
    out_clear();
    assert_int_equal(f->ops->write(f, big, sizeof(big)), (int64_t)sizeof(big));
    assert_int_equal(outcalls, 1);
    assert_int_equal(outlen, 2 * sizeof(big));
    assert_memory_equal(outbuf, "\r\n\r\n", 4);
    /* Without OPOST nothing is changed. */
    struct linux_termios tio = get_tio();
    tio.c_oflag &= ~OPOST;
    assert_int_equal(f->ops->ioctl(f, TCSETS, &tio), 0);
    out_clear();
    assert_int_equal(f->ops->write(f, "a\nb", 3), 3);
    assert_output("a\nb");
    /* Out of memory for a big write: still all of it, in order. */
    tio.c_oflag |= OPOST;
    assert_int_equal(f->ops->ioctl(f, TCSETS, &tio), 0);
    out_clear();
    fake_fail_alloc_at(0);
    assert_int_equal(f->ops->write(f, big, 200), 200);
    fake_fail_alloc_at(-1);
    assert_int_equal(outlen, 400);
}

static void test_overflow_counted(void **state)
{
    (void)state;
    set_lflag(0, ICANON | ECHO);
    type_n('r', TTY_INPUT_SIZE + 100);
    assert_int_equal(tty_dropped(tty), 100);
    assert_int_equal(fionread(), TTY_INPUT_SIZE);
    assert_int_equal(rd(sizeof(rbuf)), TTY_INPUT_SIZE);
    type("s");
    assert_int_equal(rd(10), 1);
    assert_int_equal(rbuf[0], 's');
    /* Canonical: a line that does not fit is dropped whole. */
    set_lflag(ICANON, 0);
    for (int i = 0; i < TTY_INPUT_SIZE / 1000; i++) {
        type_n('l', 999);
        type("\r");
    }
    uint64_t before = tty_dropped(tty);
    type_n('m', 999);
    type("\r");
    assert_int_equal(tty_dropped(tty), before + 1000);
    for (int i = 0; i < TTY_INPUT_SIZE / 1000; i++)
        assert_int_equal(rd(sizeof(rbuf)), 1000);
    assert_int_equal(rd(sizeof(rbuf)), -EAGAIN);
    type("fits\r");
    assert_int_equal(rd(100), 5);
    /* Many short lines: bounded by the buffer too, nothing lost silently. */
    before = tty_dropped(tty);
    for (int i = 0; i < TTY_INPUT_SIZE; i++)
        type("k\r");
    int lines = 0;
    while (rd(100) == 2)
        lines++;
    assert_true(lines > 0);
    assert_int_equal(tty_dropped(tty) - before, 2 * (uint64_t)(TTY_INPUT_SIZE - lines));
}

static void test_several_files(void **state)
{
    (void)state;
    struct file *g = tty_open(tty, 0);
    type("hey\r");
    assert_int_equal(fake_changed(f), 1);
    assert_int_equal(fake_changed(g), 1);
    assert_int_equal(g->ops->read(g, rbuf, 100), 4); /* one input, shared */
    assert_int_equal(rd(100), -EAGAIN);
    /* tty_free waits for the last file. */
    file_put(f);
    f = NULL;
    tty_free(tty);
    assert_int_equal(g->ops->write(g, "z", 1), 1);
    file_put(g);
    tty = tty_new(capture, &outcalls); /* for teardown */
}

static void test_out_of_memory(void **state)
{
    (void)state;
    fake_fail_alloc_at(0);
    assert_null(tty_open(tty, 0));
    fake_fail_alloc_at(1);
    assert_null(tty_open(tty, 0));
    fake_fail_alloc_at(0);
    assert_null(tty_new(capture, &outcalls));
    fake_fail_alloc_at(-1);
    type("ok\r");
    assert_int_equal(fake_changed(f), 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_defaults_and_ioctls),
        T(test_termios_round_trip),
        T(test_line_echo_and_readiness),
        T(test_one_line_per_read),
        T(test_erase),
        T(test_kill_and_word_erase),
        T(test_eof),
        T(test_long_line_in_pieces),
        T(test_control_chars_are_data),
        T(test_no_echo),
        T(test_icrnl_off),
        T(test_non_canonical),
        T(test_tcsetsf_flushes),
        T(test_output),
        T(test_overflow_counted),
        T(test_several_files),
        T(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
