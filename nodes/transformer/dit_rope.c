/* dit_rope.c — token positions (video grid, audio frames), the RoPE frequency grid and
 * the per-token cos/sin tables, with the reference's float32/float64 arithmetic.
 * Positions stay float32 in both precisions (the later reference behaviour): the bf16
 * position rounding of the 2.0 pipelines moves high-frequency angles by whole turns. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

void ltx2_dit_video_positions(int64_t frames, int64_t height, int64_t width, double fps, bool causal,
                              float *out)
{
    ltx2_dit_video_positions_ex(frames, height, width, 8, 32, 32, causal, fps, out);
}

void ltx2_dit_audio_positions(int64_t n, float *out)
{
    /* mel frame 4i, causal shift max(0, mel + 1 - 4), times hop/sample_rate = 160/16000 */
    const float sec = 160.0f / 16000.0f;
    for (int64_t i = 0; i < n; i++) {
        int64_t m0 = 4 * i + 1 - 4, m1 = 4 * (i + 1) + 1 - 4;
        out[2 * i] = (float)(m0 < 0 ? 0 : m0) * sec;
        out[2 * i + 1] = (float)(m1 < 0 ? 0 : m1) * sec;
    }
}

/* freq[k] = theta^(k/(F-1)) * pi/2: float64 then rounded once (frequencies_precision
 * "float64"), or torch's float32 linspace + powf. */
static void freq_grid(const ltx2_dit_config *cfg, int nf, float *freq)
{
    if (cfg->rope_f64) {
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

void ltx2_dit_rope_tables(const ltx2_dit_config *cfg, int64_t n, int n_axes, const float *positions,
                          const double *max_pos, int dim, float *cos_t, float *sin_t)
{
    const int nf = dim / (2 * n_axes);
    const int half = dim / 2;
    /* Identity slots at the front: SPLIT pads to dim/2 slots; INTERLEAVED prepends
     * dim % (2*n_axes) entries, i.e. half as many rotated pairs. */
    const int pad = cfg->rope_type == LTX2_ROPE_SPLIT ? half - nf * n_axes : (dim % (2 * n_axes)) / 2;
    float freq_small[64];
    float *freq = nf <= 64 ? freq_small : malloc((size_t)nf * sizeof(float));
    if (!freq) { /* tiny allocation; fall back to identity tables rather than crash */
        for (int64_t i = 0; i < n * half; i++)
            cos_t[i] = 1.0f, sin_t[i] = 0.0f;
        return;
    }
    freq_grid(cfg, nf, freq);
    for (int64_t i = 0; i < n; i++) {
        float *c = cos_t + i * half, *s = sin_t + i * half;
        for (int p = 0; p < pad; p++)
            c[p] = 1.0f, s[p] = 0.0f;
        float w[3] = {0, 0, 0};
        for (int a = 0; a < n_axes; a++) {
            const float *pa = positions + (int64_t)a * n * 2 + 2 * i;
            float pos = cfg->middle_indices ? (pa[0] + pa[1]) / 2.0f : pa[0];
            float u = pos / (float)max_pos[a];
            w[a] = u * 2.0f - 1.0f;
        }
        for (int k = 0; k < nf; k++)
            for (int a = 0; a < n_axes; a++) {
                const float ang = freq[k] * w[a];
                c[pad + k * n_axes + a] = cosf(ang);
                s[pad + k * n_axes + a] = sinf(ang);
            }
        for (int p = pad + nf * n_axes; p < half; p++) /* INTERLEAVED tail never happens; be safe */
            c[p] = 1.0f, s[p] = 0.0f;
    }
    if (freq != freq_small)
        free(freq);
}
