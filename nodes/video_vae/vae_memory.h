/* vae_memory.h — what a video VAE decode asks of its backend's memory, derived from the
 * allocations the decode code makes (vae_forward.c, vae_blocks.c, vae_tiling.c and the
 * decode nodes), and the decision the decode nodes take from it before any work: the
 * whole latent at once, tiles as large as the budget allows, or a refusal naming what
 * needs the memory.
 *
 * Activations are replayed allocation by allocation (each vae_alloc taken and given
 * back in the decode's order), so the peak is the one the code reaches, not a guess;
 * op scratch is the convolutions' arena scratch on the CPU (k_conv_scratch) and the
 * timestep embedders' GEMM scratch on CUDA (the CUDA convolution takes none). */
#ifndef LTX2_VAE_MEMORY_H
#define LTX2_VAE_MEMORY_H
#include <stdbool.h>
#include "common/stream.h"
#include "video_vae/vae_tiling.h"

/* Bytes of one decode call, as the budget sees them. */
typedef struct vae_dec_mem {
    size_t weights;     /* the weights still to place on the device (0 once resident); on the CPU,
                         * what a device would hold (the CPU budget counts them too) */
    size_t activations; /* whole: the decoder's activation peak and the decode noise; tiled: the
                         * largest tile's (its latent, noise, pixels and decode) and the blend tables */
    size_t scratch;     /* op scratch at the largest decode (what its arena/device scratch grows by) */
    size_t frames;      /* the output frames, and later the node's output copies beside them */
    size_t total;       /* weights + max(frames + activations + scratch, frames with the copies) */
    int tiles;          /* tiles of the decode (1: whole) */
} vae_dec_mem;

/* Peak bytes of the activations ltx2_vae_decode allocates for a latent (f, h, w) on kc's
 * backend (its vae_alloc calls, rounded as k_alloc rounds), and the arena scratch of its
 * largest op (CPU), or the device scratch it asks for (CUDA). */
size_t vae_decode_activation_peak(const ltx2_video_vae *v, const kctx *kc, int64_t f, int64_t h, int64_t w);
size_t vae_decode_scratch(const ltx2_video_vae *v, const kctx *kc, int64_t f, int64_t h, int64_t w);

/* The memory of a decode of latent (f, h, w): whole (cfg NULL, as LTX2VAEDecode) or under
 * cfg (as LTX2VAEDecodeTiled); out_copies: output tensors the node makes beside the frames
 * (0..2). LTX2_ERR_BAD_INPUT for a tiling vae_tile_plan_make refuses. */
ltx2_status vae_decode_mem(const ltx2_video_vae *v, const kctx *kc, int64_t f, int64_t h, int64_t w,
                           const vae_tiling *cfg, int out_copies, vae_dec_mem *out, ltx2_error *err);

/* The decode nodes' plan: how to decode within what the budget leaves. */
typedef struct vae_dec_fit {
    bool tiled;      /* decode tiled with cfg */
    bool chosen;     /* the tiles were chosen here (LTX2VAEDecode over budget) */
    vae_tiling cfg;
    vae_dec_mem mem; /* of the plan taken */
    size_t whole;    /* total bytes of the whole decode (LTX2VAEDecode) */
    lx_room room;
} vae_dec_fit;

/* user NULL (LTX2VAEDecode): whole when it fits what kc's budget leaves, else the largest
 * tiles on the tiling grid (spatial multiples of 32 px, temporal of 8 frames) with the
 * default overlaps (64 px, 24 frames) that fit, fewest tiles first. user given
 * (LTX2VAEDecodeTiled): those tiles, never changed. LTX2_ERR_OOM when nothing fits, err
 * naming what needs the memory (weights, one tile's activations, the frames) in bytes and
 * what the budget leaves. */
ltx2_status vae_decode_fit_budget(const ltx2_video_vae *v, const kctx *kc, int64_t f, int64_t h, int64_t w,
                                  const vae_tiling *user, int out_copies, vae_dec_fit *out, ltx2_error *err);

/* "tiles of 512 px (overlap 64) x 64 frames (overlap 24)" for logs and messages. */
void vae_tiling_describe(const vae_tiling *cfg, char *buf, size_t size);

#endif
