/* Kernel heap: kmalloc/kfree for small kernel objects, carved out of whole
 * pages that a page source hands over. One global heap, one spinlock taken by
 * every function below; none may be called with it held, nor from an
 * interrupt handler (the lock does not disable interrupts).
 *
 * Layout: a request of up to 2048 bytes is rounded up to a size class (16, 32,
 * 64, ..., 2048) and gets a slot in a slab, a page of one class with a header
 * at its start. A larger request gets its own run of whole pages with a small
 * header at the start of the first. kfree reads the header of the page its
 * pointer rounds down to, so any pointer given to it must lie in mapped,
 * readable memory (every kernel address does).
 *
 * Invariants (hold whenever the lock is free):
 *   - a slab's header records exactly which of its slots are handed out;
 *   - a class keeps a slab with no slot in use only if it is its only slab;
 *   - a page goes back to the page source with its header cleared, so a
 *     double free is caught until the page source hands that page out again;
 *   - the page source and ops->fail are only called with the lock free. */
#ifndef HYDROS_HEAP_H
#define HYDROS_HEAP_H
#include <stddef.h>

struct heap_ops {
    /* npages contiguous pages, 4 KiB aligned, contents arbitrary; or NULL. */
    void *(*alloc_pages)(size_t npages);
    /* Exactly a run alloc_pages returned, whole. */
    void (*free_pages)(void *p, size_t npages);
    /* A caller bug (bad or double kfree) at ptr. The kernel's panics; in
     * tests it may return, and the heap is then as if kfree was not called. */
    void (*fail)(const char *why, const void *ptr);
};

/* Starts an empty heap drawing on ops, which must outlive it. Call before any
 * other function here; calling again forgets (leaks) every page held. */
void heap_init(const struct heap_ops *ops);

/* n bytes, 16-byte aligned; NULL if n is 0 or the page source is out of
 * pages. Contents arbitrary. */
void *kmalloc(size_t n);

/* Like kmalloc, with the n bytes zeroed. */
void *kzalloc(size_t n);

/* Gives back a block from kmalloc/kzalloc. NULL is a no-op. A pointer that is
 * not the start of a live block (foreign, interior, in a header, already
 * freed) calls ops->fail(why, p) and changes nothing. */
void kfree(void *p);

struct heap_stats {
    size_t pages;        /* pages held from the page source */
    size_t bytes_in_use; /* usable bytes of live blocks: n rounded up to its
                            class, or a large block's pages less its header */
    size_t allocs;       /* successful kmalloc/kzalloc calls */
    size_t frees;        /* successful kfree calls, NULL not counted */
};

/* A consistent snapshot of the counters. */
void heap_stats(struct heap_stats *out);
/* Takes the heap's lock and keeps it: inject.c's heap_panic, a core that
 * dies inside a heap operation. */
void heap_hold_lock(void);

#endif
