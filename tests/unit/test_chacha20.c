/* Host tests for percore/chacha20.c: the block function against RFC 8439's
 * vectors, and the generator's promises (chacha20.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chacha20.h"

/* RFC 8439 2.3.2: key 00..1f, nonce 00:00:00:09:00:00:00:4a:00:00:00:00, counter 1. */
static void block_matches_rfc8439_2_3_2(void **state)
{
    (void)state;
    uint32_t key[8], out[16];
    for (int i = 0; i < 8; i++)
        key[i] = (uint32_t)(4 * i) | (uint32_t)(4 * i + 1) << 8 | (uint32_t)(4 * i + 2) << 16 |
                 (uint32_t)(4 * i + 3) << 24;
    const uint32_t nonce[3] = {0x09000000, 0x4a000000, 0};
    const uint32_t want[16] = {0xe4e7f110, 0x15593bd1, 0x1fdd0f50, 0xc47120a3, 0xc7f4d1c7, 0x0368c033,
                               0x9aaa2204, 0x4e6cd4c3, 0x466482d2, 0x09aa9f07, 0x05d7c214, 0xa2028bd9,
                               0xd19c12b5, 0xb94e16de, 0xe883d0cb, 0x4e3c50a2};
    chacha20_block(key, 1, nonce, out);
    assert_memory_equal(out, want, sizeof(want));
}

/* RFC 8439 A.1, test vector 1: all-zero key and nonce, counter 0. */
static void block_matches_rfc8439_a1(void **state)
{
    (void)state;
    const uint32_t key[8] = {0}, nonce[3] = {0};
    const uint32_t want[16] = {0xade0b876, 0x903df1a0, 0xe56a5d40, 0x28bd8653, 0xb819d2bd, 0x1aed8da0,
                               0xccef36a8, 0xc70d778b, 0x7c5941da, 0x8d485751, 0x3fe02477, 0x374ad8b8,
                               0xf4b8436a, 0x1ca11815, 0x69b687c3, 0x8665eeb2};
    uint32_t out[16];
    chacha20_block(key, 0, nonce, out);
    assert_memory_equal(out, want, sizeof(want));
}

static struct rng seeded(uint64_t s)
{
    struct rng r = {{0}, 0};
    const uint64_t seed[2] = {s, ~s};
    rng_mix(&r, seed, 2);
    return r;
}

/* The same seed gives the same bytes; another seed, others. */
static void seed_decides_the_stream(void **state)
{
    (void)state;
    struct rng a = seeded(1), b = seeded(1), c = seeded(2);
    uint8_t x[100], y[100], z[100];
    rng_fill(&a, x, sizeof(x));
    rng_fill(&b, y, sizeof(y));
    rng_fill(&c, z, sizeof(z));
    assert_memory_equal(x, y, sizeof(x));
    assert_memory_not_equal(x, z, sizeof(x));
}

/* Two calls never give the same bytes, and the key after a call is not the
 * key it drew with (fast key erasure). */
static void calls_differ_and_the_key_moves_on(void **state)
{
    (void)state;
    struct rng r = seeded(7);
    uint32_t key0[8];
    memcpy(key0, r.key, sizeof(key0));
    uint8_t x[64], y[64];
    rng_fill(&r, x, sizeof(x));
    assert_memory_not_equal(key0, r.key, sizeof(key0));
    rng_fill(&r, y, sizeof(y));
    assert_memory_not_equal(x, y, sizeof(x));
    /* What a call gave is the first keystream block of the key before it. */
    uint32_t block[16];
    const uint32_t nonce[3] = {0};
    chacha20_block(key0, 0, nonce, block);
    assert_memory_equal(x, block, sizeof(x));
}

/* Lengths that are not a whole block: the tail is the next block's start;
 * no byte past len is written. */
static void odd_lengths(void **state)
{
    (void)state;
    struct rng a = seeded(3), b = seeded(3);
    uint8_t x[131], y[131 + 8];
    rng_fill(&a, x, sizeof(x));
    memset(y, 0xAA, sizeof(y));
    rng_fill(&b, y, 131);
    assert_memory_equal(x, y, sizeof(x));
    for (size_t i = 131; i < sizeof(y); i++)
        assert_int_equal(y[i], 0xAA);
    rng_fill(&a, x, 0); /* nothing asked: still rekeys, writes nothing */
}

/* Mixing more seed into a state keeps what was there: a weak new seed
 * (all zero) still leaves two different states different. */
static void mixing_keeps_what_was_there(void **state)
{
    (void)state;
    struct rng a = seeded(10), b = seeded(11);
    const uint64_t zeros[9] = {0};
    rng_mix(&a, zeros, 9);
    rng_mix(&b, zeros, 9);
    assert_memory_not_equal(a.key, b.key, sizeof(a.key));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(block_matches_rfc8439_2_3_2),
        cmocka_unit_test(block_matches_rfc8439_a1),
        cmocka_unit_test(seed_decides_the_stream),
        cmocka_unit_test(calls_differ_and_the_key_moves_on),
        cmocka_unit_test(odd_lengths),
        cmocka_unit_test(mixing_keeps_what_was_there),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
