/* layers.h — the layers LTX-2's models share, written once: attention (projections,
 * q/k RMSNorm, RoPE, scaled dot-product attention, output projection), the GELU(tanh)
 * feed-forward and the sinusoidal timestep embedding. Used by the transformer, the text
 * connectors and the video VAE. Temporaries come from the context's workspace arena
 * (kc->arena; one is made for the call when the context has none). */
#ifndef LTX2_COMMON_LAYERS_H
#define LTX2_COMMON_LAYERS_H
#include "ltx2/ltx2_plugin.h"
#include "kernels.h"

/* An attention module as the checkpoints store it: Linear q/k/v/o with biases, q/k
 * RMSNorm over the whole inner width (heads·head_dim; NULL weight = none). */
typedef struct lx_attn {
    kmat q, k, v, o;
    float *bq, *bk, *bv, *bo;
    float *q_norm, *k_norm;
    int heads, head_dim;
} lx_attn;

/* RoPE tables of one side: cos/sin [tokens][dim/2], rotated over heads of head_dim
 * (SPLIT) or adjacent pairs (INTERLEAVED). NULL cos = no RoPE. */
typedef struct lx_rope {
    const float *cos, *sin;
    int dim, head_dim;
    krope_layout layout;
} lx_rope;

/* out[nq][o.rows] (+= when accumulate) = attention with queries from xq [nq][q.cols] and
 * keys/values from xkv [nkv][k.cols]; q/k norms with eps; key_bias [nkv] or NULL. */
ltx2_status lx_attention(const kctx *kc, const lx_attn *a, float eps, int64_t nq, const float *xq, int64_t nkv,
                         const float *xkv, const lx_rope *rq, const lx_rope *rk, const float *key_bias, float *out,
                         int accumulate);

/* Feed-forward w2(gelu_tanh(w1 x + b1)) + b2, hidden width `hidden`. */
typedef struct lx_ff {
    kmat w1, w2;
    float *b1, *b2;
    int hidden;
} lx_ff;

/* out[n][w2.rows] (+= when accumulate) = ff(x [n][w1.cols]), chunked over tokens to bound
 * the hidden buffer. */
ltx2_status lx_ff_run(const kctx *kc, const lx_ff *f, int64_t n, const float *x, float *out, int accumulate);

/* The 256 sinusoidal features of timestep t, cos first (flip_sin_to_cos), frequencies
 * exp(-ln(10000)·k/128) in float32 as the reference computes them. */
void lx_timestep_features(float t, float *out256);

/* TimestepEmbedding at nu timesteps: emb[nu][l2.rows] = l2(silu(l1(features(t)) + b1)) + b2.
 * The features are rounded to bf16 in fast precision (the GEMM input rounding). */
ltx2_status lx_timestep_embed(const kctx *kc, const kmat *l1, const float *b1, const kmat *l2, const float *b2,
                              int nu, const float *t, float *emb);

/* kc itself when it has a workspace arena; otherwise *local = kc with a new arena in
 * *own (destroy it with k_arena_destroy). Returns the context to use, or NULL on OOM. */
const kctx *lx_workspace(const kctx *kc, kctx *local, karena **own);

#endif
