/* guidance.c — MultiModalGuider arithmetic in float32, in the reference's order. */
#include "sampler/guidance.h"

#include <math.h>
#include <stdlib.h>

static bool isclose(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

bool ltx2_guide_uses_text(const ltx2_guide *g) { return !isclose(g->cfg, 1.0); }
bool ltx2_guide_uses_stg(const ltx2_guide *g) { return !isclose(g->stg, 0.0); }
bool ltx2_guide_uses_modality(const ltx2_guide *g) { return !isclose(g->modality, 1.0); }

ltx2_status ltx2_guide_parse_blocks(const char *text, int n_layers, ltx2_guide *g, ltx2_error *err)
{
    g->n_stg_blocks = 0;
    const char *p = text ? text : "";
    for (;;) {
        while (*p == ' ' || *p == ',' || *p == '[' || *p == ']' || *p == '\t')
            p++;
        if (!*p)
            break;
        char *end = NULL;
        long v = strtol(p, &end, 10);
        if (end == p)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "not a block index at \"%.20s\"", p);
        if (v < 0 || v >= n_layers)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "block %ld outside the model's %d blocks", v,
                            n_layers);
        if (g->n_stg_blocks >= LTX2_GUIDE_MAX_BLOCKS)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "more than %d blocks", LTX2_GUIDE_MAX_BLOCKS);
        g->stg_blocks[g->n_stg_blocks++] = (int)v;
        p = end;
    }
    return LTX2_OK;
}

float ltx2_std_f32(const float *x, int64_t n)
{
    if (n < 2)
        return NAN;
    double mean = 0.0;
    for (int64_t i = 0; i < n; i++)
        mean += x[i];
    mean /= (double)n;
    double ss = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double d = x[i] - mean;
        ss += d * d;
    }
    return (float)sqrt(ss / (double)(n - 1));
}

void ltx2_guide_combine(const ltx2_guide *g, int64_t n, float *cond, const float *uncond_text,
                        const float *uncond_perturbed, const float *uncond_isolated)
{
    const bool t = ltx2_guide_uses_text(g) && uncond_text;
    const bool s = ltx2_guide_uses_stg(g) && uncond_perturbed;
    const bool m = ltx2_guide_uses_modality(g) && uncond_isolated;
    const float kt = (float)(g->cfg - 1.0), ks = (float)g->stg, km = (float)(g->modality - 1.0);
    float std_c = 0.0f;
    const bool rescale = g->rescale != 0.0 && (t || s || m);
    if (rescale)
        std_c = ltx2_std_f32(cond, n);
    if (!t && !s && !m)
        return; /* pred == cond: a rescale by std(c)/std(c) is the identity */
    for (int64_t i = 0; i < n; i++) {
        const float c = cond[i];
        float p = c;
        if (t)
            p = p + kt * (c - uncond_text[i]);
        if (s)
            p = p + ks * (c - uncond_perturbed[i]);
        if (m)
            p = p + km * (c - uncond_isolated[i]);
        cond[i] = p;
    }
    if (rescale) {
        const float std_p = ltx2_std_f32(cond, n);
        float f = std_c / std_p;
        f = (float)g->rescale * f + (float)(1.0 - g->rescale);
        for (int64_t i = 0; i < n; i++)
            cond[i] = cond[i] * f;
    }
}
