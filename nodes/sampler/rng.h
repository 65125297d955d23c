/* rng.h — the portable seeded noise source of the sampler.
 *
 * Counter-based: normal number i of stream s under seed k is a pure function of
 * (k, s, i), so any slice can be drawn in any order or on any thread and every
 * platform gives the same values. Philox4x32-10 (Salmon et al., SC'11) maps
 * key = seed (64 bits) and counter = (i / 2, s) to four 32-bit words; the first two
 * become two uniforms u1 in (0, 1], u2 in [0, 1) with 24-bit resolution, and the
 * Box-Muller transform in double precision gives
 *   z(2j)   = sqrt(-2 ln u1) cos(2 pi u2),  z(2j+1) = sqrt(-2 ln u1) sin(2 pi u2),
 * rounded to float32. The sampler uses stream 0 for video and 1 for audio. */
#ifndef LTX2_SAMPLER_RNG_H
#define LTX2_SAMPLER_RNG_H
#include <stdint.h>

enum { LTX2_RNG_STREAM_VIDEO = 0, LTX2_RNG_STREAM_AUDIO = 1 };

/* Philox4x32-10 block: out[4] from counter[4] and key[2]. */
void ltx2_philox4x32(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]);
/* n standard normals z(first) ... z(first + n - 1) of (seed, stream). */
void ltx2_rng_normal(uint64_t seed, uint32_t stream, uint64_t first, int64_t n, float *out);

#endif
