/* The serial console as a terminal: fds 0, 1 and 2 of the console node.
 *
 * Input comes from the UART driver one byte at a time (tty_input, kernel
 * context) and is kept until a reader takes it: at most TTY_INPUT_SIZE bytes
 * of finished input plus the line being edited; bytes that do not fit are
 * dropped and counted (tty_dropped). There are no signals: ^C, ^Z, ^\ and
 * every control character but the editing ones are data, echoed as "^C".
 *
 * Canonical mode (ICANON, the default; OTP's "old shell" relies on it):
 *   - the kernel edits the line: echo (CR, turned into '\n' by ICRNL, echoes
 *     as "\r\n"), erase with VERASE (DEL) or BS (with IUTF8, the default,
 *     a UTF-8 character at a time; "\b \b" per column, two for a "^X", one
 *     for a tab; never past the line start), VKILL (^U) erases the line,
 *     VWERASE (^W) the last word;
 *   - a read returns at most one line, and the file is readable (POLLIN)
 *     only when a whole line is there; otherwise read gives -EAGAIN (the
 *     syscall layer waits unless O_NONBLOCK);
 *   - VEOF (^D) ends the line without a newline; on an empty line that
 *     makes one read return 0 (EOF);
 *   - a line longer than TTY_LINE_MAX is delivered in TTY_LINE_MAX pieces.
 * Non-canonical mode: readable as soon as a byte is there (VMIN/VTIME are
 * ignored: a read returns what is there, -EAGAIN if nothing); echo only with
 * ECHO. A half-edited line becomes readable when ICANON is cleared.
 * Output: a write goes to out() whole, before anything else is written or
 * echoed, with "\n" sent as "\r\n" while OPOST|ONLCR are set.
 * ioctl (arg is a kernel copy): TCGETS, TCSETS, TCSETSW, TCSETSF (flushes
 * pending input), TIOCGWINSZ, TIOCSWINSZ (80x24 until set), FIONREAD (int);
 * anything else -ENOTTY. stat: S_IFCHR (rdev 5:1, /dev/console).
 * Node-local, kernel not preempted: no locks. */
#ifndef HYDROS_TTY_H
#define HYDROS_TTY_H
#include <stdint.h>

#include "vfs.h"

#define TTY_INPUT_SIZE 16384
#define TTY_LINE_MAX 4096

/* termios bits and c_cc indices beyond uapi.h's, Linux's values. */
#ifndef ISIG
#define ISIG 0000001
#define ECHOE 0000020
#define ECHOK 0000040
#define ECHONL 0000100
#define ECHOCTL 0001000
#define ECHOKE 0004000
#define IEXTEN 0100000
#define INLCR 0000100
#define IGNCR 0000200
#define ICRNL 0000400
#define IXON 0002000
#define IUTF8 0040000
#define OPOST 0000001
#define ONLCR 0000004
#define B38400 0000017
#define CS8 0000060
#define CREAD 0000200
#define HUPCL 0002000
#define VINTR 0
#define VQUIT 1
#define VERASE 2
#define VKILL 3
#define VEOF 4
#define VTIME 5
#define VMIN 6
#define VSTART 8
#define VSTOP 9
#define VSUSP 10
#define VEOL 11
#define VREPRINT 12
#define VDISCARD 13
#define VWERASE 14
#define VLNEXT 15
#define VEOL2 16
#endif

struct tty;

/* A terminal writing through out(s, n, ctx) (called from syscall and
 * tty_input context; it must not block for long), with Linux's default
 * termios for a serial console. NULL without memory. */
struct tty *tty_new(void (*out)(const char *s, uint64_t n, void *ctx), void *ctx);

/* Frees t at once, or when its last open file is released. */
void tty_free(struct tty *t);

/* A new open file on t (O_RDWR plus O_NONBLOCK from flags), or NULL. */
struct file *tty_open(struct tty *t, uint32_t flags);

/* One byte from the line; calls file_changed() on t's files when input
 * becomes readable. */
void tty_input(struct tty *t, char c);

/* Input bytes dropped because the buffer was full, since tty_new. */
uint64_t tty_dropped(const struct tty *t);

#endif
