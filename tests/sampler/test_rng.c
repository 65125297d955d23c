/* The portable noise source: Philox known-answer vectors (Random123), slice
 * independence (any window equals the same window of a longer draw), streams and
 * seeds differ, and the moments of N(0, 1). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sampler/rng.h"

static int failures;
#define CHECK(c, ...) do { if (!(c)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

int main(void)
{
    static const struct { uint32_t ctr[4], key[2], out[4]; } kat[] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
        {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {0xffffffffu, 0xffffffffu},
         {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
        {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, {0xa4093822u, 0x299f31d0u},
         {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
    };
    for (size_t k = 0; k < sizeof kat / sizeof kat[0]; k++) {
        uint32_t o[4];
        ltx2_philox4x32(kat[k].ctr, kat[k].key, o);
        for (int j = 0; j < 4; j++)
            CHECK(o[j] == kat[k].out[j], "philox kat %zu word %d: %08x != %08x", k, j, o[j],
                  kat[k].out[j]);
    }

    enum { N = 200001 };
    float *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    ltx2_rng_normal(42, LTX2_RNG_STREAM_VIDEO, 0, N, a);
    /* Windows starting at odd and even offsets reproduce the long draw. */
    ltx2_rng_normal(42, LTX2_RNG_STREAM_VIDEO, 1001, 777, b);
    CHECK(memcmp(a + 1001, b, 777 * sizeof *b) == 0, "odd-offset window differs");
    ltx2_rng_normal(42, LTX2_RNG_STREAM_VIDEO, 5000, 1, b);
    CHECK(a[5000] == b[0], "single value differs");
    double s = 0, s2 = 0, s4 = 0;
    for (int i = 0; i < N; i++) {
        CHECK(isfinite(a[i]), "value %d not finite", i);
        s += a[i];
        s2 += (double)a[i] * a[i];
        s4 += (double)a[i] * a[i] * a[i] * a[i];
    }
    double mean = s / N, var = s2 / N - mean * mean, kurt = s4 / N;
    CHECK(fabs(mean) < 0.01, "mean %g", mean);
    CHECK(fabs(var - 1.0) < 0.02, "variance %g", var);
    CHECK(fabs(kurt - 3.0) < 0.1, "fourth moment %g", kurt);

    ltx2_rng_normal(42, LTX2_RNG_STREAM_AUDIO, 0, 1000, b);
    int same = 0;
    for (int i = 0; i < 1000; i++)
        same += a[i] == b[i];
    CHECK(same < 5, "audio stream repeats video (%d equal)", same);
    ltx2_rng_normal(43, LTX2_RNG_STREAM_VIDEO, 0, 1000, b);
    same = 0;
    for (int i = 0; i < 1000; i++)
        same += a[i] == b[i];
    CHECK(same < 5, "seed 43 repeats seed 42 (%d equal)", same);

    free(a);
    free(b);
    printf("%s: %d failures\n", failures ? "FAIL" : "OK", failures);
    return failures ? 1 : 0;
}
