/* Open file descriptions: reference counting and wake-ups (vfs.h), and the
 * seek and directory-listing code every file system's ops share (tmpfs.h). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap.h"
#include "kernel.h"
#include "string.h"
#include "tmpfs.h"
#include "epoll.h"
#include "vfs.h"
#include "waitq.h"

struct file *file_new(const struct file_ops *ops, uint32_t flags, void *priv)
{
    struct file *f = kzalloc(sizeof(*f));

    if (!f)
        return NULL;
    f->ops = ops;
    f->refs = 1;
    f->flags = flags;
    f->priv = priv;
    return f;
}

struct file *file_get(struct file *f)
{
    if (f->refs <= 0)
        panic("file_get: file %p has %d references", (void *)f, f->refs);
    f->refs++;
    return f;
}

/* The last reference takes f out of every epoll set watching it (as Linux
 * does on the last close), runs ops->release, then frees f. Nobody can be
 * asleep on f->wq then: a sleeper holds a reference. */
void file_put(struct file *f)
{
    if (f->refs <= 0)
        panic("file_put: file %p has %d references", (void *)f, f->refs);
    if (--f->refs > 0)
        return;
    if (f->epoll_links)
        epoll_file_released(f);
    if (f->ops && f->ops->release)
        f->ops->release(f);
    kfree(f);
}

void file_changed(struct file *f)
{
    waitq_wake_all(&f->wq);
    poll_notify();
}

bool file_can_read(const struct file *f)
{
    uint32_t acc = f->flags & O_ACCMODE;

    return acc == O_RDONLY || acc == O_RDWR;
}

bool file_can_write(const struct file *f)
{
    uint32_t acc = f->flags & O_ACCMODE;

    return acc == O_WRONLY || acc == O_RDWR;
}

int64_t file_seek(struct file *f, int64_t off, int whence, int64_t size)
{
    int64_t base;

    switch (whence) {
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = f->pos;
        break;
    case SEEK_END:
        base = size;
        break;
    default:
        return -EINVAL;
    }
    if (off > 0 && base > INT64_MAX - off)
        return -EINVAL;
    if (base + off < 0)
        return -EINVAL;
    f->pos = base + off;
    return f->pos;
}

int64_t dir_seek(struct file *f, int64_t off, int whence)
{
    if (whence != SEEK_SET && whence != SEEK_CUR)
        return -EINVAL;
    return file_seek(f, off, whence, 0);
}

int64_t dir_read(struct file *f, void *buf, uint64_t len)
{
    (void)f, (void)buf, (void)len;
    return -EISDIR;
}

/* One record at dst, which has room for reclen bytes; dst may be unaligned. */
static void put_dirent(uint8_t *dst, uint16_t reclen, const struct dir_entry *e)
{
    struct linux_dirent64 d = {
        .d_ino = e->ino, .d_off = e->next, .d_reclen = reclen, .d_type = e->type,
    };
    size_t hdr = offsetof(struct linux_dirent64, d_name);

    memcpy(dst, &d, hdr);
    memcpy(dst + hdr, e->name, e->len);
    memset(dst + hdr + e->len, 0, reclen - hdr - e->len); /* NUL and padding */
}

int64_t dir_getdents(struct file *f, void *buf, uint64_t len, dir_next_fn next)
{
    uint8_t *out = buf;
    uint64_t used = 0;
    int64_t pos = f->pos;

    for (;;) {
        struct dir_entry e;
        int r = next(f, pos, &e);
        if (r < 0) {
            if (used)
                break;
            return r;
        }
        if (r == 0)
            break;
        uint64_t reclen = (offsetof(struct linux_dirent64, d_name) + e.len + 1 + 7) & ~(uint64_t)7;
        if (reclen > len - used) {
            if (!used)
                return -EINVAL;
            break;
        }
        put_dirent(out + used, (uint16_t)reclen, &e);
        used += reclen;
        pos = e.next;
    }
    f->pos = pos;
    return (int64_t)used;
}
