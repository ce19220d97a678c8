/* The kernel's random bytes: what getrandom(2), /dev/urandom and
 * /dev/random give a node, and so what seeds OpenSSL's generator behind
 * crypto:strong_rand_bytes/1.
 *
 * Contract:
 *  - random_fill(buf, len) fills buf from this core's ChaCha20 generator
 *    (chacha20.h). Before each call's bytes it mixes in 256 fresh bits from
 *    the CPU: RDSEED where the CPU has it, else RDRAND.
 *  - A CPU with neither (Bochs, older QEMU models) seeds its generator once
 *    from what differs boot to boot and core to core: the RTC's wall clock,
 *    the TSC, the APIC id and the jitter of timed CPUID loops; each call then
 *    mixes in the TSC. That is weaker than the hardware, and
 *    random_source() says which a core has (/dev/hydros/kernel shows it).
 *  - /dev/urandom and /dev/random are the same device (random_ops): a read
 *    gives at most GETRANDOM_MAX bytes, as getrandom(2); a write is mixed
 *    into the generator, as on Linux, and can only add to it.
 *  - Only a core's own kernel touches its generator, and the kernel is
 *    never preempted: no lock. */
#include <string.h>

#include "arch/x86.h"
#include "chacha20.h"
#include "kernel.h"
#include "tmpfs.h"
#include "uapi.h"
#include "vfs.h"

#define HW_WORDS 4    /* 256 bits of the CPU's source each call */
#define HW_TRIES 10   /* Intel's advice: RDRAND may fail now and then; RDSEED more often */
#define JITTER_WORDS 32

enum source { SOURCE_UNKNOWN, SOURCE_RDSEED, SOURCE_RDRAND, SOURCE_TIMING };

static struct generator {
    struct rng rng;
    enum source source;
} generators[MAX_CORES];

static enum source probe(void)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    uint32_t max_leaf = r[0];
    if (max_leaf >= 7) {
        cpuid(7, 0, r);
        if (r[1] & (1u << 18))
            return SOURCE_RDSEED;
    }
    cpuid(1, 0, r);
    return r[2] & (1u << 30) ? SOURCE_RDRAND : SOURCE_TIMING;
}

static bool hw_word(enum source s, uint64_t *v)
{
    for (int i = 0; i < HW_TRIES; i++)
        if (s == SOURCE_RDSEED ? rdseed64(v) : rdrand64(v))
            return true;
    /* RDSEED ran dry (its conditioner is slower than we ask): RDRAND
     * reseeds from the same source, so it is the right second choice. */
    return s == SOURCE_RDSEED && hw_word(SOURCE_RDRAND, v);
}

/* How long CPUID takes varies with what the CPU (or the emulator) was
 * doing: the low bits of each timing are the jitter. */
static void timing_seed(struct rng *rng)
{
    uint64_t seed[JITTER_WORDS + 4], r4[2];
    for (int i = 0; i < JITTER_WORDS; i++) {
        uint64_t t0 = rdtsc();
        for (int j = 0; j <= i % 7; j++)
            cpuid(0, 0, (uint32_t *)r4);
        seed[i] = (rdtsc() - t0) << 32 ^ t0;
    }
    seed[JITTER_WORDS] = realtime_us();
    seed[JITTER_WORDS + 1] = rtc_epoch_us();
    seed[JITTER_WORDS + 2] = this_core()->lapic_id;
    seed[JITTER_WORDS + 3] = rdtsc();
    rng_mix(rng, seed, ARRAY_SIZE(seed));
}

/* This core's generator, seeded on first use. */
static struct generator *mine(void)
{
    struct generator *g = &generators[this_core()->id];
    if (g->source == SOURCE_UNKNOWN) {
        g->source = probe();
        if (g->source == SOURCE_TIMING)
            timing_seed(&g->rng);
    }
    return g;
}

void random_fill(void *buf, uint64_t len)
{
    struct generator *g = mine();
    uint64_t fresh[HW_WORDS + 1];
    int n = 0;
    if (g->source != SOURCE_TIMING)
        while (n < HW_WORDS && hw_word(g->source, &fresh[n]))
            n++;
    fresh[n++] = rdtsc(); /* always, and all there is on a CPU without a source */
    rng_mix(&g->rng, fresh, n);
    rng_fill(&g->rng, buf, len);
}

const char *random_source(void)
{
    static const char *const names[] = {"unknown", "rdseed", "rdrand", "timing"};
    return names[mine()->source];
}

static int64_t random_read(struct file *f, void *buf, uint64_t len)
{
    if (!file_can_read(f))
        return -EBADF;
    if (len > GETRANDOM_MAX)
        len = GETRANDOM_MAX;
    random_fill(buf, len);
    return (int64_t)len;
}

static int64_t random_write(struct file *f, const void *buf, uint64_t len)
{
    if (!file_can_write(f))
        return -EBADF;
    const uint8_t *p = buf;
    for (uint64_t done = 0; done < len;) {
        uint64_t w[8] = {0};
        uint64_t n = len - done < sizeof(w) ? len - done : sizeof(w);
        memcpy(w, p + done, n);
        rng_mix(&mine()->rng, w, ARRAY_SIZE(w));
        done += n;
    }
    return (int64_t)len;
}

const struct file_ops random_ops = {.read = random_read, .write = random_write};
