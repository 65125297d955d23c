/* finite.h — the cheap NaN/Inf scan run on latents once per sampler step and on decoder
 * and vocoder outputs, so that bad weights or inputs fail loudly instead of producing
 * black frames or a full-scale WAV. */
#ifndef LTX2_FINITE_H
#define LTX2_FINITE_H
#include <stdint.h>

#include "kernels.h"

/* Index of the first NaN or infinity in x[0..n), or -1 when all are finite. One
 * memory-bound pass (exponent bits OR-reduced per chunk, so it vectorises). */
int64_t ltx2_find_nonfinite(const float *x, int64_t n);

/* The same on n floats of kc's backend into *at. On a device a reduction decides (the std
 * of data holding NaN or Inf is not finite) and only bad data is read back to locate it. */
K_MUST_USE kstatus ltx2_find_nonfinite_on(const kctx *kc, const float *x, int64_t n, int64_t *at);

#endif
