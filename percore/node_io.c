/* A node's fds 0, 1 and 2. The console node (the console core's, core 0
 * at boot) gets the serial console's line discipline (tty.c). Every other
 * node runs -noinput: fd 0 reads end-of-file, and what it writes on 1 and
 * 2 goes into its core's log ring, which the console core prints line by
 * line, prefixed "[cN]". When the console moves (console.c), the new
 * console core puts a new tty on its node's fds 0-2: the old tty may still
 * be held by a dead node on another core, and is never fed again. */
#include "heap.h"
#include "logring.h"
#include "sched.h"
#include "syscall.h"
#include "tty.h"
#include "uapi.h"

#define LOG_RETRY_US 10000 /* when the ring is full: the console core drains it meanwhile */

static struct tty *console;

static void console_out(const char *s, uint64_t n, void *ctx)
{
    (void)ctx;
    console_write(s, n);
}

/* Only once this core's node has taken it: before that, `console` may be
 * the tty of a dead node on another core, whose threads must not be woken
 * from here. Input waits in the UART meanwhile. */
struct tty *console_tty(void)
{
    struct node *n = this_core()->node;
    return (int)this_core()->id == console_owner() && n && n->has_console ? console : NULL;
}

/* fds 0-2 of n on a new console tty; 0 or -ENOMEM (then nothing changed). */
static int take_console(struct node *n)
{
    struct tty *t = tty_new(console_out, NULL);
    struct file *f[3] = {0};
    for (int fd = 0; t && fd < 3; fd++)
        if (!(f[fd] = tty_open(t, O_RDWR))) {
            for (int i = 0; i < fd; i++)
                file_put(f[i]);
            return -ENOMEM; /* the tty stays unused: tty.c has no free */
        }
    if (!t)
        return -ENOMEM;
    for (int fd = 0; fd < 3; fd++) {
        if (n->fds[fd])
            file_put(n->fds[fd]);
        n->fds[fd] = f[fd];
    }
    console = t;
    n->has_console = true;
    return 0;
}

void node_io_follow_console(void)
{
    struct core *c = this_core();
    struct node *n = c->node;
    if (n && !n->has_console && !n->dying && c->node_state == NODE_RUNNING && take_console(n) == 0)
        kprintf("hydros: node %u has the console\n", c->id);
}

/* ---- the log file: priv is a retry timer that wakes the writer */

struct log_file {
    struct ktimer retry;
    struct file *file;
};

static void log_retry(struct ktimer *t)
{
    file_changed(((struct log_file *)t)->file);
}

static int64_t log_read(struct file *f, void *buf, uint64_t len)
{
    (void)f, (void)buf, (void)len;
    return 0; /* -noinput: nothing ever comes */
}

static int64_t log_write(struct file *f, const void *buf, uint64_t len)
{
    uint64_t n = logring_write((int)this_core()->id, buf, len);
    if (n)
        return (int64_t)n;
    struct log_file *lf = f->priv;
    lf->retry.fn = log_retry;
    ktimer_arm(&lf->retry, uptime_us() + LOG_RETRY_US);
    return -EAGAIN;
}

static uint32_t log_poll(struct file *f)
{
    (void)f;
    return POLLIN | POLLOUT;
}

static int log_stat(struct file *f, struct linux_stat *st)
{
    (void)f;
    st->st_mode = S_IFCHR | 0620;
    st->st_blksize = 4096;
    return 0;
}

static void log_release(struct file *f)
{
    struct log_file *lf = f->priv;
    if (!lf) /* log_dev_open failed */
        return;
    ktimer_cancel(&lf->retry);
    kfree(lf);
}

static const struct file_ops log_ops = {
    .read = log_read, .write = log_write, .poll = log_poll, .stat = log_stat, .release = log_release,
};

/* /dev/hydros/log: a node's line for the console that must not land inside
 * the shell's echo, as the console node's own output may: its core's log
 * ring, printed whole, "[cN] "-prefixed, by the console core. */
static int log_dev_open(struct file *f)
{
    struct log_file *lf = kzalloc(sizeof(*lf));
    if (!lf)
        return -ENOMEM;
    lf->file = f;
    f->priv = lf;
    return 0;
}

const struct file_ops node_io_log_ops = {
    .read = log_read, .write = log_write, .poll = log_poll, .stat = log_stat, .release = log_release,
    .open = log_dev_open,
};

static struct file *log_open(void)
{
    struct log_file *lf = kzalloc(sizeof(*lf));
    if (!lf)
        return NULL;
    lf->file = file_new(&log_ops, O_RDWR, lf);
    if (!lf->file)
        kfree(lf);
    return lf->file;
}

int node_io_open(struct node *n)
{
    if (n->id == console_owner())
        return take_console(n);
    for (int fd = 0; fd < 3; fd++) {
        struct file *f = log_open();
        if (!f)
            return -ENOMEM;
        fd_install(n, f, fd, false);
    }
    return 0;
}
