/* epoll: interest lists polled on demand; see epoll.h for the semantics.
 * Each entry sits on two lists: its epoll's ring (the order collect walks,
 * rotated for fairness) and its target's epoll_links list (so the target's
 * release can find and drop it). */
#include <string.h>

#include "epoll.h"
#include "heap.h"

#define EPOLLEXCLUSIVE_BIT (1u << 28)
#define EPOLLWAKEUP_BIT (1u << 29)
/* Bits of an interest that steer epoll rather than name an event. */
#define EP_CONTROL_BITS (EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE_BIT | EPOLLWAKEUP_BIT)

struct epoll;

struct epitem {
    struct epoll *ep;
    struct file *target;
    int fd;
    uint32_t events;            /* interest, with its control bits */
    uint64_t data;
    bool armed;                 /* false: a ONESHOT entry that fired */
    struct epitem *prev, *next; /* the epoll's ring */
    struct epitem *tnext, **tpprev; /* the target's epoll_links list */
};

struct epoll {
    struct epitem *cursor; /* where the next collect starts; NULL: empty */
    int count;
    bool busy;             /* being polled: breaks cycles through nesting */
};

static const struct file_ops epoll_ops;

bool file_is_epoll(const struct file *f)
{
    return f && f->ops == &epoll_ops;
}

/* Events of it's target that it would report now (0 if disarmed). */
static uint32_t item_ready(struct epitem *it)
{
    if (!it->armed)
        return 0;
    uint32_t want = (it->events & ~EP_CONTROL_BITS) | EPOLLERR | EPOLLHUP;
    return it->target->ops->poll(it->target) & want;
}

static struct epitem *item_find(struct epoll *ep, int fd, struct file *target)
{
    struct epitem *it = ep->cursor;
    for (int i = 0; i < ep->count; i++, it = it->next)
        if (it->fd == fd && it->target == target)
            return it;
    return NULL;
}

static void item_remove(struct epitem *it)
{
    struct epoll *ep = it->ep;
    if (--ep->count == 0) {
        ep->cursor = NULL;
    } else {
        if (ep->cursor == it)
            ep->cursor = it->next;
        it->prev->next = it->next;
        it->next->prev = it->prev;
    }
    *it->tpprev = it->tnext;
    if (it->tnext)
        it->tnext->tpprev = it->tpprev;
    kfree(it);
}

/* Whether ep can be reached from the epoll file from through nested
 * epolls, or the nesting below from is deeper than allowed. */
static bool epoll_reaches(struct file *from, struct file *ep, int depth)
{
    if (from == ep || depth > EPOLL_MAX_NESTS)
        return true;
    struct epoll *e = from->priv;
    struct epitem *it = e->cursor;
    for (int i = 0; i < e->count; i++, it = it->next)
        if (file_is_epoll(it->target) && epoll_reaches(it->target, ep, depth + 1))
            return true;
    return false;
}

static int epoll_add(struct file *epf, int fd, struct file *target,
                     const struct linux_epoll_event *ev)
{
    struct epoll *ep = epf->priv;
    if (item_find(ep, fd, target))
        return -EEXIST;
    if (!target->ops->poll)
        return -EPERM;
    if (file_is_epoll(target) && epoll_reaches(target, epf, 1))
        return -ELOOP;
    struct epitem *it = kzalloc(sizeof(*it));
    if (!it)
        return -ENOMEM;
    it->ep = ep;
    it->target = target;
    it->fd = fd;
    it->events = ev->events;
    it->data = ev->data;
    it->armed = true;
    /* Last in the ring order: just before the cursor. */
    if (ep->cursor) {
        it->next = ep->cursor;
        it->prev = ep->cursor->prev;
        it->prev->next = it;
        it->next->prev = it;
    } else {
        it->next = it->prev = it;
        ep->cursor = it;
    }
    ep->count++;
    struct epitem **head = (struct epitem **)&target->epoll_links;
    it->tnext = *head;
    if (it->tnext)
        it->tnext->tpprev = &it->tnext;
    it->tpprev = head;
    *head = it;
    if (item_ready(it))
        file_changed(epf);
    return 0;
}

int epoll_ctl(struct file *epf, int op, int fd, struct file *target,
              const struct linux_epoll_event *ev)
{
    if (!file_is_epoll(epf) || !target || target == epf)
        return -EINVAL;
    if (op != EPOLL_CTL_DEL && !ev)
        return -EINVAL;
    struct epoll *ep = epf->priv;
    struct epitem *it;
    switch (op) {
    case EPOLL_CTL_ADD:
        return epoll_add(epf, fd, target, ev);
    case EPOLL_CTL_MOD:
        it = item_find(ep, fd, target);
        if (!it)
            return -ENOENT;
        it->events = ev->events;
        it->data = ev->data;
        it->armed = true;
        if (item_ready(it))
            file_changed(epf);
        return 0;
    case EPOLL_CTL_DEL:
        it = item_find(ep, fd, target);
        if (!it)
            return -ENOENT;
        item_remove(it);
        return 0;
    default:
        return -EINVAL;
    }
}

int epoll_collect(struct file *epf, struct linux_epoll_event *out, int max)
{
    if (!file_is_epoll(epf) || max <= 0)
        return -EINVAL;
    struct epoll *ep = epf->priv;
    struct epitem *it = ep->cursor, *last = NULL;
    int n = 0;
    ep->busy = true;
    for (int i = 0; i < ep->count && n < max; i++, it = it->next) {
        uint32_t ready = item_ready(it);
        if (!ready)
            continue;
        out[n].events = ready;
        out[n].data = it->data;
        n++;
        if (it->events & EPOLLONESHOT)
            it->armed = false;
        last = it;
    }
    ep->busy = false;
    if (last)
        ep->cursor = last->next;
    return n;
}

void epoll_file_released(struct file *f)
{
    while (f->epoll_links)
        item_remove(f->epoll_links);
}

static uint32_t epoll_poll(struct file *epf)
{
    struct epoll *ep = epf->priv;
    if (ep->busy)
        return 0; /* polled through itself: a cycle adds nothing */
    uint32_t ready = 0;
    struct epitem *it = ep->cursor;
    ep->busy = true;
    for (int i = 0; i < ep->count && !ready; i++, it = it->next)
        ready = item_ready(it);
    ep->busy = false;
    return ready ? POLLIN : 0;
}

static void epoll_release(struct file *epf)
{
    struct epoll *ep = epf->priv;
    while (ep->cursor)
        item_remove(ep->cursor);
    kfree(ep);
}

static const struct file_ops epoll_ops = {
    .poll = epoll_poll,
    .stat = file_anon_stat,
    .release = epoll_release,
};

struct file *epoll_new(void)
{
    struct epoll *ep = kzalloc(sizeof(*ep));
    if (!ep)
        return NULL;
    struct file *f = file_new(&epoll_ops, O_RDWR, ep);
    if (!f)
        kfree(ep);
    return f;
}
