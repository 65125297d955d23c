/* bench_dit_model.h — an LTX-2 AV transformer at the 19B widths (video 32x128, audio
 * 32x64, FFN x4) with random bf16 weights, for the transformer benches. */
#ifndef LTX2_BENCH_DIT_MODEL_H
#define LTX2_BENCH_DIT_MODEL_H
#include "transformer/transformer.h"

typedef struct bench_dit bench_dit;

/* A model of `layers` blocks with text width `caption`, matrices in bf16 or (fp8 != 0)
 * FP8 E4M3 with a per-tensor scale. Each matrix gets its own random values, or, with
 * `shared_pool`, a slice of one random pool (the matrices of a 48-layer model then cost
 * no host memory beyond the pool; their values differ but repeat). NULL when out of
 * memory. */
bench_dit *bench_dit_make(int layers, int caption, int shared_pool, int fp8);
ltx2_dit *bench_dit_model(bench_dit *d);
void bench_dit_free(bench_dit *d); /* NULL-safe; releases the model too */

/* Multiply-add flops (x2) of one forward's blocks: nv video, na audio, nt text tokens. */
double bench_dit_flops(const ltx2_dit_config *c, double nv, double na, double nt);

#endif
