/* vae_ops.h — building blocks shared by the video VAE and the latent upscalers:
 * 3-D convolutions over channels-last activations with weights packed once (for the CPU
 * on its first use, for a device at upload),
 * the VAE patchify order, and the sinusoidal timestep embedder. */
#ifndef LTX2_VAE_OPS_H
#define LTX2_VAE_OPS_H
#include <stdint.h>
#include "error.h"
#include "kernels.h"
#include "common/weights.h"
#include "store/store.h"

/* A convolution layer: packed weight (stored dtype) + f32 bias. */
typedef struct vconv {
    kconvw *w;   /* packed: the CPU panels (made by the first CPU run) or a mirror's device weights */
    kmat wt;     /* the stored weight [cout][cin·taps] in the mapping (device packing) */
    float *bias; /* [cout] */
    int64_t cin, cout;
    int kt, kh, kw;
} vconv;

/* c's packed weights for ctx's backend: a device mirror's as uploaded, or the CPU
 * panels, packed on the first CPU use (thread-safe). */
K_MUST_USE kstatus vconv_weights(const kctx *ctx, const vconv *c, const kconvw **out);

/* How the time axis is padded around a k=3 kernel. */
typedef enum vtpad {
    VT_CAUSAL = 0, /* two copies of the first frame in front (encoder) */
    VT_SYMM = 1,   /* one copy of the first frame in front, one of the last behind */
    VT_ZEROS = 2   /* one zero frame on each side (upscaler) */
} vtpad;

/* Loads `<prefix>weight` [cout][cin][kt][kh][kw] (kt = 0: a 4-D 2-D conv weight) and
 * `<prefix>bias` [cout]; every failure names the key. */
ltx2_status vconv_load(vconv *c, const ltx2_checkpoint *ck, const char *prefix, int64_t cout,
                       int64_t cin, int kt, int kh, int kw, ltx2_error *err);
void vconv_free(vconv *c);
/* The layer's slots in a device mirror (weights.h): packed weight and bias. */
void vconv_upload(lx_upload *u, vconv *c);
/* Frees what vconv_upload made in a mirror (the bias lives in the mirror's block). */
void vconv_mirror_free(vconv *c);

/* Same-size conv of x [t][h][w][cin] into y [t][h][w][cout]; padding 1 on h, w
 * (mode spad) and the given time padding (ignored when kt == 1). */
K_MUST_USE kstatus vconv_run(const kctx *ctx, const vconv *c, int64_t t, int64_t h, int64_t w, const float *x,
               float *y, vtpad tpad, kpad spad);
/* Arena scratch vconv_run takes for these sizes (k_conv_scratch). */
size_t vconv_scratch(const kctx *ctx, const vconv *c, int64_t t, int64_t h, int64_t w, vtpad tpad, kpad spad);

/* n floats of ctx's backend memory (k_alloc; free with k_free), NULL when out of memory. */
float *vae_alloc(const kctx *ctx, int64_t n);

/* Output rows of a weight by its first dim, read off the checkpoint (for widths). */
int64_t vae_dim0(const ltx2_checkpoint *ck, const char *name);

/* Timestep embedder (PixArt style): sinusoid 256 (cos first) → linear_1 → SiLU →
 * linear_2, keys `<prefix>linear_1.{weight,bias}` and `linear_2`. */
typedef struct vtembed {
    kmat l1, l2;
    float *b1, *b2;
    int64_t dim;
} vtembed;
ltx2_status vtembed_load(vtembed *e, const ltx2_checkpoint *ck, const char *prefix, int64_t dim,
                         ltx2_error *err);
void vtembed_free(vtembed *e);
void vtembed_upload(lx_upload *u, vtembed *e);
/* out [dim]; returns LTX2_ERR_OOM on allocation failure. */
ltx2_status vtembed_run(const kctx *ctx, const vtembed *e, float t, float *out);

#endif
