/* rng.c — Philox4x32-10 + Box-Muller (see rng.h for the definition of the stream). */
#include "sampler/rng.h"

#include <math.h>

static inline uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t *hi)
{
    uint64_t p = (uint64_t)a * b;
    *hi = (uint32_t)(p >> 32);
    return (uint32_t)p;
}

void ltx2_philox4x32(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int r = 0; r < 10; r++) {
        uint32_t hi0, hi1;
        uint32_t lo0 = mulhilo(0xD2511F53u, c0, &hi0);
        uint32_t lo1 = mulhilo(0xCD9E8D57u, c2, &hi1);
        uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

void ltx2_rng_normal(uint64_t seed, uint32_t stream, uint64_t first, int64_t n, float *out)
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    const double two_pi = 6.283185307179586476925286766559;
    int64_t k = 0;
    while (k < n) {
        uint64_t i = first + (uint64_t)k;
        uint64_t pair = i >> 1;
        const uint32_t ctr[4] = {(uint32_t)pair, (uint32_t)(pair >> 32), stream, 0};
        uint32_t w[4];
        ltx2_philox4x32(ctr, key, w);
        double u1 = ((double)(w[0] >> 8) + 1.0) * (1.0 / 16777216.0); /* (0, 1] */
        double u2 = (double)(w[1] >> 8) * (1.0 / 16777216.0);         /* [0, 1) */
        double r = sqrt(-2.0 * log(u1));
        double z[2] = {r * cos(two_pi * u2), r * sin(two_pi * u2)};
        for (unsigned j = (unsigned)(i & 1); j < 2 && k < n; j++, k++)
            out[k] = (float)z[j];
    }
}
