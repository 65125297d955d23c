/* features.c — per-layer masked normalisation + flatten + projection, as backend ops:
 * the statistics of every hidden state in one op (read back: a few numbers per state),
 * the normalisation in place, then per block of rows one strided copy into the
 * channel-major layout and one GEMM. */
#include "text/features.h"
#include "common/layers.h"
#include "node.h"

#include <math.h>
#include <stdlib.h>

/* Rows flattened per GEMM call: bounds the [rows][dim*n_states] buffer (the 12B model's
 * 188160-wide rows are 735 KiB each). */
#define FEATURE_ROW_BLOCK 16

/* Each state's mean over all valid tokens and channels and 8 / its range. */
static kstatus state_scales(const kctx *ctx, const float *hidden, int64_t NS, int64_t n, int64_t D, float *mean,
                            float *inv)
{
    double *sum = malloc((size_t)NS * sizeof *sum);
    float *lo = malloc((size_t)NS * sizeof *lo), *hi = malloc((size_t)NS * sizeof *hi);
    kstatus ks = sum && lo && hi ? KS_OK : KS_OOM;
    K_THEN(ks, k_sum_min_max(ctx, NS, n * D, hidden, sum, lo, hi));
    for (int64_t l = 0; ks == KS_OK && l < NS; ++l) {
        mean[l] = (float)(sum[l] / ((double)(n * D) + 1e-6));
        inv[l] = 8.0f / (hi[l] - lo[l] + 1e-6f);
    }
    free(sum), free(lo), free(hi);
    return ks;
}

static ltx2_status features_body(const kctx *ctx, float *hidden, int64_t NS, int64_t n, int64_t D, const kmat *proj,
                                 float *out, ltx2_error *err)
{
    const int64_t K = D * NS, rb = n < FEATURE_ROW_BLOCK ? n : FEATURE_ROW_BLOCK;
    float *mean = malloc((size_t)NS * sizeof(float)), *inv = malloc((size_t)NS * sizeof(float)), *buf = NULL;
    kstatus ks = mean && inv ? KS_OK : KS_OOM;
    K_THEN(ks, state_scales(ctx, hidden, NS, n, D, mean, inv));
    /* (x − mean)·inv as (x + (−mean))·inv: the same rounding; the clamp lets all through */
    for (int64_t l = 0; l < NS; ++l)
        K_THEN(ks, k_shift_scale_clamp(ctx, hidden + l * n * D, -mean[l], inv[l], -INFINITY, INFINITY,
                                       hidden + l * n * D, n * D));
    K_THEN(ks, k_arena_alloc(ctx->arena, (size_t)(rb * K) * sizeof(float), (void **)&buf));
    for (int64_t r0 = 0; ks == KS_OK && r0 < n; r0 += rb) {
        const int64_t rows = n - r0 < rb ? n - r0 : rb;
        /* buf[r][d·NS + l] = hidden[l][r0 + r][d] */
        const int64_t shape[3] = {NS, rows, D}, xs[3] = {n * D, D, 1}, ys[3] = {1, K, NS};
        K_THEN(ks, k_strided_copy3d(ctx, shape, hidden + r0 * D, xs, buf, ys));
        K_THEN(ks, k_linear(ctx, rows, buf, K, proj, NULL, NULL, out + r0 * proj->rows, proj->rows, 0));
    }
    free(mean), free(inv);
    return ltx2_kerr(err, ks, "feature extractor");
}

ltx2_status ltx2_text_features(const kctx *ctx, float *hidden, int64_t NS, int64_t n, int64_t D, const kmat *proj,
                               float *out, ltx2_error *err)
{
    const int64_t K = D * NS;
    if (proj->cols != K)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "text_embedding_projection.aggregate_embed.weight: %lld inputs, "
                        "the Gemma model gives %lld x %lld = %lld", (long long)proj->cols, (long long)D,
                        (long long)NS, (long long)K);
    kctx local;
    karena *own;
    const kctx *ws = lx_workspace(ctx, &local, &own);
    if (!ws) return ltx2_err(err, LTX2_ERR_OOM, "feature extractor: out of memory for the workspace");
    const kmark mark = k_arena_mark(ws->arena);
    ltx2_status st = features_body(ws, hidden, NS, n, D, proj, out, err);
    k_arena_release(ws->arena, mark);
    k_arena_destroy(own);
    return st;
}
