/* upscaler_model.h — the LTX-2 latent upsampler (spatial ×2 / rational, temporal ×2),
 * configured from the file's bare `config` dict and its tensor shapes. */
#ifndef LTX2_UPSCALER_MODEL_H
#define LTX2_UPSCALER_MODEL_H
#include <stdbool.h>
#include "video_vae/vae_ops.h"

#define LTX2_UPSCALER_KIND "ltx2.upscaler"

typedef struct ures {
    vconv conv1, conv2;
    float *n1w, *n1b, *n2w, *n2b;
} ures;

typedef struct ltx2_upscaler {
    ltx2_checkpoint *ckpt; /* retained */
    int64_t in_ch, mid;
    int n_blocks, groups;
    bool spatial, temporal;
    int num, den;          /* spatial scale num/den */
    vconv initial_conv, up, final_conv;
    float *in_w, *in_b;    /* initial_norm */
    ures *res, *post;
    float *blur;           /* den > 1: the blur_down kernel [5][5], else NULL */
    float *mean, *std;     /* statistics bundled in the file (vae.per_channel_statistics.*), or NULL */
    /* Device copy of the weights (a mirror ltx2_upscaler), made by the first run on a
     * device context and freed with the model (upscaler_resident.c). */
    lx_resident resident;
} ltx2_upscaler;

ltx2_status ltx2_upscaler_build(ltx2_checkpoint *ck, ltx2_upscaler **out, ltx2_error *err);
void ltx2_upscaler_free(ltx2_upscaler *u);

/* The weights as kc's backend reads them: u itself on the CPU, else a mirror of u on kc's
 * device (uploaded on the first call). The mirror lives as long as u. */
ltx2_status ltx2_upscaler_on(const ltx2_upscaler *u, const kctx *kc, const ltx2_upscaler **out, ltx2_error *err);
void ltx2_upscaler_resident_fini(ltx2_upscaler *u);

/* Output latent size for an input (f, h, w). */
void ltx2_upscaler_out_size(const ltx2_upscaler *u, int64_t f, int64_t h, int64_t w, int64_t *fo,
                            int64_t *ho, int64_t *wo);
/* The reference's upsample_video on NCFHW [C][f][h][w]: un-normalize with (mean, std),
 * upsample, re-normalize; y NCFHW of ltx2_upscaler_out_size. latent and y are memory of
 * ctx's backend; mean and std (C floats) host memory (staged on a device). */
ltx2_status ltx2_upscaler_run(const kctx *ctx, const ltx2_upscaler *u, const float *mean,
                              const float *std, const float *latent, int64_t f, int64_t h,
                              int64_t w, float *y, ltx2_error *err);

#endif
