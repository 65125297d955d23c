/* rope_grid.c — the LTX-2 RoPE frequency grid and per-token cos/sin tables (see
 * rope_grid.h), with the reference's float32/float64 arithmetic. */
#include "common/rope_grid.h"

#include <math.h>
#include <stdlib.h>

/* freq[k] = theta^(k/(F-1)) * pi/2: float64 then rounded once (frequencies_precision
 * "float64"), or torch's float32 linspace + powf. */
static void freq_grid(const lx_rope_grid *cfg, int nf, float *freq)
{
    if (cfg->f64) {
        const double step = nf > 1 ? 1.0 / (double)(nf - 1) : 0.0;
        for (int k = 0; k < nf; k++) {
            double u = k == nf - 1 && nf > 1 ? 1.0 : (double)k * step;
            freq[k] = (float)(pow(cfg->theta, u) * M_PI / 2.0);
        }
        return;
    }
    const float step = nf > 1 ? 1.0f / (float)(nf - 1) : 0.0f;
    const float th = (float)cfg->theta;
    for (int k = 0; k < nf; k++) {
        /* torch.linspace fills the first half from the start, the rest from the end */
        float u = k < nf / 2 ? step * (float)k : 1.0f - step * (float)(nf - 1 - k);
        freq[k] = powf(th, u) * (float)M_PI / 2.0f;
    }
}

kstatus lx_rope_tables(const kctx *kc, const lx_rope_grid *cfg, int64_t n, int n_axes, const float *positions,
                       const double *max_pos, int dim, bool round_bf16, float *cos_t, float *sin_t)
{
    if (n_axes < 1 || n_axes > 3 || dim < 0)
        return KS_BAD_ARG;
    const int nf = dim / (2 * n_axes);
    const int half = dim / 2;
    /* Identity slots at the front: SPLIT pads to dim/2 slots; INTERLEAVED prepends
     * dim % (2*n_axes) entries, i.e. half as many rotated pairs. */
    const int pad = cfg->split ? half - nf * n_axes : (dim % (2 * n_axes)) / 2;
    float freq_small[64];
    float *freq = nf <= 64 ? freq_small : malloc((size_t)nf * sizeof(float));
    if (!freq)
        return KS_OOM; /* never identity tables in place of a rotation */
    freq_grid(cfg, nf, freq);
    krope_table t = {.n = n, .n_axes = n_axes, .half = half, .pad = pad, .nf = nf, .middle = cfg->middle_indices,
                     .round_bf16 = round_bf16, .positions = positions, .freq = freq};
    for (int a = 0; a < n_axes; a++)
        t.max_pos[a] = (float)max_pos[a];
    kstatus ks = k_rope_table(kc, &t, cos_t, sin_t);
    if (freq != freq_small)
        free(freq);
    return ks;
}
