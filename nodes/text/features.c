/* features.c — per-layer masked normalisation + flatten + projection. */
#include "text/features.h"
#include "node.h"

#include <float.h>
#include <stdlib.h>

/* Rows flattened per GEMM call: bounds the [rows][dim*n_states] buffer (the 12B model's
 * 188160-wide rows are 735 KiB each). */
#define FEATURE_ROW_BLOCK 16

ltx2_status ltx2_text_features(const kctx *ctx, const float *hidden, int64_t NS, int64_t n, int64_t D,
                               const kmat *proj, float *out, ltx2_error *err)
{
    const int64_t K = D * NS;
    if (proj->cols != K)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "text_embedding_projection.aggregate_embed.weight: %lld inputs, "
                        "the Gemma model gives %lld x %lld = %lld", (long long)proj->cols, (long long)D,
                        (long long)NS, (long long)K);
    float *mean = malloc((size_t)NS * sizeof(float)), *inv = malloc((size_t)NS * sizeof(float));
    int64_t rb = n < FEATURE_ROW_BLOCK ? n : FEATURE_ROW_BLOCK;
    float *buf = malloc((size_t)(rb * K) * sizeof(float));
    if (!mean || !inv || !buf) {
        free(mean), free(inv), free(buf);
        return ltx2_err(err, LTX2_ERR_OOM, "feature extractor: out of memory");
    }
    /* Statistics per hidden state over all valid tokens and channels. */
    for (int64_t l = 0; l < NS; ++l) {
        const float *x = hidden + l * n * D;
        double sum = 0.0;
        float lo = FLT_MAX, hi = -FLT_MAX;
        for (int64_t i = 0; i < n * D; ++i) {
            sum += x[i];
            lo = x[i] < lo ? x[i] : lo;
            hi = x[i] > hi ? x[i] : hi;
        }
        mean[l] = (float)(sum / ((double)(n * D) + 1e-6));
        inv[l] = 8.0f / (hi - lo + 1e-6f);
    }
    kstatus ks = KS_OK;
    for (int64_t r0 = 0; ks == KS_OK && r0 < n; r0 += rb) {
        int64_t rows = n - r0 < rb ? n - r0 : rb;
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t l = 0; l < NS; ++l) {
                const float *x = hidden + (l * n + r0 + r) * D;
                float *y = buf + r * K + l;
                for (int64_t d = 0; d < D; ++d) y[d * NS] = (x[d] - mean[l]) * inv[l];
            }
        K_THEN(ks, k_linear(ctx, rows, buf, K, proj, NULL, NULL, out + r0 * proj->rows, proj->rows, 0));
    }
    free(mean), free(inv), free(buf);
    return ltx2_kerr(err, ks, "feature extractor");
}
