/* vae_node_util.h — small adapters the VAE and upscaler nodes share: the latent from a
 * LATENT or a TENSOR, the VAE payload, and the node types of nodes/video_vae. */
#ifndef LTX2_VAE_NODE_UTIL_H
#define LTX2_VAE_NODE_UTIL_H
#include "node.h"
#include "video_vae/vae_model.h"

/* Stream of the portable RNG (nodes/sampler/rng.h) used for the decode noise;
 * the sampler uses 0 (video) and 1 (audio). */
#define LTX2_RNG_STREAM_VAE_DECODE 2u

/* A contiguous F32 latent [1, C, F, H, W] on k's backend from the LATENT input lat_idx
 * (entry "samples") or the TENSOR input ten_idx (either may be absent, not both). New ref. */
ltx2_status vae_in_latent(ltx2_exec_ctx *ctx, const ltx2_node_type *type, const ltx2_value *in,
                          uint32_t lat_idx, uint32_t ten_idx, int64_t channels, const kctx *k, ltx2_tensor **out);
/* The VAE payload of input idx (reports an error when absent). */
ltx2_status vae_in_vae(ltx2_exec_ctx *ctx, const ltx2_node_type *type, const ltx2_value *in,
                       uint32_t idx, const ltx2_video_vae **out);
/* Scalar with a fallback when the port carries no value. */
double vae_in_float_or(const ltx2_value *in, uint32_t idx, double def);
int64_t vae_in_int_or(const ltx2_value *in, uint32_t idx, int64_t def);

/* A LATENT holding samples (and the video-independent entries of `like`, if given). */
ltx2_status vae_make_latent(ltx2_tensor *samples, const ltx2_object *like, ltx2_object **out);

extern const ltx2_node_type ltx2_node_vae_decode;
extern const ltx2_node_type ltx2_node_vae_decode_tiled;
extern const ltx2_node_type ltx2_node_vae_encode;

#endif
