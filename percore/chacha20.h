/* ChaCha20 (RFC 8439) and the random generator built on it that getrandom(2)
 * serves (random.c): a 256-bit key, a block counter, and fast key erasure.
 *
 * Contract:
 *  - Pure logic: no state of its own, no hardware, no printing; tested on
 *    the host against RFC 8439's vectors (tests/unit/test_chacha20.c).
 *  - chacha20_block is RFC 8439's block function (32-bit counter, 96-bit nonce).
 *  - rng_fill never hands out the same bytes twice from one state, and it
 *    replaces the key with keystream before it returns (fast key erasure):
 *    the state after a call reveals nothing about what the call gave.
 *  - rng_mix folds new seed words into the key; what was there before still
 *    counts (a weak new seed never weakens the state).
 *  - The caller serializes calls on one struct rng. */
#ifndef HYDROS_CHACHA20_H
#define HYDROS_CHACHA20_H
#include <stddef.h>
#include <stdint.h>

void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint32_t out[16]);

struct rng {
    uint32_t key[8];
    uint64_t blocks; /* keystream blocks drawn under this key: the counter and nonce */
};

void rng_mix(struct rng *r, const uint64_t *seed, size_t words);
void rng_fill(struct rng *r, void *buf, size_t len);

#endif
