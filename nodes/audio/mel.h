/* mel.h — the audio VAE's front end: stereo waveform → natural-log magnitude mel
 * spectrogram (torchaudio MelSpectrogram settings of the reference: periodic Hann,
 * centred frames with reflect padding, power 1, Slaney mel scale and norm). */
#ifndef LTX2_MEL_H
#define LTX2_MEL_H
#include <stdint.h>
#include "error.h"
#include "kernels.h"

typedef struct mel_config {
    int sample_rate, n_fft, win, hop, n_mels;
    double fmin, fmax;
} mel_config;

/* Frames produced for n samples: n / hop + 1. */
int64_t mel_frames(const mel_config *cfg, int64_t n_samples);
/* The constant tables of cfg's front end, malloc'd host memory: the periodic-Hann-windowed
 * DFT basis [2·(n_fft/2 + 1)][n_fft] (cos rows, then sin rows) and the Slaney filterbank
 * [n_fft/2 + 1][n_mels]. */
ltx2_status mel_tables_make(const mel_config *cfg, float **basis, float **fb, ltx2_error *err);
/* wave [channels][n] at cfg->sample_rate → mel [channels][frames][n_mels]; wave, mel and
 * the tables are memory of ctx's backend. */
ltx2_status mel_compute(const mel_config *cfg, const kctx *ctx, const float *basis, const float *fb, int channels,
                        int64_t n, const float *wave, float *mel, ltx2_error *err);
/* Band-limited resampling with a Hann-windowed sinc (6 zero crossings, roll-off 0.99: the
 * parameters of torchaudio's default, not bit-identical to it) of wave [channels][n] from
 * rate `from` to `to` into out [channels][mel_resample_len(n, from, to)], memory of ctx's
 * backend. */
int64_t mel_resample_len(int64_t n, int from, int to);
ltx2_status mel_resample(const kctx *ctx, int channels, int64_t n, const float *wave, int from, int to, float *out,
                         ltx2_error *err);

#endif
