/* vae_tiling.h — the reference's tiled decode: tile layout over the latent's (F, H, W),
 * trapezoid blend masks in pixel units, weighted average of the decoded tiles. Working
 * memory is one tile's decode; the output is the whole video. */
#ifndef LTX2_VAE_TILING_H
#define LTX2_VAE_TILING_H
#include "video_vae/vae_model.h"

#define VAE_MAX_TILES_PER_AXIS 4096

/* One interval of an axis, in latent units, with blend ramps. */
typedef struct vae_interval {
    int64_t start, end, left, right;
} vae_interval;

/* Tiling in pixels / frames as the reference's TilingConfig; 0 = axis not tiled. */
typedef struct vae_tiling {
    int64_t tile_px, overlap_px;
    int64_t tile_frames, overlap_frames;
} vae_tiling;

/* Reference split_by_size: returns the number of intervals written (≤ max), or -1 when
 * the sizes are invalid (size ≤ 0, overlap < 0 or ≥ size). */
int vae_split(int64_t len, int64_t size, int64_t overlap, vae_interval *iv, int max);

/* Trapezoid mask of length n (ramps clipped to n). */
void vae_trapezoid(int64_t n, int64_t left, int64_t right, int starts_from_0, float *mask);

/* The per-axis intervals of a latent (f, h, w) under cfg, and their pixel mapping. */
typedef struct vae_tile_plan {
    int n[3];               /* intervals on F, H, W */
    vae_interval *iv[3];    /* latent intervals */
    int64_t *o0[3], *o1[3]; /* output (pixel) slices */
    float **mask[3];        /* 1-D masks over each output slice */
} vae_tile_plan;
ltx2_status vae_tile_plan_make(const ltx2_video_vae *v, int64_t f, int64_t h, int64_t w,
                               const vae_tiling *cfg, vae_tile_plan *plan, ltx2_error *err);
void vae_tile_plan_free(vae_tile_plan *plan);

/* Tile callbacks: noise for tile i of latent shape [C][tf][th][tw] (return LTX2_OK
 * with *used = 0 to draw none), and a progress tick that may answer LTX2_CANCELLED. */
typedef struct vae_tile_hooks {
    void *ud;
    ltx2_status (*noise)(void *ud, int tile, const int64_t shape[4], float *out, int *used,
                         ltx2_error *err);
    ltx2_status (*tick)(void *ud, int done, int total);
    const volatile int32_t *cancel; /* also polled inside each tile's decode (NULL = never) */
} vae_tile_hooks;

/* Decodes NCFHW latent [C][f][h][w] tile by tile into channels-last y [F][H][W][3]; latent
 * and y are memory of ctx's backend (the noise hook always fills host memory, copied to
 * the device per tile). Tiles are cropped, blended and averaged with ops on ctx. */
ltx2_status ltx2_vae_decode_tiled(const kctx *ctx, const ltx2_video_vae *v, const float *latent,
                                  int64_t f, int64_t h, int64_t w, const vae_tiling *cfg,
                                  float timestep, float noise_scale, const vae_tile_hooks *hooks,
                                  float *y, ltx2_error *err);

#endif
