/* elementwise_impl.h — per-ISA entry points of the elementwise kernels (kops internal). */
#ifndef LTX2_ELEMENTWISE_IMPL_H
#define LTX2_ELEMENTWISE_IMPL_H

#include <stdint.h>

enum { KACT_GELU_TANH = 0, KACT_SILU = 1, KACT_TANH = 2 };

/* Applies activation `act` to n floats; returns 0 (did nothing) for an unknown act. */
int k_ew_act_avx512(int act, const float *x, float *y, int64_t n);
int k_ew_act_avx2(int act, const float *x, float *y, int64_t n);

#endif
