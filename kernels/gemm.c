/* gemm.c — k_linear / k_sgemm / k_pack entry points (portable first version: row-wise
 * dot products; the weight row is widened into a K-float buffer, never the whole matrix). */
#include "kernels.h"

#include <stdlib.h>
#include <string.h>

struct kpacked {
    kmat w;
};

kpacked *k_pack(const kctx *ctx, const kmat *w) {
    (void)ctx;
    kpacked *p = malloc(sizeof *p);
    if (p) p->w = *w;
    return p;
}

void k_packed_free(kpacked *p) { free(p); }

static float round_bf16(float v) { return k_bf16_to_f32(k_f32_to_bf16(v)); }

typedef struct lin_job {
    const kctx *ctx;
    int64_t m;
    const float *x;
    int64_t ldx;
    const kmat *w;
    const float *bias;
    float *y;
    int64_t ldy;
    int accumulate;
} lin_job;

static void lin_task(void *arg, int64_t j0, int64_t j1, int tid) {
    (void)tid;
    const lin_job *J = arg;
    const kmat *w = J->w;
    int64_t k = w->cols;
    int fast = J->ctx->prec == KP_FAST;
    float *row = malloc((size_t)(k > 0 ? k : 1) * sizeof *row);
    if (!row) return;
    size_t es = k_dtype_size(w->dtype);
    for (int64_t j = j0; j < j1; j++) {
        k_to_f32(w->dtype, (const char *)w->data + (size_t)(j * w->ld) * es, row, k);
        for (int64_t t = 0; t < k; t++) {
            row[t] *= w->scale;
            if (fast) row[t] = round_bf16(row[t]);
        }
        for (int64_t i = 0; i < J->m; i++) {
            const float *xi = J->x + i * J->ldx;
            float acc = 0.0f;
            if (fast)
                for (int64_t t = 0; t < k; t++) acc += round_bf16(xi[t]) * row[t];
            else
                for (int64_t t = 0; t < k; t++) acc += xi[t] * row[t];
            if (J->bias) acc += J->bias[j];
            if (fast) acc = round_bf16(acc);
            float *yo = J->y + i * J->ldy + j;
            *yo = J->accumulate ? *yo + acc : acc;
        }
    }
    free(row);
}

void k_linear(const kctx *ctx, int64_t m, const float *x, int64_t ldx, const kmat *w,
              const kpacked *packed, const float *bias, float *y, int64_t ldy, int accumulate) {
    (void)packed;
    lin_job J = {ctx, m, x, ldx, w, bias, y, ldy, accumulate};
    kpool_for(ctx->pool, w->rows, 1, lin_task, &J);
}

typedef struct sg_job {
    int ta, tb;
    int64_t n, k;
    float alpha, beta;
    const float *a, *b;
    int64_t lda, ldb, ldc;
    float *c;
} sg_job;

static void sg_task(void *arg, int64_t i0, int64_t i1, int tid) {
    (void)tid;
    const sg_job *J = arg;
    for (int64_t i = i0; i < i1; i++) {
        for (int64_t j = 0; j < J->n; j++) {
            float acc = 0.0f;
            for (int64_t t = 0; t < J->k; t++) {
                float av = J->ta ? J->a[t * J->lda + i] : J->a[i * J->lda + t];
                float bv = J->tb ? J->b[j * J->ldb + t] : J->b[t * J->ldb + j];
                acc += av * bv;
            }
            float *co = J->c + i * J->ldc + j;
            *co = J->alpha * acc + (J->beta == 0.0f ? 0.0f : J->beta * *co);
        }
    }
}

void k_sgemm(const kctx *ctx, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
             float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
             float *c, int64_t ldc) {
    sg_job J = {trans_a, trans_b, n, k, alpha, beta, a, b, lda, ldb, ldc, c};
    kpool_for(ctx->pool, m, 1, sg_task, &J);
}
