/* kcuda_sampler.cu — the sampler's per-element steps on token rows [n][ch] (noising,
 * velocity to x0, the masked Euler update, guidance combine) with the formulas of the
 * CPU's denoise_ops.c, and the sample standard deviation of the guidance rescale (two
 * passes in double, like the CPU; the result comes back to the host). */
#include "kcuda_internal.h"

#include <math.h>

#define SM_THREADS 256

#define GRID_STRIDE(i, n) \
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

static unsigned grid_for(int64_t n) { return kcuda_blocks_for(n, SM_THREADS, 65535u); }

__global__ void noise_blend_kernel(int64_t n, int64_t ch, const float *mask, float scale, const float *noise, float *x)
{
    GRID_STRIDE(i, n * ch)
    {
        const float m = mask[i / ch] * scale, keep = 1.0f - m;
        x[i] = noise[i] * m + x[i] * keep;
    }
}

__global__ void x0_kernel(int64_t n, int64_t ch, const float *x, const float *v, const float *t, float *x0)
{
    GRID_STRIDE(i, n * ch) x0[i] = x[i] - v[i] * t[i / ch];
}

__global__ void euler_kernel(int64_t n, int64_t ch, const float *mask, const float *clean, const float *x0,
                             float sigma, float sigma_next, float *x)
{
    const float dt = sigma_next - sigma;
    GRID_STRIDE(i, n * ch)
    {
        const float m = mask[i / ch], keep = 1.0f - m;
        const float den = x0[i] * m + clean[i] * keep;
        if (sigma == 0.0f) { /* a manual list may repeat 0: nothing left to remove */
            x[i] = den;
        } else {
            const float vel = (x[i] - den) / sigma;
            x[i] = x[i] + vel * dt;
        }
    }
}

__global__ void guidance_kernel(int64_t n, float *cond, const float *ut, float kt, const float *up, float ks,
                                const float *ui, float km)
{
    GRID_STRIDE(i, n)
    {
        const float c = cond[i];
        float p = c;
        if (ut) p = p + kt * (c - ut[i]);
        if (up) p = p + ks * (c - up[i]);
        if (ui) p = p + km * (c - ui[i]);
        cond[i] = p;
    }
}

/* acc[pass] += Σ x (pass 0) or Σ (x − mean)² (pass 1, mean = acc[0]/n), in double. */
__global__ void std_pass_kernel(const float *x, int64_t n, int pass, double *acc)
{
    __shared__ double red[SM_THREADS / 32];
    const double mean = pass ? acc[0] / (double)n : 0.0;
    double s = 0.0;
    GRID_STRIDE(i, n)
    {
        const double v = pass ? x[i] - mean : x[i];
        s += pass ? v * v : v;
    }
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
    if (threadIdx.x % 32 == 0) red[threadIdx.x / 32] = s;
    __syncthreads();
    if (threadIdx.x == 0) {
        double t = 0.0;
        for (int w = 0; w < SM_THREADS / 32; w++) t += red[w];
        atomicAdd(&acc[pass], t);
    }
}

/* The prologue of a row op: *run is set when there is work (n, ch > 0 and the pointers
 * given); empty sizes are KS_OK with nothing to do, negative ones or missing pointers
 * KS_BAD_ARG. */
static kstatus rows_begin(const kctx *ctx, int64_t n, int64_t ch, int pointers_ok, int *run)
{
    *run = 0;
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK) return s;
    if (n < 0 || ch < 0) return KS_BAD_ARG;
    if (n == 0 || ch == 0) return KS_OK;
    if (!pointers_ok) return KS_BAD_ARG;
    *run = 1;
    return KS_OK;
}

extern "C" kstatus kcuda_noise_blend(const kctx *ctx, int64_t n, int64_t ch, const float *mask, float scale,
                                     const float *noise, float *x)
{
    int run;
    kstatus s = rows_begin(ctx, n, ch, mask && noise && x, &run);
    if (s != KS_OK || !run) return s;
    noise_blend_kernel<<<grid_for(n * ch), SM_THREADS, 0, ctx->cuda->stream>>>(n, ch, mask, scale, noise, x);
    return kcuda_check_launch(ctx->cuda, "noise_blend");
}

extern "C" kstatus kcuda_x0_from_velocity(const kctx *ctx, int64_t n, int64_t ch, const float *x, const float *v,
                                          const float *t, float *x0)
{
    int run;
    kstatus s = rows_begin(ctx, n, ch, x && v && t && x0, &run);
    if (s != KS_OK || !run) return s;
    x0_kernel<<<grid_for(n * ch), SM_THREADS, 0, ctx->cuda->stream>>>(n, ch, x, v, t, x0);
    return kcuda_check_launch(ctx->cuda, "x0_from_velocity");
}

extern "C" kstatus kcuda_euler_step(const kctx *ctx, int64_t n, int64_t ch, const float *mask, const float *clean,
                                    const float *x0, float sigma, float sigma_next, float *x)
{
    int run;
    kstatus s = rows_begin(ctx, n, ch, mask && clean && x0 && x, &run);
    if (s != KS_OK || !run) return s;
    euler_kernel<<<grid_for(n * ch), SM_THREADS, 0, ctx->cuda->stream>>>(n, ch, mask, clean, x0, sigma, sigma_next, x);
    return kcuda_check_launch(ctx->cuda, "euler_step");
}

extern "C" kstatus kcuda_guidance_combine(const kctx *ctx, int64_t n, float *cond, const float *uncond_text,
                                          float k_text, const float *uncond_perturbed, float k_stg,
                                          const float *uncond_isolated, float k_mod)
{
    int run;
    kstatus s = rows_begin(ctx, n, 1, cond != NULL, &run);
    if (s != KS_OK || !run) return s;
    guidance_kernel<<<grid_for(n), SM_THREADS, 0, ctx->cuda->stream>>>(n, cond, uncond_text, k_text, uncond_perturbed,
                                                                        k_stg, uncond_isolated, k_mod);
    return kcuda_check_launch(ctx->cuda, "guidance_combine");
}

extern "C" kstatus kcuda_std(const kctx *ctx, const float *x, int64_t n, float *out)
{
    kstatus s = kcuda_op_begin(ctx);
    if (s != KS_OK) return s;
    if (!out || n < 0 || (n > 0 && !x)) return KS_BAD_ARG;
    if (n < 2) {
        *out = NAN;
        return KS_OK;
    }
    kcuda *d = ctx->cuda;
    double *acc, host[2];
    if ((s = kcuda_scratch(d, 2 * sizeof(double), (void **)&acc)) != KS_OK) return s;
    cudaError_t e = cudaMemsetAsync(acc, 0, 2 * sizeof(double), d->stream);
    if (e != cudaSuccess) return kcuda_fail(d, e, "std memset");
    for (int pass = 0; pass < 2; pass++)
        std_pass_kernel<<<grid_for(n), SM_THREADS, 0, d->stream>>>(x, n, pass, acc);
    if ((s = kcuda_check_launch(d, "std")) != KS_OK) return s;
    if ((s = kcuda_copy(d, host, acc, sizeof host, KCUDA_D2H)) != KS_OK) return s;
    *out = (float)sqrt(host[1] / (double)(n - 1));
    return KS_OK;
}
