/* Kernel heap: power-of-two size classes in one-page slabs, whole pages for
 * anything larger. Every page starts with a header whose magic is mixed with
 * the page's own address, so kfree can tell a heap page from stale or copied
 * data by reading one word, and can check a pointer exactly against it. */
#include <stdint.h>
#include <stddef.h>
#include "string.h"
#include "spinlock.h"
#include "heap.h"

#define PAGE_SIZE 4096ull
#define MIN_CLASS 16u
#define NCLASSES 8                  /* 16, 32, ..., 2048 */
#define MAX_SMALL (MIN_CLASS << (NCLASSES - 1))
#define MAX_SLOTS 256               /* fits the used bitmap below */
#define SLAB_MAGIC 0x51ab0f4ea9c3b217ull
#define BIG_MAGIC 0xb16b10c4e7d2a965ull

/* At the start of each slab page; slots follow it. Sized to a multiple of 16
 * so every slot stays 16-byte aligned. */
struct slab {
    uint64_t magic;                 /* SLAB_MAGIC ^ address, 0 once released */
    struct slab *prev, *next;       /* class's list of slabs with a free slot */
    uint64_t used[MAX_SLOTS / 64];  /* 1 = handed out; bits past nslots are 1 */
    uint16_t cls, nslots, nfree;
} __attribute__((aligned(16)));

/* At the start of a large block's first page; the block follows it. */
struct big {
    uint64_t magic;                 /* BIG_MAGIC ^ address, 0 once released */
    uint64_t npages;
} __attribute__((aligned(16)));

_Static_assert((PAGE_SIZE - sizeof(struct slab)) / MIN_CLASS <= MAX_SLOTS,
               "smallest class overflows the used bitmap");

static struct {
    struct spinlock lock;
    const struct heap_ops *ops;
    struct slab *partial[NCLASSES]; /* slabs with at least one free slot */
    size_t nslabs[NCLASSES];
    struct heap_stats st;
} heap;

static uint64_t magic_at(uint64_t magic, const void *page)
{
    return magic ^ (uint64_t)(uintptr_t)page;
}

static size_t class_size(unsigned cls)
{
    return (size_t)MIN_CLASS << cls;
}

/* Smallest class holding n, 1 <= n <= MAX_SMALL. */
static unsigned class_of(size_t n)
{
    unsigned cls = 0;

    while (class_size(cls) < n)
        cls++;
    return cls;
}

static void list_push(struct slab **head, struct slab *s)
{
    s->prev = NULL;
    s->next = *head;
    if (*head)
        (*head)->prev = s;
    *head = s;
}

static void list_remove(struct slab **head, struct slab *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        *head = s->next;
    if (s->next)
        s->next->prev = s->prev;
}

/* Turns a fresh page into an empty slab of cls at the head of its list. Lock held. */
static void slab_init(struct slab *s, unsigned cls)
{
    unsigned nslots = (PAGE_SIZE - sizeof(*s)) / class_size(cls);

    s->magic = magic_at(SLAB_MAGIC, s);
    s->cls = (uint16_t)cls;
    s->nslots = s->nfree = (uint16_t)nslots;
    for (unsigned w = 0; w < MAX_SLOTS / 64; w++) {
        unsigned lo = w * 64;
        /* Slots that do not exist are marked used, so the search never finds them. */
        s->used[w] = nslots >= lo + 64 ? 0 : nslots <= lo ? ~0ull : ~0ull << (nslots - lo);
    }
    list_push(&heap.partial[cls], s);
    heap.nslabs[cls]++;
    heap.st.pages++;
}

/* The first free slot of the first slab of cls with one, or NULL. Lock held. */
static void *slab_take(unsigned cls)
{
    struct slab *s = heap.partial[cls];
    unsigned w = 0;

    if (!s)
        return NULL;
    while (s->used[w] == ~0ull)
        w++;
    unsigned idx = w * 64 + (unsigned)__builtin_ctzll(~s->used[w]);
    s->used[w] |= 1ull << (idx % 64);
    if (--s->nfree == 0)
        list_remove(&heap.partial[cls], s);
    heap.st.bytes_in_use += class_size(cls);
    heap.st.allocs++;
    return (char *)s + sizeof(*s) + idx * class_size(cls);
}

static void *small_alloc(size_t n)
{
    unsigned cls = class_of(n);

    spin_lock(&heap.lock);
    void *p = slab_take(cls);
    spin_unlock(&heap.lock);
    if (p)
        return p;
    /* The page source has its own lock: call it with ours free. Another
     * thread may add a slab meanwhile; then the class simply has two. */
    struct slab *s = heap.ops->alloc_pages(1);
    if (!s)
        return NULL;
    spin_lock(&heap.lock);
    slab_init(s, cls);
    p = slab_take(cls);
    spin_unlock(&heap.lock);
    return p;
}

static void *big_alloc(size_t n)
{
    if (n > SIZE_MAX - sizeof(struct big) - (PAGE_SIZE - 1))
        return NULL;
    size_t npages = (n + sizeof(struct big) + PAGE_SIZE - 1) / PAGE_SIZE;
    struct big *b = heap.ops->alloc_pages(npages);
    if (!b)
        return NULL;
    b->magic = magic_at(BIG_MAGIC, b);
    b->npages = npages;
    spin_lock(&heap.lock);
    heap.st.pages += npages;
    heap.st.bytes_in_use += npages * PAGE_SIZE - sizeof(*b);
    heap.st.allocs++;
    spin_unlock(&heap.lock);
    return b + 1;
}

void heap_init(const struct heap_ops *ops)
{
    memset(&heap, 0, sizeof(heap));
    heap.ops = ops;
}

void *kmalloc(size_t n)
{
    if (n == 0)
        return NULL;
    return n <= MAX_SMALL ? small_alloc(n) : big_alloc(n);
}

void *kzalloc(size_t n)
{
    void *p = kmalloc(n);

    if (p)
        memset(p, 0, n);
    return p;
}

/* Frees the slot at offset off in s, or says why it cannot. Sets *release
 * to s if the slab is now empty and leaves the heap. Lock held. */
static const char *slab_free(struct slab *s, uintptr_t off, void **release)
{
    size_t size = class_size(s->cls);

    if (off < sizeof(*s) || (off - sizeof(*s)) % size)
        return "pointer inside a heap block or header";
    size_t idx = (off - sizeof(*s)) / size;
    if (idx >= s->nslots)
        return "pointer past the last slot of a slab";
    uint64_t bit = 1ull << (idx % 64);
    if (!(s->used[idx / 64] & bit))
        return "double free";
    s->used[idx / 64] &= ~bit;
    if (s->nfree++ == 0)
        list_push(&heap.partial[s->cls], s);
    heap.st.bytes_in_use -= size;
    heap.st.frees++;
    /* Keep one empty slab so a class used now and then does not churn pages. */
    if (s->nfree == s->nslots && heap.nslabs[s->cls] > 1) {
        list_remove(&heap.partial[s->cls], s);
        heap.nslabs[s->cls]--;
        heap.st.pages--;
        s->magic = 0;
        *release = s;
    }
    return NULL;
}

/* Frees large block b given at offset off, or says why it cannot. Sets
 * *release and *npages to the run that leaves the heap. Lock held. */
static const char *big_free(struct big *b, uintptr_t off, void **release, size_t *npages)
{
    if (off != sizeof(*b))
        return "pointer inside a heap block or header";
    heap.st.pages -= b->npages;
    heap.st.bytes_in_use -= b->npages * PAGE_SIZE - sizeof(*b);
    heap.st.frees++;
    b->magic = 0;
    *release = b;
    *npages = b->npages;
    return NULL;
}

void kfree(void *p)
{
    void *page = (void *)((uintptr_t)p & ~(uintptr_t)(PAGE_SIZE - 1));
    uintptr_t off = (uintptr_t)p - (uintptr_t)page;
    void *release = NULL;
    size_t npages = 1; /* a slab */
    const char *why;

    if (!p)
        return;
    spin_lock(&heap.lock);
    uint64_t magic = *(const uint64_t *)page;
    if (magic == magic_at(SLAB_MAGIC, page))
        why = slab_free(page, off, &release);
    else if (magic == magic_at(BIG_MAGIC, page))
        why = big_free(page, off, &release, &npages);
    else
        why = "not a heap pointer, or already freed";
    spin_unlock(&heap.lock);
    /* Both calls may take other locks, or never return: ours must be free. */
    if (why)
        heap.ops->fail(why, p);
    else if (release)
        heap.ops->free_pages(release, npages);
}

void heap_stats(struct heap_stats *out)
{
    spin_lock(&heap.lock);
    *out = heap.st;
    spin_unlock(&heap.lock);
}

void heap_hold_lock(void)
{
    spin_lock(&heap.lock);
}
