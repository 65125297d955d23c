/* gemma3_generate.c — prefill, then one token at a time over the KV cache. */
#include "text/gemma3_generate.h"

#include <math.h>
#include <stdlib.h>

#include "node.h"

ltx2_status ltx2_gemma3_logits(const kctx *ctx, const ltx2_gemma3 *m, const float *row, float *logits,
                               ltx2_error *err)
{
    const ltx2_gemma3_config *g = &m->cfg;
    kstatus ks = k_linear(ctx, 1, row, g->hidden, &m->embed, NULL, NULL, logits, g->vocab, 0);
    ltx2_status st = ltx2_kerr(err, ks, "Gemma LM head");
    if (st || !(g->final_softcap > 0)) return st;
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

ltx2_status ltx2_gemma3_generate(const kctx *ctx, const ltx2_gemma3 *m, const ltx2_gen_request *r, int32_t *out,
                                 int64_t *n_out, ltx2_error *err)
{
    *n_out = 0;
    const ltx2_gemma3_config *g = &m->cfg;
    const int64_t D = g->hidden, V = g->vocab;
    if (r->n < 1) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "generate: empty prompt");
    if (r->max_new_tokens < 1) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "max_new_tokens must be >= 1");
    ltx2_gemma3_kv *kv = NULL;
    ltx2_sampler smp = {0};
    ltx2_status st = ltx2_gemma3_kv_new(g, r->n + r->max_new_tokens, &kv, err);
    if (!st) st = ltx2_sampler_init(&smp, V, err);
    float *h = st ? NULL : malloc((size_t)(r->n * D) * sizeof(float));
    float *logits = st ? NULL : malloc((size_t)V * sizeof(float));
    if (!st && (!h || !logits)) st = ltx2_err(err, LTX2_ERR_OOM, "generate: out of memory");
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
    free(h), free(logits);
    ltx2_sampler_free(&smp);
    ltx2_gemma3_kv_free(kv);
    return st;
}
