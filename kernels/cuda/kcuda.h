/*
 * kcuda.h — the CUDA backend of kernels/, as plain C (no CUDA type leaks out, so nodes,
 * the plugin and tests compile without the CUDA headers). Built only with -DLTX2_CUDA=ON;
 * the public k_* ops dispatch here when ctx->backend == KB_CUDA.
 *
 * Loading
 *   The backend is its own shared module (libltx2cuda.so, beside the plugin) so the
 *   plugin loads where NVIDIA's libraries are absent. ltx2_kernels holds a forwarder
 *   for every function below (kernels/kcuda_loader.c, generated from the one list in
 *   kcuda_api.h); the first kcuda_device_count / kcuda_create dlopens the module.
 *   Without the module, a driver or a GPU, kcuda_device_count() is 0 and kcuda_create
 *   fails with "CUDA backend not available: <why>".
 *
 * Conventions
 *   - Every op has the argument list of its k_* twin in kernels.h, after the same
 *     `const kctx *ctx` (ctx->cuda is the device, ctx->prec the precision, ctx->cancel
 *     polled between launches of long ops). Every pointer argument is device memory of
 *     ctx->cuda, except kmat / kconvw / kattn descriptors themselves (host structs whose
 *     data pointers are device memory).
 *   - Work is queued on the device's stream; ops return without synchronising. Only
 *     kcuda_copy to the host and kcuda_sync wait. Errors of queued work surface at the
 *     next synchronising call (as KS_DEVICE).
 *   - Numerics: KP_EXACT computes in f32 with TF32 off; KP_FAST rounds GEMM inputs
 *     (activations and weights) to bf16 with f32 accumulation and f32 outputs, as the
 *     CPU backend does. Weights keep their stored dtype on the device (f32, bf16, f16,
 *     FP8 E4M3/E5M2 with kmat.scale) and are widened inside the kernels.
 *   - Memory: all device memory goes through kcuda_alloc, which enforces the budget given
 *     at creation and tracks the peak; scratch comes from the device's workspace.
 */
#ifndef LTX2_KCUDA_H
#define LTX2_KCUDA_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

/* ------------------------------------------------------------------ device */
/* Usable CUDA devices (0 when there is no driver or no GPU; never fails otherwise). */
int kcuda_device_count(void);
/* budget_bytes == 0: the device's free memory at creation. why (may be NULL) receives a
 * message when the result is not KS_OK (no device, driver too old, out of memory). */
kstatus kcuda_create(int ordinal, size_t budget_bytes, kcuda **out, char *why, size_t why_len);
void kcuda_destroy(kcuda *d);
/* "NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB)" */
const char *kcuda_name(const kcuda *d);
/* The ordinal d was created for; the card's total memory in bytes. */
int kcuda_ordinal(const kcuda *d);
size_t kcuda_total_bytes(const kcuda *d);
/* Loader (kernels/kcuda_loader.c, not in the module): the number of usable devices
 * like kcuda_device_count, and when it is 0 why ("module not found: ...", "no CUDA
 * device ..."); why may be NULL. */
int kcuda_available(char *why, size_t why_len);
/* What the last failed call on d was (bytes asked and free for KS_OOM); "" when none. */
const char *kcuda_last_error(const kcuda *d);

/* ------------------------------------------------------------------ memory */
typedef enum kcuda_dir { KCUDA_H2D = 0, KCUDA_D2H = 1, KCUDA_D2D = 2 } kcuda_dir;
/* KS_OOM when the budget or the device is exhausted. */
kstatus kcuda_alloc(kcuda *d, size_t bytes, void **out);
void kcuda_free(kcuda *d, void *p);
/* D2H waits for the copy (and all queued work); H2D returns once src may be reused;
 * D2D is ordered on the stream and may overlap (memmove). */
kstatus kcuda_copy(kcuda *d, void *dst, const void *src, size_t bytes, kcuda_dir dir);
kstatus kcuda_memset0(kcuda *d, void *p, size_t bytes);
kstatus kcuda_sync(kcuda *d);
size_t kcuda_bytes_in_use(const kcuda *d);
size_t kcuda_peak_bytes(const kcuda *d);
size_t kcuda_budget(const kcuda *d);

/* A weight matrix uploaded once in its stored dtype: dev gets the same shape, dtype, ld
 * and scale with data in device memory. Free with kcuda_mat_free. */
kstatus kcuda_mat_upload(const kctx *ctx, const kmat *host, kmat *dev);
void kcuda_mat_free(const kctx *ctx, kmat *dev);

/* ------------------------------------------------------------------ weight streaming */
/* Pinned (page-locked) host memory: uploads from it run asynchronously at full PCIe
 * speed. Host memory, so not counted in the device budget. KS_OOM when the host refuses. */
kstatus kcuda_pinned_alloc(kcuda *d, size_t bytes, void **out);
void kcuda_pinned_free(kcuda *d, void *p);
/* A copy stream beside d's compute stream with n_slots device slots, each with a
 * "loaded" and a "released" event. Nothing here waits on the host:
 *   kcuda_xfer_load    queues dst <- src (src pinned) on the copy stream after the slot's
 *                      last release, then marks the slot loaded;
 *   kcuda_xfer_acquire makes the compute stream wait until the slot is loaded;
 *   kcuda_xfer_release marks the slot free once the compute work queued so far is done.
 * Destroy waits for both streams. */
typedef struct kcuda_xfer kcuda_xfer;
kstatus kcuda_xfer_create(kcuda *d, int n_slots, kcuda_xfer **out);
void kcuda_xfer_destroy(kcuda_xfer *x);
kstatus kcuda_xfer_load(kcuda_xfer *x, int slot, void *dst, const void *src, size_t bytes);
kstatus kcuda_xfer_acquire(kcuda_xfer *x, int slot);
kstatus kcuda_xfer_release(kcuda_xfer *x, int slot);
/* The device's residency note (what the last model placed here decided: resident or
 * streamed), for run summaries; kcuda_note copies it into buf ("" when none). */
void kcuda_set_note(kcuda *d, const char *note);
void kcuda_note(kcuda *d, char *buf, size_t size);
/* Device scratch (bytes) the ops would ask for: the pre-run memory check plans with them.
 * 0 when the op takes none on this path. kcuda_scratch_rounded is the size the scratch
 * grows to for a request; kcuda_scratch_held what it holds now. */
size_t kcuda_linear_scratch(const kcuda *d, kprec prec, int64_t m, const kmat *w);
size_t kcuda_feedforward_scratch(const kcuda *d, kprec prec, int64_t n, const kmat *w1, const kmat *w2);
size_t kcuda_attention_scratch(const kcuda *d, kprec prec, int64_t nq, int64_t nkv, int heads, int kv_heads,
                               int head_dim);
size_t kcuda_scratch_held(const kcuda *d);
size_t kcuda_scratch_rounded(const kcuda *d, size_t bytes);

/* ------------------------------------------------------------------ GEMM */
kstatus kcuda_linear(const kctx *ctx, int64_t m, const float *x, int64_t ldx, const kmat *w,
                     const float *bias, float *y, int64_t ldy, int accumulate);
/* y (+)= W2·bf16(gelu_tanh(W1·x + b1)) + b2 in fast precision with bf16 weights (GELU on
 * the first GEMM's epilogue, the hidden activations in bf16 scratch); KS_UNSUPPORTED for
 * other precisions or dtypes (k_feedforward then runs linear, GELU, linear). */
kstatus kcuda_feedforward_fused(const kctx *ctx, int64_t n, const float *x, int64_t ldx, const kmat *w1,
                                const float *b1, const kmat *w2, const float *b2, float *y, int64_t ldy,
                                int accumulate);
/* Why fast-precision FP8 GEMMs widen their weights to bf16 instead of running on the FP8
 * tensor cores (the first failure, remembered), or NULL while they run there. */
const char *kcuda_fp8_unavailable(const kcuda *d);
/* With LTX2_CUDA_PROFILE=1 set when d was made: writes the device time per op since the
 * last report (largest first; idle gaps charged to the op before them) into buf and
 * resets it; returns the length. 0 without a profile. */
size_t kcuda_profile_report(kcuda *d, char *buf, size_t len);
kstatus kcuda_sgemm(const kctx *ctx, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                    float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                    float *c, int64_t ldc);

/* ------------------------------------------------------------------ attention */
/* Fast precision: the wgmma kernel (sm_90 cards, head dims 64/128, no causal mask or
 * window), else the mma.sync kernel (head dims 64/128), else the f32 kernel; exact
 * precision: the f32 kernel. */
kstatus kcuda_attention(const kctx *ctx, const kattn *a);
/* Which fast-precision kernel kcuda_attention prefers: AUTO (wgmma where it fits) and
 * WGMMA pick the same; TC never runs wgmma (A/B benching). The device starts with the
 * choice of LTX2_ATTN_KERNEL=auto|tc|wgmma (AUTO when unset or other). */
typedef enum kcuda_attn_kernel { KCUDA_ATTN_AUTO = 0, KCUDA_ATTN_TC = 1, KCUDA_ATTN_WGMMA = 2 } kcuda_attn_kernel;
void kcuda_set_attention_kernel(kcuda *d, kcuda_attn_kernel k);
/* The kernel the last kcuda_attention on d ran: "wgmma", "tc" (mma.sync), "f32", or ""
 * before the first. */
const char *kcuda_attention_kernel_used(const kcuda *d);

/* ------------------------------------------------------------------ convolution */
/* Conv weights on the device (from the host kmat, stored dtype kept). */
typedef struct kcuda_convw kcuda_convw;
kstatus kcuda_convw_create(const kctx *ctx, const kmat *w, int64_t cin, int kt, int kh, int kw,
                           kcuda_convw **out);
kstatus kcuda_convw_create_transposed1d(const kctx *ctx, const kmat *w, int64_t cout, int k,
                                        kcuda_convw **out);
void kcuda_convw_free(const kctx *ctx, kcuda_convw *w);
/* c->weights is ignored; cw is the device weight. */
kstatus kcuda_conv(const kctx *ctx, const kconv *c, const kcuda_convw *cw);
kstatus kcuda_conv_transpose1d(const kctx *ctx, const kconvt1d *c, const kcuda_convw *cw);

/* ------------------------------------------------------------------ norms, RoPE */
kstatus kcuda_rmsnorm(const kctx *ctx, int64_t rows, int64_t dim, const float *x, int64_t ldx,
                      const float *w, float w_offset, float eps, float *y, int64_t ldy);
kstatus kcuda_layernorm(const kctx *ctx, int64_t rows, int64_t dim, const float *x, int64_t ldx,
                        float eps, float *y, int64_t ldy);
kstatus kcuda_groupnorm(const kctx *ctx, int64_t n_pos, int64_t c, int groups, const float *x,
                        const float *gamma, const float *beta, float eps, float *y);
kstatus kcuda_pixelnorm(const kctx *ctx, int64_t n_pos, int64_t c, const float *x, float eps, float *y);
kstatus kcuda_softmax(const kctx *ctx, int64_t rows, int64_t n, float *x, int64_t ld);
kstatus kcuda_rope_table(const kctx *ctx, const krope_table *t, float *cos_t, float *sin_t);
kstatus kcuda_rmsnorm_modulate(const kctx *ctx, int64_t rows, int64_t dim, const float *x, float eps,
                               const float *scale, const float *shift, float *y);
kstatus kcuda_rmsnorm_rope(const kctx *ctx, int64_t rows, int64_t dim, float *x, int64_t ldx, const float *w,
                           float eps, krope_layout layout, int64_t head_dim, const float *cos, const float *sin,
                           int64_t ld_cs);
kstatus kcuda_rope(const kctx *ctx, krope_layout layout, int64_t tokens, int64_t dim, int64_t head_dim,
                   float *x, int64_t ldx, const float *cos, const float *sin, int64_t ld_cs);

/* ------------------------------------------------------------------ elementwise */
typedef enum kcuda_ew {
    KCUDA_GELU_TANH, KCUDA_SILU, KCUDA_TANH, KCUDA_LEAKY_RELU, /* y = f(a) (s = slope) */
    KCUDA_ADD, KCUDA_MUL,                                      /* y = a op b */
    KCUDA_SCALE,                                               /* y = a * s */
    KCUDA_ROUND_BF16,                                          /* y = bf16(a), to nearest even */
} kcuda_ew;
kstatus kcuda_elementwise(const kctx *ctx, kcuda_ew op, const float *a, const float *b, float s, float *y,
                          int64_t n);
kstatus kcuda_fill(const kctx *ctx, float *y, float value, int64_t n);
kstatus kcuda_shift_scale_clamp(const kctx *ctx, const float *x, float shift, float scale, float lo, float hi,
                                float *y, int64_t n);
kstatus kcuda_modulate(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *scale,
                       const float *shift, float *y);
kstatus kcuda_gated_add(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *gate, float *y);
kstatus kcuda_add_row(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *b, float *y);

/* ------------------------------------------------------------------ layout */
kstatus kcuda_depth_to_space3d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int pt, int ph,
                               int pw, const float *x, float *y);
kstatus kcuda_space_to_depth3d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int pt, int ph,
                               int pw, const float *x, float *y);
kstatus kcuda_upsample_nearest3d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int ft, int fh,
                                 int fw, const float *x, float *y);
kstatus kcuda_patchify2d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int p, const float *x,
                         float *y);
kstatus kcuda_unpatchify2d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int p, const float *x,
                           float *y);
kstatus kcuda_transpose_blocks(const kctx *ctx, int64_t rows, int64_t cols, int64_t width, const float *x,
                               float *y);
kstatus kcuda_transpose2d(const kctx *ctx, int64_t rows, int64_t cols, const float *x, float *y);

/* ------------------------------------------------------------------ audio: latent statistics, strided copies, mel front end */
kstatus kcuda_denormalize_rows(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *mean,
                               const float *std, float *y);
kstatus kcuda_normalize_rows(const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *mean,
                             const float *std, float *y);
/* n, xs, ys are host arrays of 3. */
kstatus kcuda_strided_copy3d(const kctx *ctx, const int64_t *n, const float *x, const int64_t *xs, float *y,
                             const int64_t *ys);
kstatus kcuda_stft_frames(const kctx *ctx, int64_t n, const float *x, int n_fft, int hop, int64_t frames, float *y);
kstatus kcuda_complex_magnitude(const kctx *ctx, int64_t rows, int64_t n, const float *x, float *y);
kstatus kcuda_log_clamp(const kctx *ctx, const float *x, float lo, float *y, int64_t n);
kstatus kcuda_resample_sinc(const kctx *ctx, int64_t rows, int64_t n, const float *x, int64_t up, int64_t down,
                            double width, double rolloff, float *y);

/* ------------------------------------------------------------------ sampler steps */
kstatus kcuda_noise_blend(const kctx *ctx, int64_t n, int64_t ch, const float *mask, float scale, const float *noise,
                          float *x);
kstatus kcuda_x0_from_velocity(const kctx *ctx, int64_t n, int64_t ch, const float *x, const float *v, const float *t,
                               float *x0);
kstatus kcuda_euler_step(const kctx *ctx, int64_t n, int64_t ch, const float *mask, const float *clean,
                         const float *x0, float sigma, float sigma_next, float *x);
kstatus kcuda_guidance_combine(const kctx *ctx, int64_t n, float *cond, const float *uncond_text, float k_text,
                               const float *uncond_perturbed, float k_stg, const float *uncond_isolated, float k_mod);
/* out is host memory: the call waits for the result. */
kstatus kcuda_std(const kctx *ctx, const float *x, int64_t n, float *out);


/* ------------------------------------------------------------------ video VAE and upscaler steps */
kstatus kcuda_latent_unnormalize(const kctx *ctx, int64_t C, int64_t n, const float *z, const float *noise, float s,
                                 const float *mean, const float *std, float *x);
kstatus kcuda_latent_normalize(const kctx *ctx, int64_t n, int64_t C, const float *x, int64_t ldx, const float *mean,
                               const float *std, float *z);
kstatus kcuda_add_repeat(const kctx *ctx, int64_t rows, int64_t dim, const float *x, int64_t xdim, float *y);
kstatus kcuda_add_group_mean(const kctx *ctx, int64_t rows, int64_t dim, int64_t g, const float *x, float *y);
/* kern is device memory (k·k floats). */
kstatus kcuda_blur2d(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, const float *kern, int k,
                     int stride, const float *x, float *y);
/* b is a host descriptor. */
kstatus kcuda_crop3d(const kctx *ctx, int64_t n, const kbox3d *b, const float *x, float *y);
kstatus kcuda_blend_box3d(const kctx *ctx, const kbox3d *b, int64_t ch, const float *x, int64_t xh, int64_t xw,
                          const float *mt, const float *mh, const float *mw, float *y);
kstatus kcuda_div_separable(const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t ch, const float *wt,
                            const float *wh, const float *ww, float min_w, float *y);

/* ------------------------------------------------------------------ text encoder steps */
/* table is a host descriptor of device data; ids in device memory. */
kstatus kcuda_embed_rows(const kctx *ctx, const kmat *table, const int32_t *ids, int64_t n, float scale, float *y,
                         int64_t ldy);
/* sum/lo/hi are host memory: the call waits for them. */
kstatus kcuda_sum_min_max(const kctx *ctx, int64_t slabs, int64_t n, const float *x, double *sum, float *lo,
                          float *hi);

#endif /* LTX2_KCUDA_H */
