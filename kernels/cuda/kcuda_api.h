/*
 * kcuda_api.h — the one list of the CUDA backend's functions (kcuda.h) that cross the
 * module boundary. kernels/kcuda_loader.c expands it into the function table, the dlsym
 * loop and the forwarders; a function added to kcuda.h is added here once.
 *   X(return type, name, (parameters), (arguments))   functions with a result
 *   V(name, (parameters), (arguments))                functions returning void
 * KCUDA_API_ENTRY: what may be called before any device exists (hand-written forwarders
 * that load the module); KCUDA_API: the rest, reachable only through a kcuda.
 */
#ifndef LTX2_KCUDA_API_H
#define LTX2_KCUDA_API_H

#include "kcuda.h"

#define KCUDA_API_ENTRY(X, V) \
    X(int, kcuda_device_count, (void), ()) \
    X(kstatus, kcuda_create, (int ordinal, size_t budget_bytes, kcuda **out, char *why, size_t why_len), (ordinal, budget_bytes, out, why, why_len))

#define KCUDA_API(X, V) \
    V(kcuda_destroy, (kcuda *d), (d)) \
    X(const char *, kcuda_name, (const kcuda *d), (d)) \
    X(int, kcuda_ordinal, (const kcuda *d), (d)) \
    X(size_t, kcuda_total_bytes, (const kcuda *d), (d)) \
    X(const char *, kcuda_last_error, (const kcuda *d), (d)) \
    X(kstatus, kcuda_alloc, (kcuda *d, size_t bytes, void **out), (d, bytes, out)) \
    V(kcuda_free, (kcuda *d, void *p), (d, p)) \
    X(kstatus, kcuda_copy, (kcuda *d, void *dst, const void *src, size_t bytes, kcuda_dir dir), (d, dst, src, bytes, dir)) \
    X(kstatus, kcuda_memset0, (kcuda *d, void *p, size_t bytes), (d, p, bytes)) \
    X(kstatus, kcuda_sync, (kcuda *d), (d)) \
    X(size_t, kcuda_bytes_in_use, (const kcuda *d), (d)) \
    X(size_t, kcuda_peak_bytes, (const kcuda *d), (d)) \
    X(size_t, kcuda_budget, (const kcuda *d), (d)) \
    X(kstatus, kcuda_mat_upload, (const kctx *ctx, const kmat *host, kmat *dev), (ctx, host, dev)) \
    V(kcuda_mat_free, (const kctx *ctx, kmat *dev), (ctx, dev)) \
    X(kstatus, kcuda_pinned_alloc, (kcuda *d, size_t bytes, void **out), (d, bytes, out)) \
    V(kcuda_pinned_free, (kcuda *d, void *p), (d, p)) \
    X(kstatus, kcuda_xfer_create, (kcuda *d, int n_slots, kcuda_xfer **out), (d, n_slots, out)) \
    V(kcuda_xfer_destroy, (kcuda_xfer *x), (x)) \
    X(kstatus, kcuda_xfer_load, (kcuda_xfer *x, int slot, void *dst, const void *src, size_t bytes), (x, slot, dst, src, bytes)) \
    X(kstatus, kcuda_xfer_acquire, (kcuda_xfer *x, int slot), (x, slot)) \
    X(kstatus, kcuda_xfer_release, (kcuda_xfer *x, int slot), (x, slot)) \
    V(kcuda_set_note, (kcuda *d, const char *note), (d, note)) \
    V(kcuda_note, (kcuda *d, char *buf, size_t size), (d, buf, size)) \
    X(size_t, kcuda_linear_scratch, (const kcuda *d, kprec prec, int64_t m, const kmat *w), (d, prec, m, w)) \
    X(size_t, kcuda_feedforward_scratch, (const kcuda *d, kprec prec, int64_t n, const kmat *w1, const kmat *w2), (d, prec, n, w1, w2)) \
    X(size_t, kcuda_attention_scratch, (const kcuda *d, kprec prec, int64_t nq, int64_t nkv, int heads, int kv_heads, int head_dim), (d, prec, nq, nkv, heads, kv_heads, head_dim)) \
    X(size_t, kcuda_scratch_held, (const kcuda *d), (d)) \
    X(size_t, kcuda_scratch_rounded, (const kcuda *d, size_t bytes), (d, bytes)) \
    X(kstatus, kcuda_linear, (const kctx *ctx, int64_t m, const float *x, int64_t ldx, const kmat *w, const float *bias, float *y, int64_t ldy, int accumulate), (ctx, m, x, ldx, w, bias, y, ldy, accumulate)) \
    X(kstatus, kcuda_feedforward_fused, (const kctx *ctx, int64_t n, const float *x, int64_t ldx, const kmat *w1, const float *b1, const kmat *w2, const float *b2, float *y, int64_t ldy, int accumulate), (ctx, n, x, ldx, w1, b1, w2, b2, y, ldy, accumulate)) \
    X(const char *, kcuda_fp8_unavailable, (const kcuda *d), (d)) \
    X(size_t, kcuda_profile_report, (kcuda *d, char *buf, size_t len), (d, buf, len)) \
    X(kstatus, kcuda_sgemm, (const kctx *ctx, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc), (ctx, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)) \
    X(kstatus, kcuda_attention, (const kctx *ctx, const kattn *a), (ctx, a)) \
    V(kcuda_set_attention_kernel, (kcuda *d, kcuda_attn_kernel k), (d, k)) \
    X(const char *, kcuda_attention_kernel_used, (const kcuda *d), (d)) \
    X(kstatus, kcuda_convw_create, (const kctx *ctx, const kmat *w, int64_t cin, int kt, int kh, int kw, kcuda_convw **out), (ctx, w, cin, kt, kh, kw, out)) \
    X(kstatus, kcuda_convw_create_transposed1d, (const kctx *ctx, const kmat *w, int64_t cout, int k, kcuda_convw **out), (ctx, w, cout, k, out)) \
    V(kcuda_convw_free, (const kctx *ctx, kcuda_convw *w), (ctx, w)) \
    X(kstatus, kcuda_conv, (const kctx *ctx, const kconv *c, const kcuda_convw *cw), (ctx, c, cw)) \
    X(kstatus, kcuda_conv_transpose1d, (const kctx *ctx, const kconvt1d *c, const kcuda_convw *cw), (ctx, c, cw)) \
    X(kstatus, kcuda_rmsnorm, (const kctx *ctx, int64_t rows, int64_t dim, const float *x, int64_t ldx, const float *w, float w_offset, float eps, float *y, int64_t ldy), (ctx, rows, dim, x, ldx, w, w_offset, eps, y, ldy)) \
    X(kstatus, kcuda_layernorm, (const kctx *ctx, int64_t rows, int64_t dim, const float *x, int64_t ldx, float eps, float *y, int64_t ldy), (ctx, rows, dim, x, ldx, eps, y, ldy)) \
    X(kstatus, kcuda_groupnorm, (const kctx *ctx, int64_t n_pos, int64_t c, int groups, const float *x, const float *gamma, const float *beta, float eps, float *y), (ctx, n_pos, c, groups, x, gamma, beta, eps, y)) \
    X(kstatus, kcuda_pixelnorm, (const kctx *ctx, int64_t n_pos, int64_t c, const float *x, float eps, float *y), (ctx, n_pos, c, x, eps, y)) \
    X(kstatus, kcuda_softmax, (const kctx *ctx, int64_t rows, int64_t n, float *x, int64_t ld), (ctx, rows, n, x, ld)) \
    X(kstatus, kcuda_rope_table, (const kctx *ctx, const krope_table *t, float *cos_t, float *sin_t), (ctx, t, cos_t, sin_t)) \
    X(kstatus, kcuda_rmsnorm_modulate, (const kctx *ctx, int64_t rows, int64_t dim, const float *x, float eps, const float *scale, const float *shift, float *y), (ctx, rows, dim, x, eps, scale, shift, y)) \
    X(kstatus, kcuda_rmsnorm_rope, (const kctx *ctx, int64_t rows, int64_t dim, float *x, int64_t ldx, const float *w, float eps, krope_layout layout, int64_t head_dim, const float *cos, const float *sin, int64_t ld_cs), (ctx, rows, dim, x, ldx, w, eps, layout, head_dim, cos, sin, ld_cs)) \
    X(kstatus, kcuda_rope, (const kctx *ctx, krope_layout layout, int64_t tokens, int64_t dim, int64_t head_dim, float *x, int64_t ldx, const float *cos, const float *sin, int64_t ld_cs), (ctx, layout, tokens, dim, head_dim, x, ldx, cos, sin, ld_cs)) \
    X(kstatus, kcuda_elementwise, (const kctx *ctx, kcuda_ew op, const float *a, const float *b, float s, float *y, int64_t n), (ctx, op, a, b, s, y, n)) \
    X(kstatus, kcuda_fill, (const kctx *ctx, float *y, float value, int64_t n), (ctx, y, value, n)) \
    X(kstatus, kcuda_shift_scale_clamp, (const kctx *ctx, const float *x, float shift, float scale, float lo, float hi, float *y, int64_t n), (ctx, x, shift, scale, lo, hi, y, n)) \
    X(kstatus, kcuda_modulate, (const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *scale, const float *shift, float *y), (ctx, rows, dim, x, scale, shift, y)) \
    X(kstatus, kcuda_gated_add, (const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *gate, float *y), (ctx, rows, dim, x, gate, y)) \
    X(kstatus, kcuda_add_row, (const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *b, float *y), (ctx, rows, dim, x, b, y)) \
    X(kstatus, kcuda_depth_to_space3d, (const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int pt, int ph, int pw, const float *x, float *y), (ctx, t, h, w, c, pt, ph, pw, x, y)) \
    X(kstatus, kcuda_space_to_depth3d, (const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int pt, int ph, int pw, const float *x, float *y), (ctx, t, h, w, c, pt, ph, pw, x, y)) \
    X(kstatus, kcuda_upsample_nearest3d, (const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int ft, int fh, int fw, const float *x, float *y), (ctx, t, h, w, c, ft, fh, fw, x, y)) \
    X(kstatus, kcuda_patchify2d, (const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int p, const float *x, float *y), (ctx, t, h, w, c, p, x, y)) \
    X(kstatus, kcuda_unpatchify2d, (const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, int p, const float *x, float *y), (ctx, t, h, w, c, p, x, y)) \
    X(kstatus, kcuda_transpose_blocks, (const kctx *ctx, int64_t rows, int64_t cols, int64_t width, const float *x, float *y), (ctx, rows, cols, width, x, y)) \
    X(kstatus, kcuda_transpose2d, (const kctx *ctx, int64_t rows, int64_t cols, const float *x, float *y), (ctx, rows, cols, x, y)) \
    X(kstatus, kcuda_denormalize_rows, (const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *mean, const float *std, float *y), (ctx, rows, dim, x, mean, std, y)) \
    X(kstatus, kcuda_normalize_rows, (const kctx *ctx, int64_t rows, int64_t dim, const float *x, const float *mean, const float *std, float *y), (ctx, rows, dim, x, mean, std, y)) \
    X(kstatus, kcuda_strided_copy3d, (const kctx *ctx, const int64_t *n, const float *x, const int64_t *xs, float *y, const int64_t *ys), (ctx, n, x, xs, y, ys)) \
    X(kstatus, kcuda_stft_frames, (const kctx *ctx, int64_t n, const float *x, int n_fft, int hop, int64_t frames, float *y), (ctx, n, x, n_fft, hop, frames, y)) \
    X(kstatus, kcuda_complex_magnitude, (const kctx *ctx, int64_t rows, int64_t n, const float *x, float *y), (ctx, rows, n, x, y)) \
    X(kstatus, kcuda_log_clamp, (const kctx *ctx, const float *x, float lo, float *y, int64_t n), (ctx, x, lo, y, n)) \
    X(kstatus, kcuda_resample_sinc, (const kctx *ctx, int64_t rows, int64_t n, const float *x, int64_t up, int64_t down, double width, double rolloff, float *y), (ctx, rows, n, x, up, down, width, rolloff, y)) \
    X(kstatus, kcuda_noise_blend, (const kctx *ctx, int64_t n, int64_t ch, const float *mask, float scale, const float *noise, float *x), (ctx, n, ch, mask, scale, noise, x)) \
    X(kstatus, kcuda_x0_from_velocity, (const kctx *ctx, int64_t n, int64_t ch, const float *x, const float *v, const float *t, float *x0), (ctx, n, ch, x, v, t, x0)) \
    X(kstatus, kcuda_euler_step, (const kctx *ctx, int64_t n, int64_t ch, const float *mask, const float *clean, const float *x0, float sigma, float sigma_next, float *x), (ctx, n, ch, mask, clean, x0, sigma, sigma_next, x)) \
    X(kstatus, kcuda_guidance_combine, (const kctx *ctx, int64_t n, float *cond, const float *uncond_text, float k_text, const float *uncond_perturbed, float k_stg, const float *uncond_isolated, float k_mod), (ctx, n, cond, uncond_text, k_text, uncond_perturbed, k_stg, uncond_isolated, k_mod)) \
    X(kstatus, kcuda_std, (const kctx *ctx, const float *x, int64_t n, float *out), (ctx, x, n, out)) \
    X(kstatus, kcuda_latent_unnormalize, (const kctx *ctx, int64_t C, int64_t n, const float *z, const float *noise, float s, const float *mean, const float *std, float *x), (ctx, C, n, z, noise, s, mean, std, x)) \
    X(kstatus, kcuda_latent_normalize, (const kctx *ctx, int64_t n, int64_t C, const float *x, int64_t ldx, const float *mean, const float *std, float *z), (ctx, n, C, x, ldx, mean, std, z)) \
    X(kstatus, kcuda_add_repeat, (const kctx *ctx, int64_t rows, int64_t dim, const float *x, int64_t xdim, float *y), (ctx, rows, dim, x, xdim, y)) \
    X(kstatus, kcuda_add_group_mean, (const kctx *ctx, int64_t rows, int64_t dim, int64_t g, const float *x, float *y), (ctx, rows, dim, g, x, y)) \
    X(kstatus, kcuda_blur2d, (const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t c, const float *kern, int k, int stride, const float *x, float *y), (ctx, t, h, w, c, kern, k, stride, x, y)) \
    X(kstatus, kcuda_crop3d, (const kctx *ctx, int64_t n, const kbox3d *b, const float *x, float *y), (ctx, n, b, x, y)) \
    X(kstatus, kcuda_blend_box3d, (const kctx *ctx, const kbox3d *b, int64_t ch, const float *x, int64_t xh, int64_t xw, const float *mt, const float *mh, const float *mw, float *y), (ctx, b, ch, x, xh, xw, mt, mh, mw, y)) \
    X(kstatus, kcuda_div_separable, (const kctx *ctx, int64_t t, int64_t h, int64_t w, int64_t ch, const float *wt, const float *wh, const float *ww, float min_w, float *y), (ctx, t, h, w, ch, wt, wh, ww, min_w, y)) \
    X(kstatus, kcuda_embed_rows, (const kctx *ctx, const kmat *table, const int32_t *ids, int64_t n, float scale, float *y, int64_t ldy), (ctx, table, ids, n, scale, y, ldy)) \
    X(kstatus, kcuda_sum_min_max, (const kctx *ctx, int64_t slabs, int64_t n, const float *x, double *sum, float *lo, float *hi), (ctx, slabs, n, x, sum, lo, hi))

#endif
