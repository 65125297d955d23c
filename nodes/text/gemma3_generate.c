/* gemma3_generate.c — prefill, then one token at a time over the KV cache. */
#include "text/gemma3_generate.h"

#include <math.h>
#include <stdlib.h>

#include "common/layers.h"
#include "node.h"

ltx2_status ltx2_gemma3_logits(const kctx *ctx, const ltx2_gemma3 *m, const float *row, float *logits,
                               ltx2_error *err)
{
    const ltx2_gemma3_config *g = &m->cfg;
    const ltx2_gemma3 *w = m;
    ltx2_status st = ltx2_gemma3_on(m, ctx, &w, err);
    if (st) return st;
    kstatus ks;
    if (ctx->backend == KB_CPU) {
        ks = k_linear(ctx, 1, row, g->hidden, &w->embed, NULL, NULL, logits, g->vocab, 0);
    } else {
        /* The row of logits comes to the host for the seeded sampler (vocab floats, about
         * 1 MB for Gemma 3's 262k tokens: small next to one decode step's work). */
        kctx local;
        karena *own;
        const kctx *ws = lx_workspace(ctx, &local, &own);
        if (!ws) return ltx2_err(err, LTX2_ERR_OOM, "Gemma LM head: out of memory for the workspace");
        const kmark mark = k_arena_mark(ws->arena);
        float *dev = NULL;
        ks = k_arena_alloc(ws->arena, (size_t)g->vocab * sizeof(float), (void **)&dev);
        K_THEN(ks, k_linear(ws, 1, row, g->hidden, &w->embed, NULL, NULL, dev, g->vocab, 0));
        K_THEN(ks, k_copy(ws, logits, dev, (size_t)g->vocab * sizeof(float), K_D2H));
        K_THEN(ks, k_sync(ws));
        k_arena_release(ws->arena, mark);
        k_arena_destroy(own);
    }
    st = ltx2_kerr(err, ks, "Gemma LM head");
    if (st || !(g->final_softcap > 0)) return st;
    /* on the host row on every backend: the sampler reads it there */
    const float cap = (float)g->final_softcap;
    for (int64_t i = 0; i < g->vocab; ++i) logits[i] = cap * tanhf(logits[i] / cap);
    return LTX2_OK;
}

static int is_stop(const ltx2_gen_request *r, int32_t id)
{
    for (int i = 0; i < r->n_stop; ++i)
        if (r->stop[i] == id) return 1;
    return 0;
}

/* The loop below, on one workspace for all passes. */
static ltx2_status generate_body(const kctx *ctx, const ltx2_gemma3 *m, const ltx2_gen_request *r, int32_t *out,
                                 int64_t *n_out, ltx2_error *err)
{
    const ltx2_gemma3_config *g = &m->cfg;
    const int64_t D = g->hidden, V = g->vocab;
    if (r->n < 1) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "generate: empty prompt");
    if (r->max_new_tokens < 1) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "max_new_tokens must be >= 1");
    ltx2_gemma3_kv *kv = NULL;
    ltx2_sampler smp = {0};
    /* the weights placed under the budget for the whole generation (prompt, cache, logits)
     * before anything is allocated */
    ltx2_status st = ltx2_gemma3_prepare(m, ctx, r->n, r->n + r->max_new_tokens, 1, err);
    if (!st) st = ltx2_gemma3_kv_new(ctx, g, r->n + r->max_new_tokens, &kv, err);
    if (!st) st = ltx2_sampler_init(&smp, V, err);
    /* the final rows in ctx's memory; the logits row on the host (the sampler's input) */
    float *h = NULL;
    if (!st) st = ltx2_kerr(err, k_arena_alloc(ctx->arena, (size_t)(r->n * D) * sizeof(float), (void **)&h),
                            "generate: hidden rows");
    float *logits = st ? NULL : malloc((size_t)V * sizeof(float));
    if (!st && !logits) st = ltx2_err(err, LTX2_ERR_OOM, "generate: out of memory");
    /* Prefill: the whole prompt in one pass (the fast GEMM path), keys/values kept. */
    ltx2_gemma3_pass p = {.ids = r->ids, .n = r->n, .soft = r->soft, .soft_id = r->soft_id, .bidir = r->bidir,
                          .n_bidir = r->n_bidir, .kv = kv, .out = h};
    if (!st) st = ltx2_gemma3_run(ctx, m, &p, err);
    if (!st) st = ltx2_gemma3_logits(ctx, m, h + (r->n - 1) * D, logits, err);
    for (int64_t step = 0; !st && step < r->max_new_tokens; ++step) {
        if (r->on_logits && (st = r->on_logits(r->logits_user, step, logits, V))) break;
        const int32_t tok = ltx2_sample_token(&smp, logits, &r->sample, (uint64_t)step, NULL);
        out[(*n_out)++] = tok;
        if (r->progress && (st = r->progress(r->user, step + 1, r->max_new_tokens))) break;
        if (is_stop(r, tok) || step + 1 == r->max_new_tokens) break;
        ltx2_gemma3_pass d = {.ids = &tok, .n = 1, .kv = kv, .out = h};
        if (!(st = ltx2_gemma3_run(ctx, m, &d, err))) st = ltx2_gemma3_logits(ctx, m, h, logits, err);
    }
    free(logits);
    ltx2_sampler_free(&smp);
    ltx2_gemma3_kv_free(kv);
    return st;
}

ltx2_status ltx2_gemma3_generate(const kctx *ctx, const ltx2_gemma3 *m, const ltx2_gen_request *r, int32_t *out,
                                 int64_t *n_out, ltx2_error *err)
{
    *n_out = 0;
    kctx local;
    karena *own;
    const kctx *ws = lx_workspace(ctx, &local, &own);
    if (!ws) return ltx2_err(err, LTX2_ERR_OOM, "generate: out of memory for the workspace");
    const kmark mark = k_arena_mark(ws->arena);
    ltx2_status st = generate_body(ws, m, r, out, n_out, err);
    k_arena_release(ws->arena, mark);
    k_arena_destroy(own);
    return st;
}
