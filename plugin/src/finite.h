/* finite.h — the cheap NaN/Inf scan run on latents once per sampler step and on decoder
 * and vocoder outputs, so that bad weights or inputs fail loudly instead of producing
 * black frames or a full-scale WAV. */
#ifndef LTX2_FINITE_H
#define LTX2_FINITE_H
#include <stdint.h>

/* Index of the first NaN or infinity in x[0..n), or -1 when all are finite. One
 * memory-bound pass (exponent bits OR-reduced per chunk, so it vectorises). */
int64_t ltx2_find_nonfinite(const float *x, int64_t n);

#endif
