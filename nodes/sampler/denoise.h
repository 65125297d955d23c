/* denoise.h — the Euler denoising loop over the audio+video token sequences (spec
 * §4.2-4.5): noising to noise_scale, per-token timesteps mask * sigma, the transformer
 * through the X0 wrapper, guidance passes, blend with the clean latent, Euler step. */
#ifndef LTX2_SAMPLER_DENOISE_H
#define LTX2_SAMPLER_DENOISE_H
#include "ltx2/ltx2_plugin.h"
#include "sampler/guidance.h"
#include "sampler/latent.h"
#include "transformer/transformer.h"

/* Text contexts of one prompt (borrowed): [n][width] per modality. */
typedef struct ltx2_ctx_pair {
    const float *video;
    int64_t n_video;
    const float *audio;
    int64_t n_audio;
} ltx2_ctx_pair;

/* The step rule: Euler, or RES 2s (two model evaluations per step, see denoise.c). */
enum { LTX2_SAMPLER_EULER = 0, LTX2_SAMPLER_RES_2S = 1 };

typedef struct ltx2_denoise_args {
    const ltx2_dit *model;
    kctx kc;
    ltx2_ctx_pair positive;
    ltx2_ctx_pair negative;    /* video == NULL: none */
    ltx2_guide video_guide, audio_guide;
    const float *sigmas;       /* n_sigmas values, descending */
    int n_sigmas;
    int method;                /* LTX2_SAMPLER_* */
    ltx2_exec_ctx *ctx;        /* progress / cancel; may be NULL */
    /* Optional: the tokens after the first Euler step are copied here ([n][ch]). */
    float *video_after_step1, *audio_after_step1;
} ltx2_denoise_args;

/* GaussianNoiser: x = noise * (mask * scale) + x * (1 - mask * scale), per token. */
K_MUST_USE kstatus ltx2_seq_noise(const kctx *kc, ltx2_seq *s, const float *noise, double noise_scale);

/* Runs the loop in place on video (and audio when audio->n > 0 and the model has an
 * audio stream). Returns LTX2_CANCELLED when the host asked to stop. */
ltx2_status ltx2_denoise(const ltx2_denoise_args *a, ltx2_seq *video, ltx2_seq *audio,
                         ltx2_error *err);

#endif
