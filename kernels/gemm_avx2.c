/* gemm_avx2.c — AVX2+FMA micro-kernels (placeholder: scalar tiles until the SIMD one lands). */
#include "gemm_internal.h"

const gemm_arch *gemm_arch_avx2(void) { return gemm_arch_scalar(); }
