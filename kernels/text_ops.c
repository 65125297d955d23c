/*
 * text_ops.c — the two steps of the Gemma text encoder that are neither GEMMs nor norms:
 * the embedding gather (token ids to scaled rows of the stored table) and the statistics
 * of the feature extractor (sum, min and max of each hidden state). Single passes; the
 * statistics of one slab are summed in index order on every pool.
 */
#include "kbackend.h"

#include <float.h>

kstatus k_embed_rows(const kctx *ctx, const kmat *table, const int32_t *ids, int64_t n, float scale, float *y,
                     int64_t ldy)
{
    K_DISPATCH(ctx, kcuda_embed_rows(ctx, table, ids, n, scale, y, ldy));
    if (!table || n < 0 || ldy < table->cols) return KS_BAD_ARG;
    if (!n) return KS_OK;
    if (!ids || !y || !table->data) return KS_BAD_ARG;
    const size_t esz = k_dtype_size(table->dtype);
    const int64_t D = table->cols;
    for (int64_t t = 0; t < n; ++t) {
        if (ids[t] < 0 || ids[t] >= table->rows) continue; /* a row the caller fills */
        const char *row = (const char *)table->data + (size_t)ids[t] * (size_t)table->ld * esz;
        float *out = y + t * ldy;
        k_to_f32(table->dtype, row, out, D);
        for (int64_t d = 0; d < D; ++d) out[d] = out[d] * table->scale * scale;
    }
    return KS_OK;
}

typedef struct stats_args {
    int64_t n;
    const float *x;
    double *sum;
    float *lo, *hi;
} stats_args;

static void stats_task(void *arg, int64_t begin, int64_t end, int tid)
{
    (void)tid;
    const stats_args *a = arg;
    for (int64_t s = begin; s < end; ++s) {
        const float *x = a->x + s * a->n;
        double sum = 0.0;
        float lo = FLT_MAX, hi = -FLT_MAX;
        for (int64_t i = 0; i < a->n; ++i) {
            sum += x[i];
            lo = x[i] < lo ? x[i] : lo;
            hi = x[i] > hi ? x[i] : hi;
        }
        a->sum[s] = sum, a->lo[s] = lo, a->hi[s] = hi;
    }
}

kstatus k_sum_min_max(const kctx *ctx, int64_t slabs, int64_t n, const float *x, double *sum, float *lo, float *hi)
{
    K_DISPATCH(ctx, kcuda_sum_min_max(ctx, slabs, n, x, sum, lo, hi));
    if (slabs < 0 || n < 0) return KS_BAD_ARG;
    if (!slabs) return KS_OK;
    if (!sum || !lo || !hi || (n && !x)) return KS_BAD_ARG;
    stats_args a = {n, x, sum, lo, hi};
    return k_par(ctx, slabs, 1, stats_task, &a);
}
