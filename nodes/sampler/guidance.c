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

kstatus ltx2_guide_combine(const kctx *kc, const ltx2_guide *g, int64_t n, float *cond, const float *uncond_text,
                           const float *uncond_perturbed, const float *uncond_isolated)
{
    const bool t = ltx2_guide_uses_text(g) && uncond_text;
    const bool s = ltx2_guide_uses_stg(g) && uncond_perturbed;
    const bool m = ltx2_guide_uses_modality(g) && uncond_isolated;
    if (!t && !s && !m)
        return KS_OK; /* pred == cond: a rescale by std(c)/std(c) is the identity */
    const float kt = (float)(g->cfg - 1.0), ks = (float)g->stg, km = (float)(g->modality - 1.0);
    const bool rescale = g->rescale != 0.0;
    float std_c = 0.0f, std_p = 0.0f;
    kstatus st = KS_OK;
    if (rescale)
        K_THEN(st, k_std(kc, cond, n, &std_c));
    K_THEN(st, k_guidance_combine(kc, n, cond, t ? uncond_text : NULL, kt, s ? uncond_perturbed : NULL, ks,
                                  m ? uncond_isolated : NULL, km));
    if (rescale) {
        K_THEN(st, k_std(kc, cond, n, &std_p));
        float f = std_c / std_p;
        f = (float)g->rescale * f + (float)(1.0 - g->rescale);
        K_THEN(st, k_scale(kc, cond, f, cond, n));
    }
    return st;
}
