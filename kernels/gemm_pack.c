/* gemm_pack.c — packing of A blocks and B panels into the micro-kernel layouts
 * (gemm_internal.h), and k_pack / k_packed_free (weights re-laid once, in bf16 or f32,
 * never widened beyond their stored precision). */
#include "gemm_internal.h"
#include "kbackend.h"

#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

/* Packed weights are large and read panel by panel at big strides: 2 MB pages (where
 * the OS offers them) remove most TLB misses of the micro-kernel's B stream. */
static void *alloc_large(size_t bytes) {
#if defined(__linux__)
    const size_t huge = (size_t)2 << 20;
    if (bytes >= huge) {
        void *p = NULL;
        if (posix_memalign(&p, huge, (bytes + huge - 1) & ~(huge - 1)) != 0) return NULL;
        madvise(p, (bytes + huge - 1) & ~(huge - 1), MADV_HUGEPAGE);
        return p;
    }
#endif
    return malloc(bytes);
}

static float rb16(float v) { return k_bf16_to_f32(k_f32_to_bf16(v)); }

static float raw_elem(kdtype dt, const void *d, int64_t idx) {
    switch (dt) {
    case KD_F32: return ((const float *)d)[idx];
    case KD_F16: return k_f16_to_f32(((const uint16_t *)d)[idx]);
    case KD_BF16: return k_bf16_to_f32(((const uint16_t *)d)[idx]);
    case KD_F8_E4M3: return k_e4m3_to_f32(((const uint8_t *)d)[idx]);
    case KD_F8_E5M2: return k_e5m2_to_f32(((const uint8_t *)d)[idx]);
    }
    return 0.0f;
}

/* offset (elements) of B(k=t, column c of the panel) inside a [kp][32] panel */
static int64_t fmt_offset(kfmt f, int64_t t, int c) {
    switch (f) {
    case KF_F32: return t * GEMM_NR + c;
    case KF_BF16W: return t * GEMM_NR + (c < 16 ? 2 * c : 2 * (c - 16) + 1);
    case KF_DP: return ((t >> 1) * GEMM_NR + c) * 2 + (t & 1);
    }
    return 0;
}

static float packed_elem(const kpacked *p, int64_t j, int64_t t) {
    const char *panel = (const char *)p->data + (size_t)((j / GEMM_NR) * p->kp * GEMM_NR) * kfmt_size(p->fmt);
    int64_t o = fmt_offset(p->fmt, t, (int)(j % GEMM_NR));
    if (p->fmt == KF_F32) return ((const float *)panel)[o];
    return k_bf16_to_f32(((const uint16_t *)panel)[o]);
}

static void store(kfmt f, void *dst, int64_t o, float v) {
    if (f == KF_F32) ((float *)dst)[o] = v;
    else ((uint16_t *)dst)[o] = k_f32_to_bf16(v);
}

/* e4m3 → f32 bit pattern with integer operations only (the per-call packer of FP8
 * weights runs this for every weight, so no ldexpf). */
static inline float e4m3_fast(uint8_t v) {
    uint32_t sign = (uint32_t)(v & 0x80) << 24, e = (v >> 3) & 0xf, m = v & 7, bits;
    if (e == 0xf && m == 7) bits = 0x7fc00000u;
    else if (e) bits = ((e + 120) << 23) | (m << 20);
    else if (m == 0) bits = 0;
    else {
        uint32_t b = m >= 4 ? 2 : (m >= 2 ? 1 : 0); /* leading bit of the subnormal */
        bits = ((b + 118) << 23) | ((m - (1u << b)) << (23 - b));
    }
    bits |= sign;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* Direct copies for the common sources (no per-element dtype switch): f32 or bf16
 * weights, unscaled. Returns 0 when the generic path must handle the case. */
static int pack_b_direct(const gemm_bsrc *src, int64_t n, int64_t k, int64_t j0, int64_t k0, int64_t kc,
                         kfmt fmt, float scale, int round_bf16, void *dst) {
    if (src->packed || scale != 1.0f) return 0;
    int64_t kv = k - k0 < kc ? k - k0 : kc; /* rows of k that exist */
    if (kv < 0) kv = 0;
    int64_t kc_pad = fmt == KF_DP ? (kc + 1) & ~(int64_t)1 : kc;
    int cols = n - j0 < GEMM_NR ? (int)(n - j0) : GEMM_NR;
    if (src->dtype == KD_BF16 && src->trans && fmt != KF_F32) {
        const uint16_t *w = (const uint16_t *)src->data + j0 * src->ld + k0;
        uint16_t *d = dst;
        if (kc_pad != kv || cols < GEMM_NR) memset(d, 0, sizeof(uint16_t) * (size_t)(kc_pad * GEMM_NR));
        if (fmt == KF_BF16W) {
            for (int c = 0; c < cols; c++) {
                const uint16_t *row = w + c * src->ld;
                int lane = c < 16 ? 2 * c : 2 * (c - 16) + 1;
                for (int64_t t = 0; t < kv; t++) d[t * GEMM_NR + lane] = row[t];
            }
        } else { /* KF_DP: a k pair of one row is one 32-bit word */
            for (int c = 0; c < cols; c++) {
                const uint16_t *row = w + c * src->ld;
                for (int64_t t = 0; t < kv; t++) d[((t >> 1) * GEMM_NR + c) * 2 + (t & 1)] = row[t];
            }
        }
        return 1;
    }
    if (src->dtype == KD_F8_E4M3 && src->trans && fmt == KF_BF16W) { /* k_pack of FP8: exact in bf16 */
        uint16_t *d = dst;
        if (kc_pad != kv || cols < GEMM_NR) memset(d, 0, sizeof(uint16_t) * (size_t)(kc_pad * GEMM_NR));
        for (int c = 0; c < cols; c++) {
            const uint8_t *row = (const uint8_t *)src->data + (j0 + c) * src->ld + k0;
            int lane = c < 16 ? 2 * c : 2 * (c - 16) + 1;
            for (int64_t t = 0; t < kv; t++) {
                float f = e4m3_fast(row[t]);
                uint32_t u;
                memcpy(&u, &f, 4);
                d[t * GEMM_NR + lane] = (uint16_t)(u >> 16);
            }
        }
        return 1;
    }
    if (fmt != KF_F32) return 0;
    float *d = dst;
    if (kc != kv || cols < GEMM_NR) memset(d, 0, sizeof(float) * (size_t)(kc * GEMM_NR));
    if (src->dtype == KD_F32 && !src->trans) {
        const float *b = (const float *)src->data + k0 * src->ld + j0;
        for (int64_t t = 0; t < kv; t++) memcpy(d + t * GEMM_NR, b + t * src->ld, sizeof(float) * (size_t)cols);
    } else if (src->dtype == KD_F32) {
        for (int c = 0; c < cols; c++) {
            const float *row = (const float *)src->data + (j0 + c) * src->ld + k0;
            for (int64_t t = 0; t < kv; t++) d[t * GEMM_NR + c] = row[t];
        }
    } else if (src->dtype == KD_BF16 && src->trans) {
        for (int c = 0; c < cols; c++) {
            const uint16_t *row = (const uint16_t *)src->data + (j0 + c) * src->ld + k0;
            for (int64_t t = 0; t < kv; t++) d[t * GEMM_NR + c] = k_bf16_to_f32(row[t]);
        }
        return 1; /* bf16 values need no rounding */
    } else if (src->dtype == KD_F8_E4M3 && src->trans) {
        for (int c = 0; c < cols; c++) {
            const uint8_t *row = (const uint8_t *)src->data + (j0 + c) * src->ld + k0;
            for (int64_t t = 0; t < kv; t++) d[t * GEMM_NR + c] = e4m3_fast(row[t]);
        }
        return 1; /* e4m3 values are exact in bf16 */
    } else {
        return 0;
    }
    if (round_bf16)
        for (int64_t i = 0; i < kc * GEMM_NR; i++) d[i] = rb16(d[i]);
    return 1;
}

void gemm_pack_b_panel(const gemm_bsrc *src, int64_t n, int64_t k, int64_t j0, int64_t k0, int64_t kc,
                       kfmt fmt, float scale, int round_bf16, void *dst) {
    if (pack_b_direct(src, n, k, j0, k0, kc, fmt, scale, round_bf16, dst)) return;
    int64_t kc_pad = fmt == KF_DP ? (kc + 1) & ~(int64_t)1 : kc;
    size_t es = k_dtype_size(src->dtype);
    for (int c = 0; c < GEMM_NR; c++) {
        int64_t j = j0 + c;
        for (int64_t t = 0; t < kc_pad; t++) {
            int64_t kk = k0 + t;
            float v = 0.0f;
            if (j < n && t < kc && kk < k) {
                if (src->packed) v = packed_elem(src->packed, j, kk);
                else if (src->trans) v = raw_elem(src->dtype, (const char *)src->data + (size_t)(j * src->ld) * es, kk);
                else v = raw_elem(src->dtype, (const char *)src->data + (size_t)(kk * src->ld) * es, j);
                v *= scale;
                if (round_bf16) v = rb16(v);
            }
            store(fmt, dst, fmt_offset(fmt, t, c), v);
        }
    }
}

void gemm_pack_b_any(const gemm_arch *arch, const gemm_bsrc *src, int64_t n, int64_t k, int64_t j0, int64_t k0,
                     int64_t kc, kfmt fmt, float scale, int round_bf16, void *dst) {
    if (arch->pack_b && !src->packed && arch->pack_b(src, n, k, j0, k0, kc, fmt, scale, round_bf16, dst)) return;
    gemm_pack_b_panel(src, n, k, j0, k0, kc, fmt, scale, round_bf16, dst);
}

void gemm_pack_a(const float *a, int64_t lda, int trans, int64_t m, int64_t k, int64_t i0, int64_t k0,
                 int64_t kc, int mr, kfmt fmt, float mult, int round_bf16, void *dst) {
    (void)k;
    if (fmt == KF_DP) {
        uint16_t *d = dst;
        int64_t kc_pad = (kc + 1) & ~(int64_t)1;
        for (int i = 0; i < mr; i++) {
            int64_t row = i0 + i;
            for (int64_t t = 0; t < kc_pad; t++) {
                float v = 0.0f;
                if (row < m && t < kc) v = (trans ? a[(k0 + t) * lda + row] : a[row * lda + k0 + t]) * mult;
                d[((t >> 1) * mr + i) * 2 + (t & 1)] = k_f32_to_bf16(v);
            }
        }
        return;
    }
    float *d = dst;
    for (int i = 0; i < mr; i++) {
        int64_t row = i0 + i;
        if (row >= m) {
            for (int64_t t = 0; t < kc; t++) d[t * mr + i] = 0.0f;
            continue;
        }
        if (trans) {
            for (int64_t t = 0; t < kc; t++) d[t * mr + i] = a[(k0 + t) * lda + row] * mult;
        } else {
            const float *src = a + row * lda + k0;
            for (int64_t t = 0; t < kc; t++) d[t * mr + i] = src[t] * mult;
        }
        if (round_bf16)
            for (int64_t t = 0; t < kc; t++) d[t * mr + i] = rb16(d[t * mr + i]);
    }
}

kstatus k_pack(const kctx *ctx, const kmat *w, kpacked **out) {
    *out = NULL;
    if (ctx->backend == KB_CUDA) return KS_OK; /* the device GEMM reads the stored weights */
    K_DISPATCH(ctx, KS_UNSUPPORTED);
    if (!w || w->rows < 0 || w->cols < 0 || w->ld < w->cols || (w->rows && w->cols && !w->data)) return KS_BAD_ARG;
    kpacked *p = calloc(1, sizeof *p);
    if (!p) return KS_OOM;
    int fast = ctx->prec == KP_FAST;
    p->n = w->rows;
    p->k = w->cols;
    p->kp = (w->cols + 1) & ~(int64_t)1;
    p->src_dtype = w->dtype;
    p->fast = fast;
    if (fast) {
        /* values bf16(w*scale): exactly what the fast kernels multiply */
        p->fmt = ctx->isa >= KISA_AVX512BF16 ? KF_DP : KF_BF16W;
    } else if (w->dtype == KD_F32) {
        p->fmt = KF_F32;
    } else if (w->dtype == KD_F16) {
        *out = p; /* f16 is not exact in bf16 and f32 would double it: packed on the fly */
        return KS_OK;
    } else {
        p->fmt = KF_BF16W; /* bf16 and both FP8 formats are exact in bf16 */
    }
    int64_t panels = (p->n + GEMM_NR - 1) / GEMM_NR;
    size_t panel_bytes = (size_t)(p->kp * GEMM_NR) * kfmt_size(p->fmt);
    p->data = alloc_large(panel_bytes * (size_t)(panels > 0 ? panels : 1));
    if (!p->data) {
        free(p);
        return KS_OOM;
    }
    gemm_bsrc src = {NULL, w->dtype, w->data, w->ld, 1};
    float scale = fast ? w->scale : 1.0f;
    const gemm_arch *arch = gemm_arch_for(ctx->isa > k_isa_best() ? k_isa_best() : ctx->isa);
    for (int64_t jp = 0; jp < panels; jp++)
        gemm_pack_b_any(arch, &src, p->n, p->k, jp * GEMM_NR, 0, p->kp, p->fmt, scale, fast,
                          (char *)p->data + panel_bytes * (size_t)jp);
    *out = p;
    return KS_OK;
}

void k_packed_free(kpacked *p) {
    if (!p) return;
    free(p->data);
    free(p);
}
