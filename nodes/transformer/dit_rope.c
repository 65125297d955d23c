/* dit_rope.c — token positions (video grid, audio frames), the RoPE frequency grid and
 * the per-token cos/sin tables, with the reference's float32/float64 arithmetic.
 * Positions stay float32 in both precisions (the later reference behaviour): the bf16
 * position rounding of the 2.0 pipelines moves high-frequency angles by whole turns. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/rope_grid.h"
#include "transformer.h"

void ltx2_dit_video_positions_ex(int64_t frames, int64_t height, int64_t width, int scale_t,
                                 int scale_h, int scale_w, bool causal, double fps, float *out)
{
    const int64_t n = frames * height * width;
    float *t = out, *y = out + 2 * n, *x = out + 4 * n;
    for (int64_t f = 0; f < frames; f++)
        for (int64_t h = 0; h < height; h++)
            for (int64_t w = 0; w < width; w++) {
                const int64_t i = (f * height + h) * width + w;
                int64_t t0 = f * scale_t, t1 = (f + 1) * scale_t;
                if (causal) { /* causal fix: max(0, t + 1 - scale_t) on both bounds */
                    t0 = t0 + 1 - scale_t < 0 ? 0 : t0 + 1 - scale_t;
                    t1 = t1 + 1 - scale_t < 0 ? 0 : t1 + 1 - scale_t;
                }
                /* float32 division by fps, as the reference does on its float32 grid */
                t[2 * i] = (float)t0 / (float)fps;
                t[2 * i + 1] = (float)t1 / (float)fps;
                y[2 * i] = (float)(h * scale_h);
                y[2 * i + 1] = (float)((h + 1) * scale_h);
                x[2 * i] = (float)(w * scale_w);
                x[2 * i + 1] = (float)((w + 1) * scale_w);
            }
}

void ltx2_dit_video_positions(const ltx2_latent_geom *g, int64_t frames, int64_t height, int64_t width,
                              double fps, bool causal, float *out)
{
    ltx2_dit_video_positions_ex(frames, height, width, g->scale_t, g->scale_s, g->scale_s, causal, fps, out);
}

void ltx2_dit_audio_positions(const ltx2_latent_geom *g, int64_t n, float *out)
{
    /* mel frame down*i, causal shift max(0, mel + 1 - down), times hop / sample rate
     * (float32, as the reference: 160 / 16000 for LTX-2) */
    const int64_t down = g->audio_down;
    const float sec = (float)g->audio_hop / (float)g->audio_rate;
    for (int64_t i = 0; i < n; i++) {
        int64_t m0 = down * i + 1 - down, m1 = down * (i + 1) + 1 - down;
        out[2 * i] = (float)(m0 < 0 ? 0 : m0) * sec;
        out[2 * i + 1] = (float)(m1 < 0 ? 0 : m1) * sec;
    }
}

kstatus ltx2_dit_rope_tables(const kctx *kc, const ltx2_dit_config *cfg, int64_t n, int n_axes,
                             const float *positions, const double *max_pos, int dim, bool round_bf16, float *cos_t,
                             float *sin_t)
{
    const lx_rope_grid g = {cfg->theta, cfg->rope_f64, cfg->rope_type == LTX2_ROPE_SPLIT, cfg->middle_indices};
    return lx_rope_tables(kc, &g, n, n_axes, positions, max_pos, dim, round_bf16, cos_t, sin_t);
}
