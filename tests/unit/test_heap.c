/* Unit tests for percore/heap.c: kmalloc/kfree over a page source.
 * The page source puts every run it hands out at the end of its own
 * aligned_alloc buffer, after a page that records the run: ASan catches any
 * heap access past a run, and a free_pages of anything but a whole run it
 * gave out, or of a run whose record was overwritten, counts as an error. Every block is filled with a pattern
 * keyed by its allocation, so an overlap or a stray write shows up when the
 * block is checked before it is freed. The page source and fail hooks read
 * heap_stats, which takes the heap lock: a hook called with it held hangs.
 * C11 threads, not pthreads: <pthread.h> pulls in <sched.h>, which -Ipercore
 * resolves to the kernel's own sched.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <cmocka.h>
#include "heap.h"

#define PAGE 4096u
#define NCLASSES 8           /* 16, 32, ..., 2048 */
#define MAX_SMALL 2048u
#define BIG_HDR 16u          /* a large block's header, per heap.h's usable size */
#define RUN_LIVE 0x52554e4c49564521ull
#define RUN_DEAD 0x52554e4445414421ull

/* ------------------------------------------------------------ page source */

/* The record in the page in front of each run. */
struct run {
    uint64_t magic;
    size_t npages;
    struct run *prev, *next;
};

static struct {
    mtx_t mu;
    struct run *live;        /* runs the heap holds */
    struct run *retired;     /* runs given back while quarantine is on */
    size_t pages;            /* pages the heap holds */
    size_t limit;            /* most pages the heap may hold at once */
    bool quarantine;         /* keep given-back runs readable, not free()d */
    size_t errors;           /* bad free_pages calls */
} src;

static void run_push(struct run **head, struct run *r)
{
    r->prev = NULL;
    r->next = *head;
    if (*head)
        (*head)->prev = r;
    *head = r;
}

static void run_unlink(struct run **head, struct run *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        *head = r->next;
    if (r->next)
        r->next->prev = r->prev;
}

static void *src_alloc(size_t npages)
{
    struct heap_stats st;
    heap_stats(&st); /* hangs if the heap lock is held */

    mtx_lock(&src.mu);
    if (npages == 0 || npages > src.limit - src.pages) {
        mtx_unlock(&src.mu);
        return NULL;
    }
    struct run *r = aligned_alloc(PAGE, (npages + 1) * PAGE);
    if (!r) {
        mtx_unlock(&src.mu);
        return NULL;
    }
    r->magic = RUN_LIVE;
    r->npages = npages;
    run_push(&src.live, r);
    src.pages += npages;
    mtx_unlock(&src.mu);
    /* Not zero: the heap must not count on fresh pages being clean. */
    memset((char *)r + PAGE, 0xa5, npages * PAGE);
    return (char *)r + PAGE;
}

static void src_free(void *p, size_t npages)
{
    struct heap_stats st;
    heap_stats(&st);

    mtx_lock(&src.mu);
    struct run *r = (struct run *)((char *)p - PAGE);
    if ((uintptr_t)p % PAGE || r->magic != RUN_LIVE || r->npages != npages) {
        src.errors++;
        mtx_unlock(&src.mu);
        return;
    }
    run_unlink(&src.live, r);
    src.pages -= npages;
    if (src.quarantine) {
        r->magic = RUN_DEAD;
        run_push(&src.retired, r);
    } else {
        free(r);
    }
    mtx_unlock(&src.mu);
}

static size_t src_pages(void)
{
    mtx_lock(&src.mu);
    size_t n = src.pages;
    mtx_unlock(&src.mu);
    return n;
}

static void src_release_all(void)
{
    struct run *lists[2] = { src.live, src.retired };

    for (int i = 0; i < 2; i++)
        while (lists[i]) {
            struct run *next = lists[i]->next;
            free(lists[i]);
            lists[i] = next;
        }
    src.live = src.retired = NULL;
    src.pages = 0;
}

/* ------------------------------------------------------------ fail hook */

static struct {
    int count;
    const char *why;
    const void *ptr;
} fails;

static void on_fail(const char *why, const void *ptr)
{
    struct heap_stats st;
    heap_stats(&st);
    fails.count++;
    fails.why = why;
    fails.ptr = ptr;
}

static const struct heap_ops test_ops = {
    .alloc_pages = src_alloc,
    .free_pages = src_free,
    .fail = on_fail,
};

static int setup(void **state)
{
    (void)state;
    src_release_all();
    src.limit = (size_t)1 << 20;
    src.quarantine = false;
    src.errors = 0;
    memset(&fails, 0, sizeof(fails));
    heap_init(&test_ops);
    return 0;
}

/* A test fails if the heap ever gave back something it was not handed. The
 * pages still held (the kept slabs) are freed here for LeakSanitizer. */
static int teardown(void **state)
{
    (void)state;
    size_t errors = src.errors;
    src_release_all();
    return errors ? -1 : 0;
}

/* ------------------------------------------------------------ helpers */

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Mostly small sizes, spread over all classes, and some large ones. */
static size_t rnd_size(uint64_t *s)
{
    if (rnd(s) % 100 < 85)
        return 1 + rnd(s) % (16u << (rnd(s) % NCLASSES));
    return MAX_SMALL + 1 + rnd(s) % 7000;
}

static uint8_t pattern_byte(uint64_t key, size_t i)
{
    uint64_t w = key * 0x9e3779b97f4a7c15ull;
    return (uint8_t)((w >> (i % 8 * 8)) + i / 8);
}

static void fill(void *p, size_t n, uint64_t key)
{
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)p)[i] = pattern_byte(key, i);
}

static bool intact(const void *p, size_t n, uint64_t key)
{
    for (size_t i = 0; i < n; i++)
        if (((const uint8_t *)p)[i] != pattern_byte(key, i))
            return false;
    return true;
}

static bool all_zero(const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (((const uint8_t *)p)[i])
            return false;
    return true;
}

/* What heap.h promises bytes_in_use counts for a block of n bytes. */
static size_t usable(size_t n)
{
    if (n <= MAX_SMALL) {
        size_t c = 16;
        while (c < n)
            c *= 2;
        return c;
    }
    return (n + BIG_HDR + PAGE - 1) / PAGE * PAGE - BIG_HDR;
}

static void *page_of(const void *p)
{
    return (void *)((uintptr_t)p & ~(uintptr_t)(PAGE - 1));
}

static struct heap_stats stats(void)
{
    struct heap_stats st;
    heap_stats(&st);
    return st;
}

/* kfree(p) must call fail once, with p, and change nothing. */
static void expect_bad_free(void *p)
{
    struct heap_stats before = stats(), after;
    size_t pages = src_pages();
    int count = fails.count;

    kfree(p);
    after = stats();
    assert_int_equal(fails.count, count + 1);
    assert_ptr_equal(fails.ptr, p);
    assert_non_null(fails.why);
    assert_memory_equal(&after, &before, sizeof(before));
    assert_int_equal(src_pages(), pages);
}

/* The heap holds exactly the pages the source counts as handed out. */
static void expect_pages_agree(void)
{
    assert_int_equal(stats().pages, src_pages());
}

/* Blocks of n bytes until one lands outside the page of the first: returns
 * how many share that page, the extra one is left in blocks[count]. */
static size_t fill_slab(size_t n, void **blocks, size_t max)
{
    size_t count = 0;

    for (;;) {
        assert_true(count < max);
        blocks[count] = kmalloc(n);
        assert_non_null(blocks[count]);
        if (page_of(blocks[count]) != page_of(blocks[0]))
            return count;
        count++;
    }
}

/* ------------------------------------------------------------ basics */

static void test_zero_size_and_null(void **state)
{
    (void)state;
    assert_null(kmalloc(0));
    assert_null(kzalloc(0));
    kfree(NULL);
    struct heap_stats st = stats();
    assert_int_equal(st.pages, 0);
    assert_int_equal(st.bytes_in_use, 0);
    assert_int_equal(st.allocs, 0);
    assert_int_equal(st.frees, 0);
    assert_int_equal(src_pages(), 0);
    assert_int_equal(fails.count, 0);
}

static void test_stats_usable_sizes(void **state)
{
    (void)state;
    static const struct { size_t n, bytes, pages; } steps[] = {
        { 1, 16, 1 },        { 16, 16, 0 },      { 17, 32, 1 },
        { 33, 64, 1 },       { 2047, 2048, 1 },  { 2048, 2048, 1 },
        { 2049, 4080, 1 },   { 4080, 4080, 1 },  { 4081, 8176, 2 },
        { 9000, 12272, 3 },
    };
    void *p[sizeof(steps) / sizeof(steps[0])];
    size_t bytes = 0, pages = 0;

    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        p[i] = kmalloc(steps[i].n);
        assert_non_null(p[i]);
        bytes += steps[i].bytes;
        pages += steps[i].pages;
        struct heap_stats st = stats();
        assert_int_equal(st.bytes_in_use, bytes);
        assert_int_equal(st.pages, pages);
        assert_int_equal(st.allocs, i + 1);
        assert_int_equal(usable(steps[i].n), steps[i].bytes);
        expect_pages_agree();
    }
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        kfree(p[i]);
        assert_int_equal(stats().frees, i + 1);
    }
    assert_int_equal(stats().bytes_in_use, 0);
    assert_int_equal(fails.count, 0);
}

struct block {
    uint8_t *p;
    size_t n;
    uint64_t key;
};

static int by_address(const void *a, const void *b)
{
    const struct block *x = a, *y = b;
    return x->p < y->p ? -1 : x->p > y->p;
}

/* Every size from 1 to 9000 live at once: aligned, disjoint, and each keeps
 * its pattern until freed. */
static void test_every_size(void **state)
{
    (void)state;
    enum { MAX_N = 9000 };
    struct block *b = calloc(MAX_N, sizeof(*b));
    assert_non_null(b);
    size_t bytes = 0;

    for (size_t n = 1; n <= MAX_N; n++) {
        struct block *x = &b[n - 1];
        x->p = kmalloc(n);
        x->n = n;
        x->key = n;
        assert_non_null(x->p);
        assert_int_equal((uintptr_t)x->p % 16, 0);
        fill(x->p, n, x->key);
        bytes += usable(n);
    }
    assert_int_equal(stats().bytes_in_use, bytes);
    expect_pages_agree();
    for (size_t i = 0; i < MAX_N; i++)
        assert_true(intact(b[i].p, b[i].n, b[i].key));
    qsort(b, MAX_N, sizeof(*b), by_address);
    for (size_t i = 1; i < MAX_N; i++)
        assert_true(b[i - 1].p + usable(b[i - 1].n) <= b[i].p);
    for (size_t i = 0; i < MAX_N; i++) {
        assert_true(intact(b[i].p, b[i].n, b[i].key));
        kfree(b[i].p);
    }
    struct heap_stats st = stats();
    assert_int_equal(st.bytes_in_use, 0);
    assert_int_equal(st.allocs, MAX_N);
    assert_int_equal(st.frees, MAX_N);
    assert_int_equal(st.pages, NCLASSES); /* one kept slab per class */
    expect_pages_agree();
    assert_int_equal(fails.count, 0);
    free(b);
}

/* A slab packs its class into one page, hands out its first free slot, and
 * goes back to the source when empty unless it is its class's last. */
static void test_slab_reuse_and_release(void **state)
{
    (void)state;
    enum { MAX = 600 };
    void *b[MAX];

    size_t per_slab = fill_slab(16, b, MAX);
    assert_true(per_slab >= PAGE / 16 - 8 && per_slab <= 256);
    for (size_t i = 0; i < per_slab; i++)
        assert_ptr_equal(b[i], (char *)b[0] + i * 16); /* first free slot first */
    assert_ptr_not_equal(page_of(b[per_slab]), page_of(b[0]));
    assert_int_equal(stats().pages, 2);

    /* Freed slots come back lowest first, whichever word of the bitmap. */
    kfree(b[70]);
    kfree(b[5]);
    kfree(b[3]);
    assert_ptr_equal(kmalloc(16), b[3]);
    assert_ptr_equal(kmalloc(10), b[5]);
    assert_ptr_equal(kmalloc(1), b[70]);

    /* Emptying the first slab gives its page back; the second is kept. */
    for (size_t i = 0; i < per_slab; i++)
        kfree(b[i]);
    assert_int_equal(stats().pages, 1);
    expect_pages_agree();
    kfree(b[per_slab]);
    assert_int_equal(stats().pages, 1);
    expect_pages_agree();

    /* The kept slab serves the class again without a new page. */
    void *again = kmalloc(16);
    assert_ptr_equal(page_of(again), page_of(b[per_slab]));
    assert_int_equal(stats().pages, 1);
    kfree(again);

    /* The largest class, too. */
    void *big1 = kmalloc(MAX_SMALL), *big2 = kmalloc(MAX_SMALL);
    assert_non_null(big1);
    assert_non_null(big2);
    assert_int_equal(stats().pages, 3);
    kfree(big1);
    kfree(big2);
    assert_int_equal(stats().pages, 2);
    expect_pages_agree();
    assert_int_equal(fails.count, 0);
}

/* After everything is freed the heap holds one page per class it has
 * used, as before the work started, and the source agrees. */
static void test_pages_returned(void **state)
{
    (void)state;
    enum { N = 5000 };
    for (unsigned c = 0; c < NCLASSES; c++)
        kfree(kmalloc(16u << c));
    struct heap_stats start = stats();
    assert_int_equal(start.pages, NCLASSES);
    assert_int_equal(src_pages(), NCLASSES);

    void **b = calloc(N, sizeof(*b));
    size_t *n = calloc(N, sizeof(*n)); /* sizes, only while allocating */
    assert_non_null(b);
    assert_non_null(n);
    uint64_t seed = 42;
    for (size_t i = 0; i < N; i++) {
        n[i] = rnd_size(&seed);
        b[i] = kmalloc(n[i]);
        assert_non_null(b[i]);
        fill(b[i], n[i], i);
    }
    free(n);
    assert_true(stats().pages > 10 * NCLASSES);
    for (size_t i = N - 1; i > 0; i--) {
        size_t j = rnd(&seed) % (i + 1);
        void *tp = b[i];
        b[i] = b[j];
        b[j] = tp;
    }
    for (size_t i = 0; i < N; i++)
        kfree(b[i]);
    struct heap_stats end = stats();
    assert_int_equal(end.pages, start.pages);
    assert_int_equal(end.bytes_in_use, 0);
    assert_int_equal(end.allocs - start.allocs, N);
    assert_int_equal(end.frees - start.frees, N);
    assert_int_equal(src_pages(), NCLASSES);
    assert_int_equal(fails.count, 0);
    free(b);
}

/* kzalloc clears memory that held data, in reused slots and fresh pages.
 * A class's only slab is kept when empty, so its first slot comes back. */
static void test_kzalloc_zeroes_reused(void **state)
{
    (void)state;
    static const size_t sizes[] = { 1, 15, 16, 17, 100, 1000, 2048, 2049, 5000, 9000 };

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t n = sizes[i];
        void *p = kmalloc(n);
        assert_non_null(p);
        memset(p, 0xff, n);
        kfree(p);
        void *q = kzalloc(n);
        assert_non_null(q);
        if (n <= MAX_SMALL)
            assert_ptr_equal(q, p);
        assert_true(all_zero(q, n));
        kfree(q);
    }
    assert_int_equal(stats().bytes_in_use, 0);
    assert_int_equal(fails.count, 0);
}

/* ------------------------------------------------------------ bad frees */

/* Pointers into memory the heap never handed out, including a page that
 * carries a byte-for-byte copy of a real slab or large-block header. */
static void test_bad_free_foreign(void **state)
{
    (void)state;
    uint8_t *foreign = aligned_alloc(PAGE, 2 * PAGE);
    assert_non_null(foreign);
    memset(foreign, 0, 2 * PAGE);
    uint8_t *small = kmalloc(64), *large = kmalloc(5000);
    fill(small, 64, 1);
    fill(large, 5000, 2);

    expect_bad_free(foreign);
    expect_bad_free(foreign + 16);
    expect_bad_free(foreign + 64);
    expect_bad_free(foreign + PAGE + 100);

    memcpy(foreign, page_of(small), PAGE);
    expect_bad_free(foreign + (small - (uint8_t *)page_of(small)));
    memcpy(foreign, page_of(large), PAGE);
    expect_bad_free(foreign + (large - (uint8_t *)page_of(large)));

    assert_true(intact(small, 64, 1));
    assert_true(intact(large, 5000, 2));
    kfree(small);
    kfree(large);
    assert_int_equal(fails.count, 6);
    assert_int_equal(stats().bytes_in_use, 0);
    free(foreign);
}

/* Pointers into live small blocks, into a slab header, and to a slot
 * position past the last slot; the slab's blocks stay live and correct. */
static void test_bad_free_interior_small(void **state)
{
    (void)state;
    enum { MAX = 64 };
    uint8_t *b[MAX];
    size_t per_slab = fill_slab(128, (void **)b, MAX);
    for (size_t i = 0; i <= per_slab; i++)
        fill(b[i], 128, i);
    uint8_t *page = page_of(b[0]), *last = b[0];
    for (size_t i = 0; i < per_slab; i++)
        if (b[i] > last)
            last = b[i];

    expect_bad_free(b[3] + 16);
    expect_bad_free(b[3] + 1);
    expect_bad_free(b[3] + 127);
    expect_bad_free(page);
    expect_bad_free(page + 8);
    expect_bad_free(page + 48);
    assert_true(page < b[0]); /* the header sits before the first slot */
    assert_true(last + 128 < page + PAGE); /* room for a slot position past the end */
    expect_bad_free(last + 128);

    /* The full slab still has no free slot: a new block comes from elsewhere. */
    uint8_t *extra = kmalloc(128);
    assert_ptr_not_equal(page_of(extra), page);
    for (size_t i = 0; i <= per_slab; i++) {
        assert_true(intact(b[i], 128, i));
        kfree(b[i]);
    }
    kfree(extra);
    assert_int_equal(fails.count, 7);
    assert_int_equal(stats().bytes_in_use, 0);
    expect_pages_agree();
}

static void test_bad_free_interior_large(void **state)
{
    (void)state;
    uint8_t *p = kmalloc(3 * PAGE);
    assert_non_null(p);
    fill(p, 3 * PAGE, 7);
    uint8_t *page = page_of(p);

    expect_bad_free(page);
    expect_bad_free(p - 1);
    expect_bad_free(p + 16);
    expect_bad_free(p + 1);
    expect_bad_free((uint8_t *)page + PAGE + (p - page)); /* same offset, next page */
    expect_bad_free(p + 2 * PAGE);

    assert_true(intact(p, 3 * PAGE, 7));
    kfree(p);
    assert_int_equal(fails.count, 6);
    assert_int_equal(stats().pages, 0);
    assert_int_equal(src_pages(), 0);
}

/* Double frees of small blocks, in a kept slab and in one already given
 * back to the source (quarantined, so still readable). */
static void test_double_free_small(void **state)
{
    (void)state;
    enum { MAX = 300 };
    void *b[MAX];
    src.quarantine = true;

    void *a = kmalloc(32), *c = kmalloc(32);
    fill(c, 32, 9);
    kfree(a);
    expect_bad_free(a);
    void *again = kmalloc(32), *next = kmalloc(32);
    assert_ptr_equal(again, a); /* the slot was free exactly once */
    assert_ptr_not_equal(next, c);
    assert_ptr_not_equal(next, a);
    assert_true(intact(c, 32, 9));
    kfree(again);
    kfree(next);
    kfree(c);

    /* Only slab of its class, now empty and kept. */
    void *single = kmalloc(512);
    kfree(single);
    expect_bad_free(single);

    /* A second slab emptied and returned: its header is gone, even once the
     * page's next owner has written all over the rest of it. */
    size_t per_slab = fill_slab(16, b, MAX);
    kfree(b[per_slab]);
    assert_int_equal(src_pages(), 3);
    expect_bad_free(b[per_slab]);
    uint8_t *gone = page_of(b[per_slab]);
    memset(gone + 8, 0xff, PAGE - 8);
    expect_bad_free(b[per_slab]);
    for (size_t i = 0; i < per_slab; i++)
        kfree(b[i]);
    assert_int_equal(fails.count, 4);
    expect_pages_agree();
}

static void test_double_free_large(void **state)
{
    (void)state;
    src.quarantine = true;
    void *p = kmalloc(5000);
    void *q = kmalloc(MAX_SMALL + 1);
    fill(q, MAX_SMALL + 1, 3);
    kfree(p);
    assert_int_equal(src_pages(), 1);
    expect_bad_free(p);
    assert_int_equal(src_pages(), 1);
    assert_true(intact(q, MAX_SMALL + 1, 3));
    kfree(q);
    expect_bad_free(q);
    assert_int_equal(fails.count, 2);
    assert_int_equal(stats().pages, 0);
    assert_int_equal(src_pages(), 0);
}

/* ------------------------------------------------------------ exhaustion */

static void test_page_source_exhausted(void **state)
{
    (void)state;
    enum { MAX = 4096 };
    void **b = calloc(MAX, sizeof(*b));
    assert_non_null(b);
    src.limit = 6;

    size_t n = 0;
    while ((b[n] = kmalloc(16)) != NULL)
        n++;
    assert_true(n > 5 * 240);
    assert_int_equal(src_pages(), 6);
    struct heap_stats st = stats();
    assert_int_equal(st.allocs, n);
    assert_int_equal(st.bytes_in_use, n * 16);
    assert_null(kmalloc(17));
    assert_null(kzalloc(9000));
    assert_null(kmalloc(SIZE_MAX));
    assert_null(kmalloc(SIZE_MAX - PAGE));
    st = stats();
    assert_int_equal(st.allocs, n);
    assert_int_equal(st.pages, 6);

    /* A freed slot is handed out again without a new page. */
    kfree(b[n / 2]);
    void *p = kmalloc(16);
    assert_ptr_equal(p, b[n / 2]);
    for (size_t i = 0; i < n; i++)
        kfree(b[i]);
    assert_int_equal(stats().pages, 1);

    /* The freed pages serve a large request; the size overflow guard holds
     * even when the source could give what a wrapped size would ask. */
    src.limit = (size_t)1 << 20;
    void *big = kmalloc(4 * PAGE);
    assert_non_null(big);
    fill(big, 4 * PAGE, 5);
    assert_null(kmalloc(SIZE_MAX - 8));
    assert_null(kmalloc(SIZE_MAX - 4096 - 16));
    assert_true(intact(big, 4 * PAGE, 5));
    kfree(big);
    assert_int_equal(stats().bytes_in_use, 0);
    expect_pages_agree();
    assert_int_equal(fails.count, 0);
    free(b);
}

/* ------------------------------------------------------------ random model */

/* Random alloc/free against a model of live blocks; patterns and every
 * counter are checked after each step. */
static void test_model_random(void **state)
{
    (void)state;
    enum { SLOTS = 1500, OPS = 100000 };
    struct block *live = calloc(SLOTS, sizeof(*live));
    assert_non_null(live);
    uint64_t seed = 0x1234567, key = 0;
    size_t bytes = 0, allocs = 0, frees = 0;

    for (int op = 0; op < OPS; op++) {
        struct block *x = &live[rnd(&seed) % SLOTS];
        if (x->p) {
            if (!intact(x->p, x->n, x->key))
                fail_msg("op %d: block %p of %zu bytes overwritten", op, (void *)x->p, x->n);
            kfree(x->p);
            bytes -= usable(x->n);
            frees++;
            x->p = NULL;
        } else {
            x->n = rnd_size(&seed);
            x->key = ++key;
            bool zero = rnd(&seed) % 8 == 0;
            x->p = zero ? kzalloc(x->n) : kmalloc(x->n);
            assert_non_null(x->p);
            assert_int_equal((uintptr_t)x->p % 16, 0);
            if (zero)
                assert_true(all_zero(x->p, x->n));
            fill(x->p, x->n, x->key);
            bytes += usable(x->n);
            allocs++;
        }
        struct heap_stats st = stats();
        assert_int_equal(st.bytes_in_use, bytes);
        assert_int_equal(st.allocs, allocs);
        assert_int_equal(st.frees, frees);
        assert_int_equal(st.pages, src_pages());
    }
    for (size_t i = 0; i < SLOTS; i++)
        if (live[i].p) {
            assert_true(intact(live[i].p, live[i].n, live[i].key));
            kfree(live[i].p);
        }
    struct heap_stats st = stats();
    assert_int_equal(st.bytes_in_use, 0);
    assert_int_equal(st.pages, NCLASSES);
    expect_pages_agree();
    assert_int_equal(fails.count, 0);
    free(live);
}

/* ------------------------------------------------------------ threads */

enum { THREADS = 4, THREAD_OPS = 50000, THREAD_SLOTS = 64 };
static int mt_errors;

static int mt_worker(void *arg)
{
    uintptr_t id = (uintptr_t)arg;
    struct block live[THREAD_SLOTS] = { 0 };
    uint64_t seed = 0x9e3779b97f4a7c15ull * (id + 1), key = id << 32;
    int errors = 0;

    for (int op = 0; op < THREAD_OPS; op++) {
        struct block *x = &live[rnd(&seed) % THREAD_SLOTS];
        if (x->p) {
            errors += !intact(x->p, x->n, x->key);
            kfree(x->p);
            x->p = NULL;
            continue;
        }
        x->n = rnd_size(&seed);
        x->key = ++key;
        bool zero = rnd(&seed) % 8 == 0;
        x->p = zero ? kzalloc(x->n) : kmalloc(x->n);
        if (!x->p || (uintptr_t)x->p % 16 || (zero && !all_zero(x->p, x->n))) {
            errors++;
            x->p = NULL;
            continue;
        }
        fill(x->p, x->n, x->key);
    }
    for (int i = 0; i < THREAD_SLOTS; i++)
        if (live[i].p) {
            errors += !intact(live[i].p, live[i].n, live[i].key);
            kfree(live[i].p);
        }
    __atomic_add_fetch(&mt_errors, errors, __ATOMIC_RELAXED);
    return 0;
}

static void test_threads(void **state)
{
    (void)state;
    thrd_t t[THREADS];
    mt_errors = 0;

    for (uintptr_t i = 0; i < THREADS; i++)
        assert_int_equal(thrd_create(&t[i], mt_worker, (void *)i), thrd_success);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(thrd_join(t[i], NULL), thrd_success);

    assert_int_equal(mt_errors, 0);
    struct heap_stats st = stats();
    assert_int_equal(st.bytes_in_use, 0);
    assert_int_equal(st.allocs, st.frees);
    assert_true(st.allocs > THREADS * THREAD_OPS / 3);
    /* Racing threads may each add a slab, but empty ones beyond one a class go back. */
    assert_int_equal(st.pages, NCLASSES);
    expect_pages_agree();
    assert_int_equal(fails.count, 0);
}

int main(void)
{
    if (mtx_init(&src.mu, mtx_plain) != thrd_success)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_zero_size_and_null, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_usable_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slab_reuse_and_release, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pages_returned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kzalloc_zeroes_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_free_foreign, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_free_interior_small, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_free_interior_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_double_free_small, setup, teardown),
        cmocka_unit_test_setup_teardown(test_double_free_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_source_exhausted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_model_random, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
