/* Pipes: one ring buffer shared by two struct files. The pipe lives until
 * both ends are released; each end clears its pointer when it goes, which
 * is how the other end learns there are no readers or no writers left. */
#include <string.h>

#include "heap.h"
#include "pipe.h"

struct pipe {
    uint8_t *buf;       /* PIPE_SIZE bytes */
    uint32_t head;      /* index of the oldest byte */
    uint32_t count;     /* bytes queued */
    struct file *rd;    /* NULL once the read end is released */
    struct file *wr;    /* NULL once the write end is released */
};

static void pipe_free_if_unused(struct pipe *p)
{
    if (!p->rd && !p->wr) {
        kfree(p->buf);
        kfree(p);
    }
}

static int64_t pipe_read(struct file *f, void *buf, uint64_t len)
{
    struct pipe *p = f->priv;
    if (len == 0)
        return 0;
    if (p->count == 0)
        return p->wr ? -EAGAIN : 0;
    uint32_t n = p->count < len ? p->count : (uint32_t)len;
    uint32_t first = PIPE_SIZE - p->head;
    if (first > n)
        first = n;
    memcpy(buf, p->buf + p->head, first);
    memcpy((uint8_t *)buf + first, p->buf, n - first);
    p->head = (p->head + n) % PIPE_SIZE;
    p->count -= n;
    if (p->count == 0)
        p->head = 0; /* keeps later small writes in one piece */
    if (p->wr)
        file_changed(p->wr);
    return n;
}

static int64_t pipe_write(struct file *f, const void *buf, uint64_t len)
{
    struct pipe *p = f->priv;
    if (len == 0)
        return 0;
    if (!p->rd)
        return -EPIPE;
    uint32_t room = PIPE_SIZE - p->count;
    if (room == 0 || (len <= PIPE_BUF && room < len))
        return -EAGAIN;
    uint32_t n = room < len ? room : (uint32_t)len;
    uint32_t tail = (p->head + p->count) % PIPE_SIZE;
    uint32_t first = PIPE_SIZE - tail;
    if (first > n)
        first = n;
    memcpy(p->buf + tail, buf, first);
    memcpy(p->buf, (const uint8_t *)buf + first, n - first);
    p->count += n;
    file_changed(p->rd);
    return n;
}

static uint32_t pipe_poll_rd(struct file *f)
{
    struct pipe *p = f->priv;
    if (!p->wr)
        return POLLIN | POLLHUP;
    return p->count ? POLLIN : 0;
}

static uint32_t pipe_poll_wr(struct file *f)
{
    struct pipe *p = f->priv;
    if (!p->rd)
        return POLLERR;
    return PIPE_SIZE - p->count >= PIPE_BUF ? POLLOUT : 0;
}

static int pipe_stat(struct file *f, struct linux_stat *st)
{
    (void)f;
    memset(st, 0, sizeof(*st));
    st->st_mode = S_IFIFO | 0600;
    st->st_nlink = 1;
    st->st_blksize = PIPE_BUF;
    return 0;
}

static int64_t pipe_ioctl(struct file *f, uint64_t cmd, void *arg)
{
    struct pipe *p = f->priv;
    if (cmd != FIONREAD)
        return -ENOTTY;
    *(int *)arg = (int)p->count;
    return 0;
}

static void pipe_release_rd(struct file *f)
{
    struct pipe *p = f->priv;
    p->rd = NULL;
    if (p->wr)
        file_changed(p->wr);
    pipe_free_if_unused(p);
}

static void pipe_release_wr(struct file *f)
{
    struct pipe *p = f->priv;
    p->wr = NULL;
    if (p->rd)
        file_changed(p->rd);
    pipe_free_if_unused(p);
}

static const struct file_ops pipe_rd_ops = {
    .read = pipe_read,
    .poll = pipe_poll_rd,
    .stat = pipe_stat,
    .ioctl = pipe_ioctl,
    .release = pipe_release_rd,
};

static const struct file_ops pipe_wr_ops = {
    .write = pipe_write,
    .poll = pipe_poll_wr,
    .stat = pipe_stat,
    .ioctl = pipe_ioctl,
    .release = pipe_release_wr,
};

int pipe_create(uint32_t flags, struct file **rd, struct file **wr)
{
    uint32_t nb = flags & O_NONBLOCK;
    struct pipe *p = kzalloc(sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->buf = kmalloc(PIPE_SIZE);
    if (!p->buf)
        goto fail;
    p->rd = file_new(&pipe_rd_ops, O_RDONLY | nb, p);
    if (!p->rd)
        goto fail;
    p->wr = file_new(&pipe_wr_ops, O_WRONLY | nb, p);
    if (!p->wr) {
        /* Releasing the read end frees the pipe: wr is already NULL. */
        file_put(p->rd);
        return -ENOMEM;
    }
    *rd = p->rd;
    *wr = p->wr;
    return 0;
fail:
    kfree(p->buf);
    kfree(p);
    return -ENOMEM;
}
