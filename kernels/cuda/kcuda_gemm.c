/*
 * kcuda_gemm.c — GEMMs through cuBLASLt. Exact: f32 operands, CUBLAS_COMPUTE_32F (no
 * TF32). Fast: activations rounded to bf16 in the scratch, bf16 weights as stored
 * (other dtypes widened per call to bf16(w·scale), as the CPU's fast pack does), f32
 * accumulation and f32 output. Bias and accumulate ride on the epilogue and beta.
 * Row-major y = x·Wᵀ is the column-major product yᵀ = W·xᵀ with W transposed.
 */
#include "kcuda_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LT_WORKSPACE ((size_t)32 << 20)
#define SCRATCH_ALIGN 256

typedef struct lt_operand {
    const void *p;
    cudaDataType_t type;
    int trans;
    int64_t ld;
    const float *dev_scale; /* FP8: the operand's scale in device memory, or NULL */
} lt_operand;

/* The result: column-major C of the given type, an f32 bias per row of C, and GELU
 * (tanh form) applied after the bias. */
typedef struct lt_result {
    void *p;
    cudaDataType_t type;
    int64_t ld;
    const float *bias;
    int gelu;
} lt_result;

/* A GEMM's cuBLASLt descriptors and chosen algorithm, made once per shape: describing
 * and asking the heuristic costs tens of microseconds of host time per call, more than
 * the device time of the audio stream's small GEMMs. Pointers (bias, scales) are set on
 * the cached descriptor per call. */
typedef struct lt_key {
    int64_t m, n, k, lda, ldb, ldc;
    int ta, tb, at, bt, ct, epi, scale_a, scale_b;
} lt_key;

typedef struct lt_plan {
    lt_key key;
    cublasLtMatmulDesc_t op;
    cublasLtMatrixLayout_t la, lb, lc;
    cublasLtMatmulAlgo_t algo;
} lt_plan;

#define LT_PLANS 256

struct kcuda_plans {
    lt_plan p[LT_PLANS];
    int n, next; /* filled slots; the next one to reuse once full */
};

static void plan_clear(lt_plan *p)
{
    if (p->lc) cublasLtMatrixLayoutDestroy(p->lc);
    if (p->lb) cublasLtMatrixLayoutDestroy(p->lb);
    if (p->la) cublasLtMatrixLayoutDestroy(p->la);
    if (p->op) cublasLtMatmulDescDestroy(p->op);
    memset(p, 0, sizeof *p);
}

void kcuda_plans_destroy(kcuda_plans *ps)
{
    if (!ps) return;
    for (int i = 0; i < ps->n; i++) plan_clear(&ps->p[i]);
    free(ps);
}

static cublasLtEpilogue_t epilogue_of(int epi)
{
    return epi == 3 ? CUBLASLT_EPILOGUE_GELU_BIAS : epi == 2 ? CUBLASLT_EPILOGUE_GELU
                                                              : epi == 1 ? CUBLASLT_EPILOGUE_BIAS
                                                                         : CUBLASLT_EPILOGUE_DEFAULT;
}

/* A call's bias, A-scale and B-scale pointers (NULL: not used) onto the descriptor. */
static void set_pointers(cublasLtMatmulDesc_t op, const void *const ptrs[3])
{
    static const cublasLtMatmulDescAttributes_t attr[3] = {CUBLASLT_MATMUL_DESC_BIAS_POINTER,
                                                           CUBLASLT_MATMUL_DESC_A_SCALE_POINTER,
                                                           CUBLASLT_MATMUL_DESC_B_SCALE_POINTER};
    for (int i = 0; i < 3; i++)
        if (ptrs[i]) cublasLtMatmulDescSetAttribute(op, attr[i], &ptrs[i], sizeof ptrs[i]);
}

/* Describes key into p and asks the heuristic; KS_UNSUPPORTED when no algorithm fits. */
static kstatus plan_make(kcuda *d, const lt_key *k, const void *const ptrs[3], lt_plan *p, const char **step)
{
    memset(p, 0, sizeof *p);
    memcpy(&p->key, k, sizeof *k); /* padding included: keys compare with memcmp */
    cublasOperation_t ta = k->ta ? CUBLAS_OP_T : CUBLAS_OP_N, tb = k->tb ? CUBLAS_OP_T : CUBLAS_OP_N;
    size_t ws_bytes = LT_WORKSPACE;
    cublasLtMatmulPreference_t pref = NULL;
    *step = "cuBLASLt descriptors";
    if (cublasLtMatmulDescCreate(&p->op, CUBLAS_COMPUTE_32F, CUDA_R_32F) != CUBLAS_STATUS_SUCCESS) return KS_DEVICE;
    cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta);
    cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb);
    if (k->epi) {
        cublasLtEpilogue_t epi = epilogue_of(k->epi);
        cudaDataType_t bt = CUDA_R_32F;
        cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof epi);
        if (k->epi != 2) cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bt, sizeof bt);
    }
    /* the first call's pointers for the heuristic; later calls set their own */
    set_pointers(p->op, ptrs);
    if (cublasLtMatrixLayoutCreate(&p->la, (cudaDataType_t)k->at, k->ta ? k->k : k->m, k->ta ? k->m : k->k, k->lda) !=
            CUBLAS_STATUS_SUCCESS ||
        cublasLtMatrixLayoutCreate(&p->lb, (cudaDataType_t)k->bt, k->tb ? k->n : k->k, k->tb ? k->k : k->n, k->ldb) !=
            CUBLAS_STATUS_SUCCESS ||
        cublasLtMatrixLayoutCreate(&p->lc, (cudaDataType_t)k->ct, k->m, k->n, k->ldc) != CUBLAS_STATUS_SUCCESS ||
        cublasLtMatmulPreferenceCreate(&pref) != CUBLAS_STATUS_SUCCESS)
        return KS_DEVICE;
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws_bytes, sizeof ws_bytes);
    cublasLtMatmulHeuristicResult_t heur;
    int found = 0;
    *step = "cuBLASLt heuristic (no algorithm for these shapes/strides)";
    cublasStatus_t hs = cublasLtMatmulAlgoGetHeuristic(d->lt, p->op, p->la, p->lb, p->lc, p->lc, pref, 1, &heur, &found);
    cublasLtMatmulPreferenceDestroy(pref);
    if (hs != CUBLAS_STATUS_SUCCESS || found < 1) return KS_UNSUPPORTED;
    p->algo = heur.algo;
    return KS_OK;
}

/* The cached plan for key, made on a miss; NULL with *s set when it cannot be made. */
static lt_plan *plan_get(kcuda *d, const lt_key *k, const void *const ptrs[3], kstatus *s, const char **step)
{
    kcuda_plans *ps = d->plans;
    if (!ps && !(ps = d->plans = calloc(1, sizeof *ps))) {
        *s = KS_OOM;
        *step = "GEMM plan cache (host memory)";
        return NULL;
    }
    for (int i = 0; i < ps->n; i++)
        if (!memcmp(&ps->p[i].key, k, sizeof *k)) return &ps->p[i];
    lt_plan *p = ps->n < LT_PLANS ? &ps->p[ps->n++] : &ps->p[ps->next++ % LT_PLANS];
    plan_clear(p);
    if ((*s = plan_make(d, k, ptrs, p, step)) != KS_OK) {
        plan_clear(p);
        return NULL; /* the slot stays empty (an all-zero key matches no real GEMM) */
    }
    return p;
}

/* Column-major C[m][n] = epilogue(alpha·op(A)·op(B) + beta·C). */
static kstatus lt_matmul(kcuda *d, int64_t m, int64_t n, int64_t k, float alpha, lt_operand a, lt_operand b,
                         float beta, lt_result c, void *ws)
{
    lt_key key;
    memset(&key, 0, sizeof key); /* padding too: keys compare with memcmp */
    key.m = m, key.n = n, key.k = k, key.lda = a.ld, key.ldb = b.ld, key.ldc = c.ld;
    key.ta = a.trans, key.tb = b.trans, key.at = a.type, key.bt = b.type, key.ct = c.type;
    key.epi = (c.bias ? 1 : 0) | (c.gelu ? 2 : 0);
    key.scale_a = a.dev_scale != NULL, key.scale_b = b.dev_scale != NULL;
    kstatus s = KS_OK;
    const char *step = "";
    cublasStatus_t cs = CUBLAS_STATUS_SUCCESS;
    const void *const ptrs[3] = {c.bias, a.dev_scale, b.dev_scale};
    lt_plan *p = plan_get(d, &key, ptrs, &s, &step);
    if (p) {
        set_pointers(p->op, ptrs);
        step = "cublasLtMatmul";
        /* the op's own time so far was operand conversion */
        kcuda_prof_mark(d, a.type == CUDA_R_32F ? "cublasLtMatmul f32"
                           : a.type == CUDA_R_16BF ? "cublasLtMatmul bf16"
                                                   : "cublasLtMatmul fp8");
        cs = cublasLtMatmul(d->lt, p->op, &alpha, a.p, p->la, b.p, p->lb, &beta, c.p, p->lc, c.p, p->lc, &p->algo, ws,
                            LT_WORKSPACE, d->stream);
        s = cs == CUBLAS_STATUS_SUCCESS ? KS_OK : cs == CUBLAS_STATUS_NOT_SUPPORTED ? KS_UNSUPPORTED : KS_DEVICE;
    }
    if (s != KS_OK)
        snprintf(d->err, sizeof d->err, "%s failed (m=%lld n=%lld k=%lld, status %d)", step, (long long)m,
                 (long long)n, (long long)k, (int)cs);
    return s;
}

/* Fast precision with FP8 E4M3 weights on the FP8 tensor cores: the activations are
 * quantised to E4M3 with a per-tensor scale found on the device (no host round trip), the
 * weight scale rides on alpha. cuBLASLt's FP8 kernels want the token count a multiple of
 * 16 (126 audio tokens are refused with NOT_SUPPORTED): other counts are padded with zero
 * rows and the product lands in scratch first. KS_UNSUPPORTED when cuBLASLt has no FP8
 * kernel at all (the caller widens the weights to bf16 instead). */
static kstatus linear_fp8(const kctx *ctx, int64_t m, const float *x, int64_t ldx, const kmat *w, const float *bias,
                          float *y, int accumulate) /* y dense: n apart */
{
    kcuda *d = ctx->cuda;
    const int64_t n = w->rows, k = w->cols, mp = (m + 15) / 16 * 16;
    if (k % 16 || n % 16 || w->ld % 16) return KS_UNSUPPORTED;
    const size_t xb = kcuda_align_up((size_t)(mp * k), SCRATCH_ALIGN);
    const size_t yb = mp == m ? 0 : kcuda_align_up((size_t)(mp * n) * sizeof(float), SCRATCH_ALIGN);
    char *ws;
    kstatus s = kcuda_scratch(d, LT_WORKSPACE + xb + yb + SCRATCH_ALIGN, (void **)&ws);
    if (s != KS_OK) return s;
    uint8_t *xq = (uint8_t *)(ws + LT_WORKSPACE);
    d->rounded.x = NULL; /* xq overwrites where a bf16 rounding of x may lie */
    float *yp = mp == m ? y : (float *)(ws + LT_WORKSPACE + xb);
    float *sc = (float *)(ws + LT_WORKSPACE + xb + yb); /* [0] the activations' scale, [4] amax */
    if (mp != m && cudaMemsetAsync(xq + m * k, 0, (size_t)((mp - m) * k), d->stream) != cudaSuccess)
        return kcuda_check_launch(d, "FP8 padding rows");
    kcuda_launch_f32_to_e4m3(d->stream, x, m, k, ldx, sc, xq);
    if ((s = kcuda_check_launch(d, "FP8 activation quantisation")) != KS_OK) return s;
    lt_operand A = {w->data, CUDA_R_8F_E4M3, 1, w->ld, NULL}, B = {xq, CUDA_R_8F_E4M3, 0, k, sc};
    const float beta = accumulate && mp == m ? 1.0f : 0.0f;
    s = lt_matmul(d, n, mp, k, w->scale, A, B, beta, (lt_result){yp, CUDA_R_32F, n, NULL, 0}, ws);
    if (s != KS_OK && s != KS_OOM) { /* remembered: later calls widen to bf16 at once */
        snprintf(d->fp8_off, sizeof d->fp8_off, "%s", d->err);
        return KS_UNSUPPORTED;
    }
    if (s == KS_OK && yp != y)
        s = accumulate ? kcuda_elementwise(ctx, KCUDA_ADD, y, yp, 0.0f, y, m * n)
                       : kcuda_copy(d, y, yp, (size_t)(m * n) * sizeof(float), KCUDA_D2D);
    if (s == KS_OK && bias) s = kcuda_add_row(ctx, m, n, y, bias, y);
    return s;
}

kstatus kcuda_linear(const kctx *ctx, int64_t m, const float *x, int64_t ldx, const kmat *w, const float *bias,
                     float *y, int64_t ldy, int accumulate)
{
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK) return s;
    if (!w || !w->data || m < 0 || w->rows <= 0 || w->cols <= 0 || ldx < w->cols || ldy < w->rows ||
        w->ld < w->cols)
        return KS_BAD_ARG;
    if (m == 0) return KS_OK;
    kcuda *d = ctx->cuda;
    int64_t n = w->rows, k = w->cols;
    int fast = ctx->prec == KP_FAST;
    if (fast && w->dtype == KD_F8_E4M3 && ldy == n && !d->fp8_off[0]) {
        s = linear_fp8(ctx, m, x, ldx, w, bias, y, accumulate);
        if (s != KS_UNSUPPORTED) return s;
    }
    int w_direct = fast ? (w->dtype == KD_BF16 && w->scale == 1.0f) : w->dtype == KD_F32;
    size_t esz = fast ? 2 : 4;
    size_t x_bytes = fast ? kcuda_align_up((size_t)(m * k) * 2, SCRATCH_ALIGN) : 0;
    size_t w_bytes = w_direct ? 0 : kcuda_align_up((size_t)(n * k) * esz, SCRATCH_ALIGN);
    char *ws;
    s = kcuda_scratch(d, LT_WORKSPACE + x_bytes + w_bytes, (void **)&ws);
    if (s != KS_OK) return s;
    lt_operand A = {w->data, fast ? CUDA_R_16BF : CUDA_R_32F, 1, w->ld, NULL};
    lt_operand B = {x, CUDA_R_32F, 0, ldx, NULL};
    float alpha = fast ? 1.0f : w->scale; /* exact: the scale multiplies the f32 sums */
    if (fast) {
        B.p = ws + LT_WORKSPACE;
        B.type = CUDA_R_16BF;
        B.ld = k;
        /* q, k and v (and the text keys and values) project the same input one after the
         * other: when the op just before this one was a GEMM that rounded this very x into
         * this scratch, nothing can have written x or the scratch since (every op and copy
         * advances the epoch), and the rounding is reused. */
        const kcuda_rounded r = {x, m, k, ldx, ws, d->op_epoch - 1};
        if (memcmp(&d->rounded, &r, sizeof r) != 0)
            kcuda_launch_f32_to_bf16(d->stream, x, m, k, ldx, (uint16_t *)B.p);
        d->rounded = r;
        d->rounded.epoch = d->op_epoch;
    }
    if (!w_direct) {
        A.p = ws + LT_WORKSPACE + x_bytes;
        A.ld = k;
        kcuda_launch_widen(d->stream, w->dtype, w->data, n, k, w->ld, w->scale, fast, (void *)A.p);
    }
    if ((s = kcuda_check_launch(d, "GEMM operand conversion")) != KS_OK) return s;
    return lt_matmul(d, n, m, k, alpha, A, B, accumulate ? 1.0f : 0.0f, (lt_result){y, CUDA_R_32F, ldy, bias, 0}, ws);
}

kstatus kcuda_sgemm(const kctx *ctx, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc)
{
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK) return s;
    if (m < 0 || n < 0 || k < 0 || ldc < n) return KS_BAD_ARG;
    if (m == 0 || n == 0) return KS_OK;
    void *ws;
    s = kcuda_scratch(ctx->cuda, LT_WORKSPACE, &ws);
    if (s != KS_OK) return s;
    /* row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ */
    lt_operand A = {b, CUDA_R_32F, trans_b != 0, ldb, NULL};
    lt_operand B = {a, CUDA_R_32F, trans_a != 0, lda, NULL};
    return lt_matmul(ctx->cuda, n, m, k, alpha, A, B, beta, (lt_result){c, CUDA_R_32F, ldc, NULL, 0}, ws);
}

kstatus kcuda_feedforward_fused(const kctx *ctx, int64_t n, const float *x, int64_t ldx, const kmat *w1,
                                const float *b1, const kmat *w2, const float *b2, float *y, int64_t ldy,
                                int accumulate)
{
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK) return s;
    if (ctx->prec != KP_FAST || w1->dtype != KD_BF16 || w2->dtype != KD_BF16 || w1->scale != 1.0f ||
        w2->scale != 1.0f)
        return KS_UNSUPPORTED; /* the caller runs linear, GELU, linear */
    const int64_t dim = w1->cols, hid = w1->rows, od = w2->rows;
    if (n < 0 || w2->cols != hid || ldx < dim || ldy < od || w1->ld < dim || w2->ld < hid) return KS_BAD_ARG;
    if (n == 0) return KS_OK;
    kcuda *d = ctx->cuda;
    const size_t xb = kcuda_align_up((size_t)(n * dim) * 2, SCRATCH_ALIGN);
    const size_t hb = kcuda_align_up((size_t)(n * hid) * 2, SCRATCH_ALIGN);
    char *ws;
    if ((s = kcuda_scratch(d, LT_WORKSPACE + xb + hb, (void **)&ws)) != KS_OK) return s;
    uint16_t *xh = (uint16_t *)(ws + LT_WORKSPACE), *hh = (uint16_t *)(ws + LT_WORKSPACE + xb);
    kcuda_launch_f32_to_bf16(d->stream, x, n, dim, ldx, xh);
    if ((s = kcuda_check_launch(d, "feed-forward input rounding")) != KS_OK) return s;
    /* h = bf16(gelu(x·W1ᵀ + b1)): the hidden activations never exist in f32 */
    lt_operand A1 = {w1->data, CUDA_R_16BF, 1, w1->ld, NULL}, B1 = {xh, CUDA_R_16BF, 0, dim, NULL};
    s = lt_matmul(d, hid, n, dim, 1.0f, A1, B1, 0.0f, (lt_result){hh, CUDA_R_16BF, hid, b1, 1}, ws);
    if (s != KS_OK) return s;
    lt_operand A2 = {w2->data, CUDA_R_16BF, 1, w2->ld, NULL}, B2 = {hh, CUDA_R_16BF, 0, hid, NULL};
    return lt_matmul(d, od, n, hid, 1.0f, A2, B2, accumulate ? 1.0f : 0.0f, (lt_result){y, CUDA_R_32F, ldy, b2, 0},
                     ws);
}

const char *kcuda_fp8_unavailable(const kcuda *d) { return d->fp8_off[0] ? d->fp8_off : NULL; }
