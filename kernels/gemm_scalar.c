/* gemm_scalar.c — portable micro-kernels (any C11 compiler): 4 × 32 tiles. */
#include "gemm_internal.h"

#define MR 4

static void store_tile(float acc[MR][GEMM_NR], float *c, int64_t ldc, int add) {
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < GEMM_NR; j++) c[i * ldc + j] = add ? c[i * ldc + j] + acc[i][j] : acc[i][j];
}

static void ukr_f32(int64_t kc, const void *av, const void *bv, float *c, int64_t ldc, int add) {
    const float *a = av, *b = bv;
    float acc[MR][GEMM_NR] = {{0}};
    for (int64_t t = 0; t < kc; t++)
        for (int i = 0; i < MR; i++) {
            float ai = a[t * MR + i];
            for (int j = 0; j < GEMM_NR; j++) acc[i][j] += ai * b[t * GEMM_NR + j];
        }
    store_tile(acc, c, ldc, add);
}

/* bf16 panel, lane l = (column l, column l+16): widened row by row into f32 */
static void ukr_bf16w(int64_t kc, const void *av, const void *bv, float *c, int64_t ldc, int add) {
    const float *a = av;
    const uint16_t *b = bv;
    float acc[MR][GEMM_NR] = {{0}};
    float row[GEMM_NR];
    for (int64_t t = 0; t < kc; t++) {
        for (int l = 0; l < 16; l++) {
            row[l] = k_bf16_to_f32(b[t * GEMM_NR + 2 * l]);
            row[l + 16] = k_bf16_to_f32(b[t * GEMM_NR + 2 * l + 1]);
        }
        for (int i = 0; i < MR; i++) {
            float ai = a[t * MR + i];
            for (int j = 0; j < GEMM_NR; j++) acc[i][j] += ai * row[j];
        }
    }
    store_tile(acc, c, ldc, add);
}

const gemm_arch *gemm_arch_scalar(void) {
    static const gemm_arch arch = {MR, {ukr_f32, ukr_bf16w, NULL}, NULL, NULL, NULL};
    return &arch;
}
