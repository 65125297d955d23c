/* audio_vae.h — the LTX-2 audio VAE (log-mel ↔ latent) and its configuration, read
 * from the checkpoint's `config["audio_vae"]`. Activations are channels-last over
 * (time, mel): [T][F][C]. Spec: vae-audio-upsampler-formats.md §2. */
#ifndef LTX2_AUDIO_VAE_H
#define LTX2_AUDIO_VAE_H
#include <stdbool.h>
#include "common/geometry.h"
#include "audio/mel.h"
#include "common/weights.h"
#include "error.h"
#include "kernels.h"
#include "store/store.h"
#include "video_vae/vae_ops.h"

#define LTX2_AUDIO_VAE_PAYLOAD "ltx2.audio_vae"
#define LTX2_AUDIO_MAX_LEVELS 8

typedef struct audio_vae_config {
    int ch, z_channels, in_channels, out_ch, mel_bins, num_res_blocks;
    int n_levels, ch_mult[LTX2_AUDIO_MAX_LEVELS];
    bool double_z;
    int sample_rate;               /* of the mel front end (16000) */
    int n_fft, hop, win;           /* STFT */
    int n_mels;
    double fmin, fmax;
    int latent_freq;               /* mel_bins >> (n_levels - 1) */
} audio_vae_config;

/* A conv layer: the CPU-packed weights and bias (vconv), and the stored weight in the
 * checkpoint's mapping, from which the device mirror makes the device weights. */
typedef struct audio_conv {
    vconv c;
    kmat stored; /* [cout][cin·kh·kw] */
} audio_conv;

/* ResnetBlock: pixnorm → SiLU → conv1 → pixnorm → SiLU → conv2, plus skip (1×1 when
 * the width changes). */
typedef struct audio_resblock {
    audio_conv conv1, conv2, nin;
    bool has_nin;
} audio_resblock;

typedef struct audio_level {
    audio_resblock *blocks;
    int n_blocks;
    audio_conv resample; /* upsample (decoder) or downsample (encoder) conv */
    bool has_resample;
} audio_level;

typedef struct audio_coder {
    bool present;
    audio_conv conv_in, conv_out;
    audio_resblock mid1, mid2;
    audio_level levels[LTX2_AUDIO_MAX_LEVELS];
} audio_coder;

typedef struct audio_vae {
    audio_vae_config cfg;
    ltx2_latent_geom geom; /* of the checkpoint's config (also recorded on the object) */
    audio_coder enc, dec;
    /* Per-channel statistics laid out [latent_freq][z_channels], the order of a
     * channels-last latent row (the checkpoint's are [z_channels][latent_freq]). */
    float *mean, *std;
    /* The mel front end's tables (mel_tables_make; with the encoder only). */
    float *mel_basis, *mel_fb;
    ltx2_checkpoint *ckpt;
    lx_resident resident; /* the weights on a device, after the first device pass */
} audio_vae;

/* Reads config["audio_vae"]; LTX2_OK with *present = false when there is none. */
ltx2_status audio_vae_config_read(const ltx2_checkpoint *ck, audio_vae_config *cfg, bool *present,
                                  ltx2_error *err);
void audio_vae_free(void *vae);
/* *out = v on a CPU context; on a device, v's mirror there (weights uploaded at the first
 * call, LTX2_ERR_OOM naming the bytes when they do not fit). */
ltx2_status audio_vae_on(const audio_vae *v, const kctx *kc, const audio_vae **out, ltx2_error *err);

/* cancel (may be NULL) is polled between blocks: LTX2_CANCELLED once it is set.
 * latent_ncf and mel_ncf are memory of ctx's backend (a CUDA context runs on the weights
 * made resident on its device at the first call; freed with the model).
 * Normalized latent (z, T, F') → log-mel (out_ch, T_mel, mel_bins) with
 * T_mel = audio_vae_mel_frames(T). mel_ncf must hold that many values. */
int64_t audio_vae_mel_frames(const audio_vae *v, int64_t t_latent);
ltx2_status audio_vae_decode(const audio_vae *v, const kctx *ctx, int64_t t_latent,
                             const float *latent_ncf, float *mel_ncf,
                             const volatile int32_t *cancel, ltx2_error *err);
/* Log-mel (C, T, mel) → normalized latent (z, T', F'); T' = audio_vae_latent_frames; both
 * in memory of ctx's backend. */
int64_t audio_vae_latent_frames(const audio_vae *v, int64_t t_mel);
/* The encoder's front end (audio/mel.h) with the model's tables: wave [channels][n] at
 * cfg.sample_rate → log-mel [channels][mel_frames][n_mels], memory of ctx's backend. */
mel_config audio_vae_mel_config(const audio_vae *v);
ltx2_status audio_vae_mel(const audio_vae *v, const kctx *ctx, int channels, int64_t n, const float *wave,
                          float *mel, ltx2_error *err);
ltx2_status audio_vae_encode(const audio_vae *v, const kctx *ctx, int64_t t_mel,
                             const float *mel_ncf, float *latent_ncf,
                             const volatile int32_t *cancel, ltx2_error *err);

#endif
