/* gemm_avx512bf16.c — AVX-512 BF16 micro-kernels (placeholder: scalar tiles until the SIMD one lands). */
#include "gemm_internal.h"

const gemm_arch *gemm_arch_avx512bf16(void) { return gemm_arch_scalar(); }
