/*
 * fp8_probe.c — asks the card's cuBLASLt which FP8 E4M3 GEMM layouts it runs (TN, the
 * result in f32 or bf16, with and without per-operand scale pointers, beta 0 and 1) and
 * prints one line per try with the heuristic's and the matmul's status, so the FP8 path of
 * kcuda_gemm.c can pick one that works. Diagnostic only; not part of the plugin.
 *   cc -O2 tools/fp8_probe.c -I/usr/local/cuda/include -L/usr/local/cuda/lib64 -lcublasLt -lcudart
 */
#include <cublasLt.h>
#include <cuda_runtime.h>
#include <stdio.h>

static int try_one(cublasLtHandle_t lt, int m, int n, int k, cudaDataType_t ct, int scales, float beta, void *a,
                   void *b, void *c, float *dscale, void *ws, size_t wsb)
{
    cublasLtMatmulDesc_t op;
    cublasLtMatrixLayout_t la, lb, lc;
    cublasLtMatmulPreference_t pref;
    cublasOperation_t T = CUBLAS_OP_T, N = CUBLAS_OP_N;
    cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F, CUDA_R_32F);
    cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &T, sizeof T);
    cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSB, &N, sizeof N);
    if (scales & 1) cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &dscale, sizeof dscale);
    if (scales & 2) cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &dscale, sizeof dscale);
    cublasLtMatrixLayoutCreate(&la, CUDA_R_8F_E4M3, k, m, k);
    cublasLtMatrixLayoutCreate(&lb, CUDA_R_8F_E4M3, k, n, k);
    cublasLtMatrixLayoutCreate(&lc, ct, m, n, m);
    cublasLtMatmulPreferenceCreate(&pref);
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &wsb, sizeof wsb);
    cublasLtMatmulHeuristicResult_t h;
    int found = 0;
    float alpha = 1.0f;
    cublasStatus_t hs = cublasLtMatmulAlgoGetHeuristic(lt, op, la, lb, lc, lc, pref, 1, &h, &found), ms = -1;
    if (hs == CUBLAS_STATUS_SUCCESS && found)
        ms = cublasLtMatmul(lt, op, &alpha, a, la, b, lb, &beta, c, lc, c, lc, &h.algo, ws, wsb, 0);
    cudaError_t e = cudaDeviceSynchronize();
    printf("FP8PROBE m=%d n=%d k=%d C=%s scales=%d beta=%g heuristic=%d found=%d matmul=%d sync=%s\n", m, n, k,
           ct == CUDA_R_32F ? "f32" : "bf16", scales, beta, (int)hs, found, (int)ms, cudaGetErrorString(e));
    cublasLtMatmulPreferenceDestroy(pref);
    cublasLtMatrixLayoutDestroy(lc);
    cublasLtMatrixLayoutDestroy(lb);
    cublasLtMatrixLayoutDestroy(la);
    cublasLtMatmulDescDestroy(op);
    return ms == CUBLAS_STATUS_SUCCESS;
}

int main(void)
{
    cublasLtHandle_t lt;
    if (cublasLtCreate(&lt) != CUBLAS_STATUS_SUCCESS) return puts("FP8PROBE no cuBLASLt"), 1;
    printf("FP8PROBE cublasLt version %zu\n", cublasLtGetVersion());
    const int m = 4096, n = 4992, k = 4096;
    void *a, *b, *c, *ws;
    float *dscale, one = 1.0f;
    size_t wsb = (size_t)32 << 20;
    if (cudaMalloc(&a, (size_t)m * k) || cudaMalloc(&b, (size_t)n * k) || cudaMalloc(&c, (size_t)m * n * 4) ||
        cudaMalloc(&ws, wsb) || cudaMalloc((void **)&dscale, 8))
        return puts("FP8PROBE no device memory"), 1;
    cudaMemset(a, 0x30, (size_t)m * k);
    cudaMemset(b, 0x30, (size_t)n * k);
    cudaMemcpy(dscale, &one, 4, cudaMemcpyHostToDevice);
    cudaMemcpy(dscale + 1, &one, 4, cudaMemcpyHostToDevice);
    const cudaDataType_t types[2] = {CUDA_R_32F, CUDA_R_16BF};
    for (int t = 0; t < 2; t++)
        for (int sc = 0; sc < 4; sc++)
            for (int bt = 0; bt < 2; bt++) try_one(lt, m, n, k, types[t], sc, (float)bt, a, b, c, dscale, ws, wsb);
    /* the test's small shape */
    try_one(lt, 64, 48, 128, CUDA_R_32F, 2, 0.0f, a, b, c, dscale, ws, wsb);
    try_one(lt, 64, 48, 128, CUDA_R_16BF, 2, 0.0f, a, b, c, dscale, ws, wsb);
    /* token counts that are not multiples of 16 (the audio stream's 126) */
    try_one(lt, 128, 63, 256, CUDA_R_32F, 2, 0.0f, a, b, c, dscale, ws, wsb);
    try_one(lt, 2048, 126, 2048, CUDA_R_32F, 2, 1.0f, a, b, c, dscale, ws, wsb);
    try_one(lt, 2048, 126, 2048, CUDA_R_16BF, 2, 0.0f, a, b, c, dscale, ws, wsb);
    /* a scale pointer 4 bytes off an aligned address (what kcuda_gemm.c passed before) */
    try_one(lt, 128, 96, 256, CUDA_R_32F, 2, 0.0f, a, b, c, dscale + 1, ws, wsb);
    cublasLtDestroy(lt);
    return 0;
}
