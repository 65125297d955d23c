/* mel.c — STFT magnitude as two GEMMs against a windowed DFT basis, then the Slaney
 * mel filterbank, then log(max(x, 1e-5)); the tables are made once on the host, the
 * rest runs as ops on the context's backend. */
#include "audio/mel.h"
#include "audio/audio_common.h"
#include "node.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

int64_t mel_frames(const mel_config *cfg, int64_t n) { return n / cfg->hop + 1; }

static double hz_to_mel(double f)
{
    const double f_sp = 200.0 / 3.0, min_log_hz = 1000.0, min_log_mel = 15.0;
    const double logstep = log(6.4) / 27.0;
    return f < min_log_hz ? f / f_sp : min_log_mel + log(f / min_log_hz) / logstep;
}

static double mel_to_hz(double m)
{
    const double f_sp = 200.0 / 3.0, min_log_hz = 1000.0, min_log_mel = 15.0;
    const double logstep = log(6.4) / 27.0;
    return m < min_log_mel ? m * f_sp : min_log_hz * exp(logstep * (m - min_log_mel));
}

/* fb [n_freqs][n_mels]: triangular filters on the linear bin grid, area-normalised. */
static bool slaney_filterbank(const mel_config *cfg, int n_freqs, float *fb)
{
    int nm = cfg->n_mels;
    double *fpts = malloc((size_t)(nm + 2) * sizeof *fpts);
    if (!fpts)
        return false;
    double mmin = hz_to_mel(cfg->fmin), mmax = hz_to_mel(cfg->fmax);
    for (int i = 0; i < nm + 2; i++)
        fpts[i] = mel_to_hz(mmin + (mmax - mmin) * i / (nm + 1));
    for (int k = 0; k < n_freqs; k++) {
        double f = (cfg->sample_rate / 2.0) * k / (n_freqs - 1);
        for (int m = 0; m < nm; m++) {
            double down = (f - fpts[m]) / (fpts[m + 1] - fpts[m]);
            double up = (fpts[m + 2] - f) / (fpts[m + 2] - fpts[m + 1]);
            double w = fmax(0.0, fmin(down, up));
            fb[k * nm + m] = (float)(w * 2.0 / (fpts[m + 2] - fpts[m]));
        }
    }
    free(fpts);
    return true;
}

ltx2_status mel_tables_make(const mel_config *cfg, float **basis, float **fb, ltx2_error *err)
{
    int nfft = cfg->n_fft, nbins = nfft / 2 + 1, nm = cfg->n_mels, win = cfg->win;
    *basis = malloc((size_t)2 * nbins * nfft * sizeof(float));
    *fb = calloc((size_t)nbins * nm, sizeof(float));
    if (!*basis || !*fb || !slaney_filterbank(cfg, nbins, *fb)) {
        free(*basis), free(*fb);
        *basis = *fb = NULL;
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory for the mel front end's tables");
    }
    /* Rows 0..nbins-1: window·cos, rows nbins..: window·sin (the sign is irrelevant
     * for the magnitude). The periodic Hann window of win samples sits centred in
     * the n_fft frame. */
    int off = (nfft - win) / 2;
    for (int k = 0; k < nbins; k++)
        for (int j = 0; j < nfft; j++) {
            int wj = j - off;
            double w = (wj >= 0 && wj < win) ? 0.5 - 0.5 * cos(2.0 * PI * wj / win) : 0.0;
            double ang = 2.0 * PI * (double)((int64_t)k * j % nfft) / nfft;
            (*basis)[(size_t)k * nfft + j] = (float)(w * cos(ang));
            (*basis)[(size_t)(nbins + k) * nfft + j] = (float)(w * sin(ang));
        }
    return LTX2_OK;
}

/* Per channel: frames → [re | im] = frames · basisᵀ → magnitude → · filterbank → log. */
static kstatus mel_run(const mel_config *cfg, const kctx *ctx, const float *basis, const float *fb, int channels,
                       int64_t n, const float *wave, float *mel)
{
    int nfft = cfg->n_fft, nbins = nfft / 2 + 1, nm = cfg->n_mels;
    int64_t T = mel_frames(cfg, n);
    void *frames = NULL, *spec = NULL, *mag = NULL;
    kstatus ks = k_arena_alloc(ctx->arena, (size_t)T * nfft * sizeof(float), &frames);
    K_THEN(ks, k_arena_alloc(ctx->arena, (size_t)T * 2 * nbins * sizeof(float), &spec));
    K_THEN(ks, k_arena_alloc(ctx->arena, (size_t)T * nbins * sizeof(float), &mag));
    for (int c = 0; ks == KS_OK && c < channels; c++) {
        float *o = mel + (int64_t)c * T * nm;
        K_THEN(ks, k_stft_frames(ctx, n, wave + (int64_t)c * n, nfft, cfg->hop, T, frames));
        K_THEN(ks, k_sgemm(ctx, 0, 1, T, 2 * nbins, nfft, 1.0f, frames, nfft, basis, nfft, 0.0f, spec, 2 * nbins));
        K_THEN(ks, k_complex_magnitude(ctx, T, nbins, spec, mag));
        K_THEN(ks, k_sgemm(ctx, 0, 0, T, nm, nbins, 1.0f, mag, nbins, fb, nm, 0.0f, o, nm));
        K_THEN(ks, k_log_clamp(ctx, o, 1e-5f, o, T * nm));
    }
    return ks;
}

typedef struct mel_args {
    const mel_config *cfg;
    const float *basis, *fb;
    int channels;
    int64_t n;
    const float *wave;
    float *mel;
} mel_args;

static ltx2_status mel_pass(void *arg, const kctx *ws, ltx2_error *err)
{
    const mel_args *a = arg;
    return ltx2_kerr(err, mel_run(a->cfg, ws, a->basis, a->fb, a->channels, a->n, a->wave, a->mel), "mel front end");
}

ltx2_status mel_compute(const mel_config *cfg, const kctx *ctx, const float *basis, const float *fb, int channels,
                        int64_t n, const float *wave, float *mel, ltx2_error *err)
{
    if (n <= cfg->n_fft / 2)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "waveform of %lld samples is too short for n_fft %d",
                        (long long)n, cfg->n_fft);
    mel_args a = {cfg, basis, fb, channels, n, wave, mel};
    return audio_on_workspace(ctx, mel_pass, &a, err);
}

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int64_t mel_resample_len(int64_t n, int from, int to)
{
    if (from <= 0 || to <= 0)
        return 0;
    int64_t g = gcd64(from, to);
    return k_resample_len(n, to / g, from / g);
}

ltx2_status mel_resample(const kctx *ctx, int channels, int64_t n, const float *wave, int from, int to, float *out,
                         ltx2_error *err)
{
    if (from <= 0 || to <= 0)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "sample rates must be positive");
    int64_t g = gcd64(from, to);
    return ltx2_kerr(err, k_resample_sinc(ctx, channels, n, wave, to / g, from / g, 6.0, 0.99, out), "resampling");
}
