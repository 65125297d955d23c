/* vae_blocks.h — the video VAE blocks on channels-last activations [t][h][w][c]. */
#ifndef LTX2_VAE_BLOCKS_H
#define LTX2_VAE_BLOCKS_H
#include "video_vae/vae_model.h"

/* res_x in place on x [t][h][w][C]; temb = the block's time embedding [4·C] or NULL. */
ltx2_status vblock_res(const kctx *ctx, const vblock *b, int64_t t, int64_t h, int64_t w,
                       float *x, vtpad tpad, kpad spad, const float *temb);
/* DepthToSpaceUpsample: *out (k_alloc on ctx) [*to][h·sh][w·sw][cout]. */
ltx2_status vblock_up(const kctx *ctx, const vblock *b, int64_t t, int64_t h, int64_t w,
                      const float *x, vtpad tpad, kpad spad, float **out, int64_t *to);
/* SpaceToDepthDownsample: *out (k_alloc on ctx) [*to][h/sh][w/sw][cout]. */
ltx2_status vblock_down(const kctx *ctx, const vblock *b, int64_t t, int64_t h, int64_t w,
                        const float *x, vtpad tpad, kpad spad, float **out, int64_t *to);

#endif
