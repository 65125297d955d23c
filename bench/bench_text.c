/* bench_text.c — one Gemma 3 decoder layer at the 12B widths (hidden 3840, 16 heads,
 * 8 KV heads, head dim 256, MLP 15360) on 256 tokens with random bf16 weights, through
 * the real forward (ltx2_gemma3_forward with a one-layer model). FLOPs count the seven
 * GEMMs and the attention; the ratio compares the layer's rate with k_linear alone on
 * its largest GEMM (256 x 3840 -> 15360, bf16 weights, exact precision).
 * Then generation (prompt enhancement): one decode step of the same layer over a KV
 * cache of 256 positions, and the tied LM head (262144 x 3840 bf16) on one row; the
 * 12B model's decode rate follows as 1 / (48 layers + head), printed as a ratio
 * (tokens/s). Decode reads every weight once per token: memory-bound. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/gemma3.h"
#include "text/gemma3_generate.h"

#define G_TOKENS 256
#define G_HIDDEN 3840
#define G_HEADS 16
#define G_KV 8
#define G_HEAD_DIM 256
#define G_MLP 15360
#define G_VOCAB 512
#define G_LAYERS_12B 48
#define G_VOCAB_12B 262144

typedef struct gemma_arg {
    const kctx *ctx;
    const ltx2_gemma3 *m;
    const int32_t *ids;
    float *hidden;
} gemma_arg;

static void run_layer(void *v)
{
    gemma_arg *a = v;
    ltx2_error err;
    ltx2_gemma3_forward(a->ctx, a->m, a->ids, G_TOKENS, a->hidden, NULL, NULL, &err);
}

typedef struct lin_arg {
    const kctx *ctx;
    const float *x;
    const kmat *w;
    float *y;
    int64_t rows;
} lin_arg;

static void run_linear(void *v)
{
    lin_arg *a = v;
    BENCH_OK(k_linear(a->ctx, a->rows, a->x, a->w->cols, a->w, NULL, NULL, a->y, a->w->rows, 0));
}

/* A random bf16 matrix (malloc'd data) and its kmat; NULL data on OOM. */
static kmat rand_mat(int64_t rows, int64_t cols, uint64_t seed)
{
    kmat m = {.dtype = KD_BF16, .rows = rows, .cols = cols, .ld = cols, .scale = 1.0f};
    uint16_t *d = malloc(sizeof(uint16_t) * (size_t)(rows * cols));
    float *row = malloc(sizeof(float) * (size_t)cols);
    if (d && row) {
        float s = 1.0f / 64.0f; /* keeps activations in a sane range through the layer */
        for (int64_t r = 0; r < rows; ++r) {
            bench_fill(row, cols, seed * 1000003u + (uint64_t)r);
            for (int64_t c = 0; c < cols; ++c) d[r * cols + c] = k_f32_to_bf16(row[c] * s);
        }
    } else {
        free(d);
        d = NULL;
    }
    free(row);
    m.data = d;
    return m;
}

static float *gemma_norm_weight(int64_t n)
{
    float *v = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; v && i < n; ++i) v[i] = 0.0f; /* Gemma norms use 1 + w */
    return v;
}

typedef struct decode_arg {
    const kctx *ctx;
    const ltx2_gemma3 *m;
    ltx2_gemma3_kv *kv;
    float *h;
} decode_arg;

/* One decode step at position G_TOKENS (the cache holds the prompt; the same slot is
 * rewritten every run). */
static void run_decode(void *v)
{
    decode_arg *a = v;
    ltx2_error err;
    const int32_t tok = 7;
    a->kv->len = G_TOKENS;
    ltx2_gemma3_pass p = {.ids = &tok, .n = 1, .kv = a->kv, .out = a->h};
    if (ltx2_gemma3_run(a->ctx, a->m, &p, &err) != LTX2_OK) {
        fprintf(stderr, "decode step: %s\n", err.msg);
        exit(1);
    }
}

/* Decode rows on the one-layer model m (prefilled here) and the 12B LM head. */
static void decode_rows(bench *b, const kctx *ctx, const ltx2_gemma3 *m, const int32_t *ids)
{
    const int64_t D = G_HIDDEN, hq = G_HEADS * G_HEAD_DIM, hkv = G_KV * G_HEAD_DIM, I = G_MLP;
    const double layer_params = (double)D * (double)(hq + 2 * hkv + hq + 3 * I);
    const double layer_flop = 2.0 * layer_params + 4.0 * (double)(G_TOKENS + 1) * (double)hq;
    ltx2_gemma3_kv *kv = NULL;
    ltx2_error err = {0};
    float *h = malloc(sizeof(float) * (size_t)(G_TOKENS * D)), *logits = malloc(sizeof(float) * G_VOCAB_12B);
    /* The head's values do not matter for its speed: one random 64K block tiled. */
    uint16_t *head = malloc(sizeof(uint16_t) * (size_t)G_VOCAB_12B * (size_t)D);
    double sl = 0, sh = 0;
    if (h && logits && head && ltx2_gemma3_kv_new(ctx, &m->cfg, G_TOKENS + 1, &kv, &err) == LTX2_OK) {
        ltx2_gemma3_pass p = {.ids = ids, .n = G_TOKENS, .kv = kv, .out = h};
        if (ltx2_gemma3_run(ctx, m, &p, &err) == LTX2_OK) {
            decode_arg da = {ctx, m, kv, h};
            sl = bench_time(run_decode, &da, 5, 10.0);
        }
        float blk[1 << 16];
        bench_fill(blk, 1 << 16, 99);
        for (size_t i = 0; i < (size_t)G_VOCAB_12B * (size_t)D; ++i) head[i] = k_f32_to_bf16(blk[i & 0xFFFF] / 64.0f);
        kmat hw = {.dtype = KD_BF16, .data = head, .rows = G_VOCAB_12B, .cols = D, .ld = D, .scale = 1.0f};
        lin_arg ha = {ctx, h, &hw, logits, 1};
        sh = bench_time(run_linear, &ha, 3, 10.0);
    }
    bench_row(b, "gemma3_decode_12b_layer_ctx256", "Gemma 3 12B decode step, one layer, 256 cached", layer_flop, sl,
              sl > 0 ? "exact precision, bf16 weights read once" : "out of memory");
    bench_row(b, "gemma3_decode_12b_lm_head", "  tied LM head 3840 -> 262144, one row", 2.0 * (double)G_VOCAB_12B * D,
              sh, sh > 0 ? "bf16 weights read once" : "out of memory");
    if (sl > 0 && sh > 0) {
        const double per_token = G_LAYERS_12B * sl + sh;
        bench_ratio(b, "gemma3_12b_decode_tokens_per_s", 1.0 / per_token);
        bench_ratio(b, "gemma3_12b_decode_weight_GBps",
                    2.0 * (G_LAYERS_12B * layer_params + (double)G_VOCAB_12B * D) / per_token / 1e9);
    }
    ltx2_gemma3_kv_free(kv);
    free(h), free(logits), free(head);
}

void bench_text(bench *b)
{
    const char *key = "gemma3_layer_12b_t256";
    const char *label = "Gemma 3 12B layer, 256 tok, bf16 weights";
    if (!bench_selected(b, "text") && !bench_selected(b, key) && !bench_selected(b, "gemma3_decode")) return;
    const int64_t n = G_TOKENS, D = G_HIDDEN, hq = G_HEADS * G_HEAD_DIM, hkv = G_KV * G_HEAD_DIM, I = G_MLP;
    const double gemm_flop = 2.0 * (double)n * (double)D * (double)(hq + 2 * hkv + hq + 3 * I);
    const double attn_flop = 4.0 * (double)n * (double)n * G_HEADS * G_HEAD_DIM / 2.0; /* causal: half */
    const double flop = gemm_flop + attn_flop;

    ltx2_gemma3 *m = calloc(1, sizeof *m);
    ltx2_gemma3_layer *l = calloc(1, sizeof *l);
    uint8_t *sliding = malloc(1);
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)n);
    float *hidden = malloc(sizeof(float) * (size_t)(2 * n * D)), *y = malloc(sizeof(float) * (size_t)(n * I));
    int ok = m && l && sliding && ids && hidden && y;
    if (m) lx_resident_init(&m->resident); /* ltx2_gemma3_free finishes it */
    if (ok) {
        l->q = rand_mat(hq, D, 1), l->k = rand_mat(hkv, D, 2), l->v = rand_mat(hkv, D, 3);
        l->o = rand_mat(D, hq, 4), l->gate = rand_mat(I, D, 5), l->up = rand_mat(I, D, 6);
        l->down = rand_mat(D, I, 7);
        l->ln_in = gemma_norm_weight(D), l->ln_post_attn = gemma_norm_weight(D), l->ln_pre_ff = gemma_norm_weight(D);
        l->ln_post_ff = gemma_norm_weight(D), l->q_norm = gemma_norm_weight(G_HEAD_DIM), l->k_norm = gemma_norm_weight(G_HEAD_DIM);
        m->embed = rand_mat(G_VOCAB, D, 8);
        m->final_norm = gemma_norm_weight(D);
        ok = l->q.data && l->k.data && l->v.data && l->o.data && l->gate.data && l->up.data && l->down.data &&
             m->embed.data && l->ln_in && l->ln_post_attn && l->ln_pre_ff && l->ln_post_ff && l->q_norm &&
             l->k_norm && m->final_norm;
    }
    if (ok) {
        sliding[0] = 1; /* a local layer: window 1024 > 256 tokens, so plain causal */
        m->cfg = (ltx2_gemma3_config){.vocab = G_VOCAB, .hidden = D, .intermediate = I, .n_layers = 1,
                                      .n_heads = G_HEADS, .n_kv_heads = G_KV, .head_dim = G_HEAD_DIM,
                                      .rms_eps = 1e-6, .query_pre_attn_scalar = G_HEAD_DIM, .sliding_window = 1024,
                                      .sliding_pattern = 6, .theta_global = 1e6, .factor_global = 8.0,
                                      .theta_local = 1e4, .factor_local = 1.0, .sliding = sliding};
        sliding = NULL;
        m->layers = l;
        l = NULL;
        for (int64_t t = 0; t < n; ++t) ids[t] = (int32_t)((t * 7919) % G_VOCAB);
        kctx ctx = kctx_default(bench_pool(b));
        gemma_arg ga = {&ctx, m, ids, hidden};
        double s = bench_time(run_layer, &ga, 3, 20.0);
        bench_row(b, key, label, flop, s, "exact precision, 7 GEMMs + causal attention");
        lin_arg la = {&ctx, hidden, &m->layers[0].gate, y, G_TOKENS};
        double sg = bench_time(run_linear, &la, 3, 5.0);
        char gkey[64];
        snprintf(gkey, sizeof gkey, "%s_gemm", key);
        bench_row(b, gkey, "  k_linear 256x3840->15360 bf16 (same run)", 2.0 * (double)n * D * I, sg, "anchor");
        if (s > 0 && sg > 0) bench_ratio(b, "gemma3_layer_vs_gemm", (flop / s) / (2.0 * (double)n * D * I / sg));
        if (bench_selected(b, "text") || bench_selected(b, "gemma3_decode")) decode_rows(b, &ctx, m, ids);
    } else {
        bench_row(b, key, label, flop, 0, "out of memory");
    }
    if (m) {
        ltx2_gemma3_layer *ml = m->layers ? m->layers : l;
        if (ml) {
            free((void *)ml->q.data), free((void *)ml->k.data), free((void *)ml->v.data), free((void *)ml->o.data);
            free((void *)ml->gate.data), free((void *)ml->up.data), free((void *)ml->down.data);
        }
        free((void *)m->embed.data);
        if (!m->layers && l) { /* not handed over: free the vectors here */
            free(l->ln_in), free(l->ln_post_attn), free(l->ln_pre_ff), free(l->ln_post_ff);
            free(l->q_norm), free(l->k_norm), free(l);
        }
        ltx2_gemma3_free(m); /* frees the layer vectors, the final norm and the config */
    }
    free(sliding), free(ids), free(hidden), free(y);
}
