/* The console terminal: line discipline (echo, editing, line buffering),
 * output processing and the termios ioctls; see tty.h. Finished input lives
 * in a ring of bytes addressed by ever-growing offsets; in canonical mode a
 * second ring records where each line (or piece, or EOF) ends. */
#include <stdbool.h>
#include <string.h>

#include "heap.h"
#include "tty.h"

#define TTY_MAX_PIECES 1024
#define CTRL(c) ((c) & 0x1f)

struct tty_handle {
    struct tty *tty;
    struct file *file;
    struct tty_handle *next;
};

struct tty {
    void (*out)(const char *s, uint64_t n, void *ctx);
    void *ctx;
    struct linux_termios tio;
    struct linux_winsize ws;
    struct tty_handle *open;     /* the files open on it */
    bool freed;                  /* tty_free called: free with the last file */
    uint64_t rd, wr;             /* offsets of finished input */
    uint8_t data[TTY_INPUT_SIZE];
    uint64_t ends[TTY_MAX_PIECES]; /* where each finished line ends */
    uint32_t ends_head, ends_count;
    uint8_t line[TTY_LINE_MAX];  /* the line being edited */
    uint32_t line_len;
    uint64_t dropped;
};

static bool canonical(const struct tty *t) { return t->tio.c_lflag & ICANON; }

static void notify(struct tty *t)
{
    for (struct tty_handle *h = t->open; h; h = h->next)
        file_changed(h->file);
}

/* ---- output */

static void emit_pieces(struct tty *t, const char *s, uint64_t n)
{
    uint64_t start = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (s[i] != '\n')
            continue;
        if (i > start)
            t->out(s + start, i - start, t->ctx);
        t->out("\r\n", 2, t->ctx);
        start = i + 1;
    }
    if (n > start)
        t->out(s + start, n - start, t->ctx);
}

/* Output processing; one out() call for the whole of s, so that whoever
 * sits behind out() (a log ring with per-record prefixes) sees it whole. */
static void emit(struct tty *t, const char *s, uint64_t n)
{
    uint64_t newlines = 0;
    if ((t->tio.c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR))
        for (uint64_t i = 0; i < n; i++)
            newlines += s[i] == '\n';
    if (newlines == 0) {
        t->out(s, n, t->ctx);
        return;
    }
    char small[128];
    char *buf = n + newlines <= sizeof(small) ? small : kmalloc(n + newlines);
    if (!buf) {
        emit_pieces(t, s, n); /* still in order, just not in one call */
        return;
    }
    uint64_t k = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            buf[k++] = '\r';
        buf[k++] = s[i];
    }
    t->out(buf, k, t->ctx);
    if (buf != small)
        kfree(buf);
}

static bool shown_as_caret(const struct tty *t, uint8_t c)
{
    return (t->tio.c_lflag & ECHOCTL) && ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f);
}

static void echo(struct tty *t, uint8_t c)
{
    if (!(t->tio.c_lflag & ECHO) && !(c == '\n' && (t->tio.c_lflag & ECHONL)))
        return;
    if (shown_as_caret(t, c)) {
        char caret[2] = { '^', (char)(c ^ 0x40) };
        t->out(caret, 2, t->ctx);
    } else {
        char ch = (char)c;
        emit(t, &ch, 1);
    }
}

/* ---- finished input */

static uint64_t input_room(const struct tty *t) { return TTY_INPUT_SIZE - (t->wr - t->rd); }

static void input_push(struct tty *t, const uint8_t *s, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        t->data[(t->wr + i) % TTY_INPUT_SIZE] = s[i];
    t->wr += n;
}

/* Ends the line being edited as one piece for readers (a zero-length one
 * means EOF); drops it whole when it does not fit. */
static void commit_line(struct tty *t)
{
    if (input_room(t) < t->line_len || t->ends_count == TTY_MAX_PIECES) {
        t->dropped += t->line_len;
    } else {
        input_push(t, t->line, t->line_len);
        t->ends[(t->ends_head + t->ends_count++) % TTY_MAX_PIECES] = t->wr;
        notify(t);
    }
    t->line_len = 0;
}

static void flush_input(struct tty *t)
{
    t->rd = t->wr;
    t->ends_head = t->ends_count = 0;
    t->line_len = 0;
}

/* ---- line editing */

/* Removes the last character of the line (with IUTF8 a whole UTF-8
 * sequence) and rubs it out on the screen. */
static void erase_char(struct tty *t)
{
    if (t->line_len == 0)
        return;
    uint8_t c = t->line[--t->line_len];
    if (t->tio.c_iflag & IUTF8)
        while ((c & 0xc0) == 0x80 && t->line_len > 0)
            c = t->line[--t->line_len];
    if ((t->tio.c_lflag & (ECHO | ECHOE)) == (ECHO | ECHOE)) {
        int cols = shown_as_caret(t, c) ? 2 : 1;
        while (cols--)
            t->out("\b \b", 3, t->ctx);
    }
}

static void erase_word(struct tty *t)
{
    while (t->line_len && (t->line[t->line_len - 1] == ' ' || t->line[t->line_len - 1] == '\t'))
        erase_char(t);
    while (t->line_len && t->line[t->line_len - 1] != ' ' && t->line[t->line_len - 1] != '\t')
        erase_char(t);
}

/* Whether c is the special character cc[i]; 0 disables one, as on Linux. */
static bool is_cc(const struct tty *t, uint8_t c, int i)
{
    return c != 0 && c == t->tio.c_cc[i];
}

static void input_canonical(struct tty *t, uint8_t c)
{
    if (is_cc(t, c, VERASE) || c == '\b') {
        erase_char(t);
    } else if (is_cc(t, c, VKILL)) {
        while (t->line_len)
            erase_char(t);
    } else if (is_cc(t, c, VWERASE) && (t->tio.c_lflag & IEXTEN)) {
        erase_word(t);
    } else if (is_cc(t, c, VEOF)) {
        commit_line(t); /* no newline; on an empty line, EOF */
    } else if (c == '\n' || is_cc(t, c, VEOL) || is_cc(t, c, VEOL2)) {
        t->line[t->line_len++] = c; /* line_len < TTY_LINE_MAX always holds here */
        echo(t, c);
        commit_line(t);
    } else {
        t->line[t->line_len++] = c;
        echo(t, c);
        if (t->line_len == TTY_LINE_MAX)
            commit_line(t); /* a piece of a long line */
    }
}

void tty_input(struct tty *t, char ch)
{
    uint8_t c = (uint8_t)ch;
    if (c == '\r') {
        if (t->tio.c_iflag & IGNCR)
            return;
        if (t->tio.c_iflag & ICRNL)
            c = '\n';
    } else if (c == '\n' && (t->tio.c_iflag & INLCR)) {
        c = '\r';
    }
    if (canonical(t)) {
        input_canonical(t, c);
        return;
    }
    if (input_room(t) == 0) {
        t->dropped++;
        return;
    }
    input_push(t, &c, 1);
    echo(t, c);
    notify(t);
}

uint64_t tty_dropped(const struct tty *t) { return t->dropped; }

/* ---- file operations */

static int64_t tty_read(struct file *f, void *buf, uint64_t len)
{
    struct tty *t = ((struct tty_handle *)f->priv)->tty;
    uint64_t avail, n;
    if (len == 0)
        return 0;
    if (canonical(t)) {
        if (t->ends_count == 0)
            return -EAGAIN;
        uint64_t end = t->ends[t->ends_head];
        avail = end > t->rd ? end - t->rd : 0;
        n = len < avail ? len : avail;
        if (n == avail) { /* the piece is used up (an EOF piece at once) */
            t->ends_head = (t->ends_head + 1) % TTY_MAX_PIECES;
            t->ends_count--;
        }
        if (avail == 0)
            return 0;
    } else {
        avail = t->wr - t->rd;
        if (avail == 0)
            return -EAGAIN;
        n = len < avail ? len : avail;
        /* Line ends left from canonical mode that this read passes go. */
        while (t->ends_count && t->ends[t->ends_head] <= t->rd + n) {
            t->ends_head = (t->ends_head + 1) % TTY_MAX_PIECES;
            t->ends_count--;
        }
    }
    for (uint64_t i = 0; i < n; i++)
        ((uint8_t *)buf)[i] = t->data[(t->rd + i) % TTY_INPUT_SIZE];
    t->rd += n;
    return (int64_t)n;
}

static int64_t tty_write(struct file *f, const void *buf, uint64_t len)
{
    struct tty *t = ((struct tty_handle *)f->priv)->tty;
    emit(t, buf, len);
    return (int64_t)len;
}

static uint32_t tty_poll(struct file *f)
{
    struct tty *t = ((struct tty_handle *)f->priv)->tty;
    bool readable = canonical(t) ? t->ends_count > 0 : t->wr > t->rd;
    return POLLOUT | (readable ? POLLIN : 0);
}

static int tty_stat(struct file *f, struct linux_stat *st)
{
    (void)f;
    memset(st, 0, sizeof(*st));
    st->st_mode = S_IFCHR | 0620;
    st->st_nlink = 1;
    st->st_rdev = (5 << 8) | 1;
    st->st_blksize = 1024;
    return 0;
}

static void set_termios(struct tty *t, const struct linux_termios *tio, bool flush)
{
    bool was_canonical = canonical(t);
    t->tio = *tio;
    if (flush) {
        flush_input(t);
    } else if (was_canonical && !canonical(t) && t->line_len) {
        /* The half-edited line becomes input like any other. */
        uint32_t n = t->line_len <= input_room(t) ? t->line_len : (uint32_t)input_room(t);
        input_push(t, t->line, n);
        t->dropped += t->line_len - n;
        t->line_len = 0;
    }
    notify(t); /* readiness follows the mode */
}

static int64_t tty_ioctl(struct file *f, uint64_t cmd, void *arg)
{
    struct tty *t = ((struct tty_handle *)f->priv)->tty;
    switch (cmd) {
    case TCGETS:
        *(struct linux_termios *)arg = t->tio;
        return 0;
    case TCSETS:
    case TCSETSW: /* output is never queued: nothing to drain */
    case TCSETSF:
        set_termios(t, arg, cmd == TCSETSF);
        return 0;
    case TIOCGWINSZ:
        *(struct linux_winsize *)arg = t->ws;
        return 0;
    case TIOCSWINSZ:
        t->ws = *(const struct linux_winsize *)arg;
        return 0;
    case FIONREAD:
        if (canonical(t))
            *(int *)arg = t->ends_count ? (int)(t->ends[(t->ends_head + t->ends_count - 1) % TTY_MAX_PIECES] - t->rd) : 0;
        else
            *(int *)arg = (int)(t->wr - t->rd);
        return 0;
    default:
        return -ENOTTY;
    }
}

static void tty_release(struct file *f)
{
    struct tty_handle *h = f->priv;
    struct tty *t = h->tty;
    for (struct tty_handle **pp = &t->open; *pp; pp = &(*pp)->next)
        if (*pp == h) {
            *pp = h->next;
            break;
        }
    kfree(h);
    if (t->freed && !t->open)
        kfree(t);
}

static const struct file_ops tty_ops = {
    .read = tty_read,
    .write = tty_write,
    .poll = tty_poll,
    .stat = tty_stat,
    .ioctl = tty_ioctl,
    .release = tty_release,
};

struct file *tty_open(struct tty *t, uint32_t flags)
{
    struct tty_handle *h = kzalloc(sizeof(*h));
    if (!h)
        return NULL;
    h->tty = t;
    h->file = file_new(&tty_ops, O_RDWR | (flags & O_NONBLOCK), h);
    if (!h->file) {
        kfree(h);
        return NULL;
    }
    h->next = t->open;
    t->open = h;
    return h->file;
}

void tty_free(struct tty *t)
{
    if (t->open)
        t->freed = true;
    else
        kfree(t);
}

struct tty *tty_new(void (*out)(const char *s, uint64_t n, void *ctx), void *ctx)
{
    struct tty *t = kzalloc(sizeof(*t));
    if (!t)
        return NULL;
    t->out = out;
    t->ctx = ctx;
    t->tio.c_iflag = ICRNL | IXON | IUTF8;
    t->tio.c_oflag = OPOST | ONLCR;
    t->tio.c_cflag = B38400 | CS8 | CREAD | HUPCL;
    t->tio.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
    t->tio.c_ispeed = t->tio.c_ospeed = B38400;
    static const uint8_t cc[] = {
        [VINTR] = CTRL('C'), [VQUIT] = CTRL('\\'), [VERASE] = 0x7f, [VKILL] = CTRL('U'),
        [VEOF] = CTRL('D'), [VTIME] = 0, [VMIN] = 1, [VSTART] = CTRL('Q'),
        [VSTOP] = CTRL('S'), [VSUSP] = CTRL('Z'), [VREPRINT] = CTRL('R'),
        [VDISCARD] = CTRL('O'), [VWERASE] = CTRL('W'), [VLNEXT] = CTRL('V'),
    };
    memcpy(t->tio.c_cc, cc, sizeof(cc));
    t->ws.ws_row = 24;
    t->ws.ws_col = 80;
    return t;
}
