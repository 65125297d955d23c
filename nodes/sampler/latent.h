/* latent.h — the LATENT object of the LTX-2 nodes (see docs/SAMPLER.md) and the token
 * sequence the sampler builds from it.
 *
 * LATENT entries (all F32, batch 1):
 *   samples              [1, C, F, H, W]  video latent (normalized space)
 *   audio_samples        [1, Ca, T, M]    audio latent (optional)
 *   frame_rate           FLOAT            frames per second of the video
 *   video_denoise_mask   [1, F*H*W, 1]    per generated token, 1 = generate, 0 = keep
 *                                         (optional: all 1)
 *   audio_denoise_mask   [1, T, 1]        same for audio tokens (optional: all 1)
 *   video_cond_tokens    [1, Tc, C]       conditioning tokens appended after the
 *   video_cond_mask      [1, Tc, 1]       generated ones (keyframes, reference video),
 *   video_cond_positions [1, 3, Tc, 2]    with their denoise mask and positions
 *                                         (t seconds, y px, x px) x [start, end)
 *   geom_*               INT              the latent geometry it was made with
 *                                         (optional: ltx2_latent_geom_record)
 * The samples tensor already holds any latent-index (image) conditioning: the
 * conditioned tokens are the clean values the sampler keeps with weight 1 - mask. */
#ifndef LTX2_SAMPLER_LATENT_H
#define LTX2_SAMPLER_LATENT_H
#include <stdint.h>
#include "common/geometry.h"
#include "error.h"
#include "kernels.h"
#include "object.h"
#include "tensor.h"

#define LTX2_LAT_VIDEO "samples"
#define LTX2_LAT_AUDIO "audio_samples"
#define LTX2_LAT_FPS "frame_rate"
#define LTX2_LAT_VIDEO_MASK "video_denoise_mask"
#define LTX2_LAT_AUDIO_MASK "audio_denoise_mask"
#define LTX2_LAT_COND_TOKENS "video_cond_tokens"
#define LTX2_LAT_COND_MASK "video_cond_mask"
#define LTX2_LAT_COND_POS "video_cond_positions"

/* Mel bins per audio latent frame (audio latent channels are Ca x this). The video
 * and audio compression (pixels per latent cell, audio latent rate) is the
 * ltx2_latent_geom of the VAEs (common/geometry.h), recorded on the LATENT. */
#define LTX2_AUDIO_LATENT_MEL 16

/* The shape of a LATENT's video and audio parts (0 where absent). */
typedef struct ltx2_latent_dims {
    int64_t c, f, h, w;   /* video */
    int64_t ca, t, m;     /* audio */
    int64_t n_cond;       /* appended conditioning tokens */
    double fps;
} ltx2_latent_dims;

/* Checks every entry's shape against the others; err names the entry. */
ltx2_status ltx2_latent_dims_of(const ltx2_object *lat, ltx2_latent_dims *d, ltx2_error *err);

/* Patchify: video [C][N] (N = F*H*W) -> tokens [N][C]; audio [C][T][M] -> [T][C*M]
 * (pooled layout ops on kc's backend). */
K_MUST_USE kstatus ltx2_patchify_video(const kctx *kc, const float *src, int64_t c, int64_t n, float *dst);
K_MUST_USE kstatus ltx2_unpatchify_video(const kctx *kc, const float *src, int64_t c, int64_t n, float *dst);
K_MUST_USE kstatus ltx2_patchify_audio(const kctx *kc, const float *src, int64_t c, int64_t t, int64_t m,
                                       float *dst);
K_MUST_USE kstatus ltx2_unpatchify_audio(const kctx *kc, const float *src, int64_t c, int64_t t, int64_t m,
                                         float *dst);

/* Audio latent frames for a clip: round(frames / fps * audio latent fps of g), half to
 * even (25 latent frames per second for LTX-2). */
int64_t ltx2_audio_latent_frames(int64_t frames, double fps, const ltx2_latent_geom *g);

/* A contiguous F32 copy of the tensor entry `key` (NULL when absent or on OOM). */
ltx2_tensor *ltx2_latent_copy(const ltx2_object *lat, const char *key);

/* One modality's token sequence as the sampler iterates it. */
typedef struct ltx2_seq {
    int64_t n;     /* all tokens (generated + appended) */
    int64_t n_gen; /* generated tokens (the latent grid) */
    int64_t ch;    /* channels per token */
    int axes;      /* position axes: 3 video, 1 audio */
    float *x;      /* [n][ch] current latent */
    float *clean;  /* [n][ch] clean latent (conditioning values) */
    float *mask;   /* [n] denoise mask */
    float *pos;    /* [axes][n][2] */
    kctx home;     /* whose memory x, clean, mask and pos are (zeroed: the host) */
} ltx2_seq;

/* Builds the video / audio sequence of a LATENT (the audio one is empty, n = 0,
 * when the latent has no audio). x = clean = the latent values; positions with the
 * geometry g (the model's). Both are built on the host and then moved into kc's memory. */
ltx2_status ltx2_seq_video(const kctx *kc, const ltx2_object *lat, const ltx2_latent_geom *g, ltx2_seq *s,
                           ltx2_error *err);
ltx2_status ltx2_seq_audio(const kctx *kc, const ltx2_object *lat, const ltx2_latent_geom *g, ltx2_seq *s,
                           ltx2_error *err);
void ltx2_seq_free(ltx2_seq *s);
/* Moves *p (n floats of malloc'd host memory) into kc's memory: nothing on the CPU; on a
 * device *p becomes a k_alloc'd copy (free it with k_free on kc) and the host array is
 * freed. On failure *p is unchanged. */
K_MUST_USE kstatus ltx2_host_to_backend(const kctx *kc, float **p, int64_t n);

#endif
