/* vae_model.h — the LTX-2 video VAE (encoder, decoder, tiled decode), configured from
 * the checkpoint's `config["vae"]` and the tensor shapes. Activations are channels-last
 * f32; weights stay in their stored dtype, packed once at load. */
#ifndef LTX2_VAE_MODEL_H
#define LTX2_VAE_MODEL_H
#include <stdbool.h>
#include "common/geometry.h"
#include "ltx2/ltx2_plugin.h"
#include "video_vae/vae_ops.h"

#define LTX2_VIDEO_VAE_KIND "ltx2.video_vae"

typedef enum vblock_kind {
    VB_RES = 0,  /* res_x: ResnetBlock3D × n (UNetMidBlock3D) */
    VB_UP = 1,   /* compress_*: DepthToSpaceUpsample (decoder) */
    VB_DOWN = 2  /* compress_*_res: SpaceToDepthDownsample (encoder) */
} vblock_kind;

typedef struct vres {
    vconv conv1, conv2;
    float *sst; /* scale_shift_table [4][C] (timestep conditioning) or NULL */
} vres;

typedef struct vblock {
    vblock_kind kind;
    int64_t cin, cout;
    int n_res;
    vres *res;
    bool has_te;
    vtembed te;      /* res_x with timestep conditioning: → 4·C */
    vconv conv;      /* up/down */
    int st, sh, sw;  /* up/down strides */
    bool residual;   /* up */
    int mult;        /* up: out_channels_reduction_factor */
} vblock;

typedef struct vcoder {
    vconv conv_in, conv_out;
    int n_blocks;
    vblock *blocks;
} vcoder;

typedef struct ltx2_video_vae {
    ltx2_checkpoint *ckpt; /* retained: the weights stay mapped */
    int64_t latent_ch;
    int patch;
    int64_t in_ch;       /* pixel channels (3) */
    ltx2_latent_geom geom; /* of the checkpoint's config (also recorded on the VAE object) */
    float *mean, *std;   /* per-channel statistics [latent_ch] */
    bool has_dec, has_enc;
    /* decoder */
    vcoder dec;
    kpad dec_spad;
    bool causal_dec;
    bool ts_cond;
    float ts_mult;
    vtembed last_te;     /* → 2·C */
    float *last_sst;     /* [2][C] */
    /* encoder */
    vcoder enc;
    kpad enc_spad;
    int64_t enc_out_ch;  /* conv_out channels (latent + 1 for "uniform") */
    /* Device copy of the weights (a mirror ltx2_video_vae), made by the first decode or
     * encode on a device context and freed with the model (vae_resident.c). */
    lx_resident resident;
} ltx2_video_vae;

/* Builds the model from `config["vae"]` and the `vae.*` keys. *out = NULL when the
 * checkpoint has no video VAE at all; a file with only `vae.per_channel_statistics.*`
 * (an upsampler file bundling them) gives a statistics-only VAE (no decoder/encoder). */
ltx2_status ltx2_video_vae_build(ltx2_checkpoint *ck, ltx2_video_vae **out, ltx2_error *err);
void ltx2_video_vae_free(ltx2_video_vae *v);

/* The weights as kc's backend reads them: v itself on the CPU, else a mirror of v whose
 * conv weights, statistics, tables and embedders live on kc's device (uploaded on the
 * first call; an error names the bytes needed). The mirror lives as long as v. */
ltx2_status ltx2_vae_on(const ltx2_video_vae *v, const kctx *kc, const ltx2_video_vae **out, ltx2_error *err);
/* Device bytes of the weights' mirror (what the first decode or encode on a device
 * uploads: the block and the packed conv weights; 0 when out of host memory), and
 * whether kc's device holds them already. */
size_t ltx2_vae_weight_bytes(const ltx2_video_vae *v);
bool ltx2_vae_resident_on(const ltx2_video_vae *v, const kctx *kc);
void ltx2_vae_resident_init(ltx2_video_vae *v);
void ltx2_vae_resident_fini(ltx2_video_vae *v);

/* Decoder conditioning for one decode call. */
typedef struct vae_dec_opts {
    float timestep;      /* decode timestep (0.05 by default) */
    float noise_scale;   /* decode noise mix (0.025) */
    const float *noise;  /* NCFHW noise of the latent's shape, or NULL = none drawn */
    const volatile int32_t *cancel; /* polled between blocks (NULL = never): LTX2_CANCELLED */
} vae_dec_opts;

/* Output sizes of a latent (f, h, w). */
void ltx2_vae_pixel_size(const ltx2_video_vae *v, int64_t f, int64_t h, int64_t w, int64_t *F,
                         int64_t *H, int64_t *W);

/* Decodes a normalized latent given NCFHW [C][f][h][w] (batch 1) into channels-last
 * pixels y [F][H][W][in_ch] (not clamped). Timestep conditioning follows the config;
 * opts->noise is mixed in only then. Temporary memory scales with the latent size.
 * latent, opts->noise and y are memory of ctx's backend (device memory on CUDA). */
ltx2_status ltx2_vae_decode(const kctx *ctx, const ltx2_video_vae *v, const float *latent,
                            int64_t f, int64_t h, int64_t w, const vae_dec_opts *opts, float *y,
                            ltx2_error *err);

/* Encodes NCFHW pixels [in_ch][F][H][W] in [-1,1] (F = 1+8k after cropping, H, W multiples
 * of 32) into a normalized latent NCFHW [C][f][h][w]; video and latent in ctx's memory. */
ltx2_status ltx2_vae_encode(const kctx *ctx, const ltx2_video_vae *v, const float *video,
                            int64_t F, int64_t H, int64_t W, float *latent, int64_t *f,
                            int64_t *h, int64_t *w, ltx2_error *err);
/* Latent sizes for a pixel video (after cropping F to 1+8k). */
ltx2_status ltx2_vae_latent_size(const ltx2_video_vae *v, int64_t F, int64_t H, int64_t W,
                                 int64_t *f, int64_t *h, int64_t *w, ltx2_error *err);

#endif
