/* gemma3_sample.c — temperature / top-k / top-p sampling over one logits row. */
#include "text/gemma3_sample.h"

#include <math.h>
#include <stdlib.h>

#include "sampler/rng.h"

/* Stream of the Philox counter the prompt enhancer draws from (the sampler's noise uses 0 and 1). */
#define GEN_STREAM 7u

ltx2_status ltx2_sampler_init(ltx2_sampler *s, int64_t vocab, ltx2_error *err)
{
    s->vocab = vocab;
    s->idx = malloc((size_t)vocab * sizeof *s->idx);
    s->prob = malloc((size_t)vocab * sizeof *s->prob);
    if (!s->idx || !s->prob) {
        ltx2_sampler_free(s);
        return ltx2_err(err, LTX2_ERR_OOM, "sampler: out of memory for %lld tokens", (long long)vocab);
    }
    return LTX2_OK;
}

void ltx2_sampler_free(ltx2_sampler *s)
{
    free(s->idx), free(s->prob);
    s->idx = NULL, s->prob = NULL;
}

/* a ranks before b: larger logit, then smaller id (a stable descending order). */
static int before(const float *l, int32_t a, int32_t b)
{
    return l[a] > l[b] || (l[a] == l[b] && a < b);
}

/* Min-heap on `before` (root = the weakest kept candidate). */
static void sift_down(const float *l, int32_t *h, int64_t n, int64_t i)
{
    for (;;) {
        int64_t c = 2 * i + 1, w = i;
        if (c < n && before(l, h[w], h[c])) w = c;
        if (c + 1 < n && before(l, h[w], h[c + 1])) w = c + 1;
        if (w == i) return;
        int32_t t = h[i];
        h[i] = h[w], h[w] = t;
        i = w;
    }
}

/* The k best ids into h[0..k), best first (heap selection then heap sort). */
static void top_k_sorted(const float *l, int64_t vocab, int64_t k, int32_t *h)
{
    for (int64_t i = 0; i < k; ++i) h[i] = (int32_t)i;
    for (int64_t i = k / 2 - 1; i >= 0; --i) sift_down(l, h, k, i);
    for (int64_t t = k; t < vocab; ++t)
        if (before(l, (int32_t)t, h[0])) {
            h[0] = (int32_t)t;
            sift_down(l, h, k, 0);
        }
    for (int64_t n = k - 1; n > 0; --n) { /* the weakest goes to the end each time */
        int32_t t = h[0];
        h[0] = h[n], h[n] = t;
        sift_down(l, h, n, 0);
    }
}

/* Uniform in [0, 1) with 53 bits, from (seed, step). */
static double uniform(uint64_t seed, uint64_t step)
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    const uint32_t ctr[4] = {(uint32_t)step, (uint32_t)(step >> 32), GEN_STREAM, 0};
    uint32_t r[4];
    ltx2_philox4x32(ctr, key, r);
    const uint64_t bits = ((uint64_t)r[0] << 21) ^ ((uint64_t)r[1] >> 11);
    return (double)(bits & ((UINT64_C(1) << 53) - 1)) / 9007199254740992.0;
}

int32_t ltx2_sample_token(ltx2_sampler *s, const float *logits, const ltx2_sample_params *p, uint64_t step,
                          int64_t *n_allowed)
{
    const int64_t V = s->vocab;
    if (!(p->temperature > 0)) { /* greedy: the first maximum, as argmax does */
        int64_t best = 0;
        for (int64_t i = 1; i < V; ++i)
            if (logits[i] > logits[best]) best = i;
        if (n_allowed) *n_allowed = 1;
        return (int32_t)best;
    }
    const int64_t k = p->top_k > 0 && p->top_k < V ? p->top_k : V;
    top_k_sorted(logits, V, k, s->idx);
    /* Softmax of logits / T over the candidates, in double. */
    const double inv_t = 1.0 / p->temperature, top = (double)logits[s->idx[0]] * inv_t;
    double sum = 0;
    for (int64_t i = 0; i < k; ++i) sum += s->prob[i] = exp((double)logits[s->idx[i]] * inv_t - top);
    /* Nucleus: keep the best tokens while the mass before them is below top_p (at least one). */
    int64_t keep = k;
    if (p->top_p < 1.0) {
        double cum = 0;
        for (keep = 0; keep < k; ++keep) {
            if (keep > 0 && cum >= p->top_p) break;
            cum += s->prob[keep] / sum;
        }
    }
    double kept = 0;
    for (int64_t i = 0; i < keep; ++i) kept += s->prob[i];
    const double u = uniform(p->seed, step) * kept;
    double acc = 0;
    int64_t pick = keep - 1;
    for (int64_t i = 0; i < keep; ++i) {
        acc += s->prob[i];
        if (u < acc) {
            pick = i;
            break;
        }
    }
    if (n_allowed) *n_allowed = keep;
    return s->idx[pick];
}
