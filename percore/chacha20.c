/* ChaCha20's block function and the fast-key-erasure generator on it.
 * Contract: chacha20.h. */
#include <string.h>

#include "chacha20.h"

#define ROTL(v, n) (((v) << (n)) | ((v) >> (32 - (n))))
#define QR(a, b, c, d)                                                                             \
    do {                                                                                           \
        a += b, d ^= a, d = ROTL(d, 16);                                                           \
        c += d, b ^= c, b = ROTL(b, 12);                                                           \
        a += b, d ^= a, d = ROTL(d, 8);                                                            \
        c += d, b ^= c, b = ROTL(b, 7);                                                            \
    } while (0)

void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint32_t out[16])
{
    uint32_t in[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574}; /* "expand 32-byte k" */
    memcpy(&in[4], key, 32);
    in[12] = counter;
    memcpy(&in[13], nonce, 12);
    uint32_t x[16];
    memcpy(x, in, sizeof(x));
    for (int i = 0; i < 10; i++) { /* 20 rounds: a column round, then a diagonal one */
        QR(x[0], x[4], x[8], x[12]);
        QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]);
        QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]);
        QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]);
        QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++)
        out[i] = x[i] + in[i];
}

/* The next block under the current key; the 64-bit block count is the
 * counter and the nonce's first word, so no block repeats under one key. */
static void next_block(struct rng *r, uint32_t out[16])
{
    const uint32_t nonce[3] = {(uint32_t)(r->blocks >> 32), 0, 0};
    chacha20_block(r->key, (uint32_t)r->blocks, nonce, out);
    r->blocks++;
}

/* A new key from the first half of a fresh block; the old key is gone. */
static void rekey(struct rng *r)
{
    uint32_t b[16];
    next_block(r, b);
    memcpy(r->key, b, sizeof(r->key));
    r->blocks = 0;
    memset(b, 0, sizeof(b));
}

void rng_mix(struct rng *r, const uint64_t *seed, size_t words)
{
    for (size_t i = 0; i < words; i++) {
        r->key[(2 * i) % 8] ^= (uint32_t)seed[i];
        r->key[(2 * i + 1) % 8] ^= (uint32_t)(seed[i] >> 32);
        if (i % 4 == 3)
            rekey(r); /* every 256 bits: more seed than the key holds still all counts */
    }
    rekey(r);
}

void rng_fill(struct rng *r, void *buf, size_t len)
{
    uint8_t *p = buf;
    uint32_t b[16];
    while (len) {
        next_block(r, b);
        size_t n = len < sizeof(b) ? len : sizeof(b);
        memcpy(p, b, n);
        p += n, len -= n;
    }
    memset(b, 0, sizeof(b));
    rekey(r);
}
