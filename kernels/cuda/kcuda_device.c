/*
 * kcuda_device.c — one CUDA device: creation (stream, cuBLASLt handle, budget), errors
 * and the op prologue shared by every kcuda_* entry point.
 */
#include "kcuda_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kcuda_device_count(void)
{
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError(); /* clear the sticky "no driver" error */
        return 0;
    }
    return n;
}

kstatus kcuda_fail(kcuda *d, cudaError_t e, const char *what)
{
    snprintf(d->err, sizeof d->err, "%s: %s", what, cudaGetErrorString(e));
    return e == cudaErrorMemoryAllocation ? KS_OOM : KS_DEVICE;
}

kstatus kcuda_enter(kcuda *d)
{
    cudaError_t e = cudaSetDevice(d->ordinal);
    return e == cudaSuccess ? KS_OK : kcuda_fail(d, e, "cudaSetDevice");
}

kstatus kcuda_check_launch(kcuda *d, const char *what)
{
    cudaError_t e = cudaGetLastError();
    return e == cudaSuccess ? KS_OK : kcuda_fail(d, e, what);
}

kstatus kcuda_op_begin_at(const kctx *ctx, const char *op)
{
    if (!ctx || ctx->backend != KB_CUDA || !ctx->cuda) return KS_BAD_ARG;
    if (ctx->cancel && *ctx->cancel) return KS_CANCELLED;
    kstatus s = kcuda_enter(ctx->cuda);
    ctx->cuda->op_epoch++;
    if (s == KS_OK && ctx->cuda->prof) kcuda_prof_mark(ctx->cuda, op);
    return s;
}

static void set_why(char *why, size_t why_len, const char *fmt, const char *a, const char *b)
{
    if (why && why_len) snprintf(why, why_len, fmt, a, b);
}

/* LTX2_ATTN_KERNEL=tc|wgmma|auto: the fast attention kernel a new device prefers. */
static kcuda_attn_kernel attn_kernel_from_env(void)
{
    const char *v = getenv("LTX2_ATTN_KERNEL");
    if (v && !strcmp(v, "tc")) return KCUDA_ATTN_TC;
    if (v && !strcmp(v, "wgmma")) return KCUDA_ATTN_WGMMA;
    return KCUDA_ATTN_AUTO;
}

kstatus kcuda_create(int ordinal, size_t budget_bytes, kcuda **out, char *why, size_t why_len)
{
    *out = NULL;
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        cudaGetLastError();
        set_why(why, why_len, "%s%s", "no CUDA device: ", cudaGetErrorString(e));
        return KS_DEVICE;
    }
    if (ordinal < 0 || ordinal >= n) {
        char buf[64];
        snprintf(buf, sizeof buf, "cuda:%d does not exist (%d device%s)", ordinal, n, n == 1 ? "" : "s");
        set_why(why, why_len, "%s%s", buf, "");
        return KS_BAD_ARG;
    }
    kcuda *d = calloc(1, sizeof *d);
    if (!d) {
        set_why(why, why_len, "%s%s", "out of host memory", "");
        return KS_OOM;
    }
    d->ordinal = ordinal;
    pthread_mutex_init(&d->lock, NULL);
    struct cudaDeviceProp prop;
    size_t free_b = 0, total_b = 0;
    const char *step = "cudaSetDevice";
    if ((e = cudaSetDevice(ordinal)) != cudaSuccess) goto fail;
    step = "cudaGetDeviceProperties";
    if ((e = cudaGetDeviceProperties(&prop, ordinal)) != cudaSuccess) goto fail;
    step = "cudaMemGetInfo";
    if ((e = cudaMemGetInfo(&free_b, &total_b)) != cudaSuccess) goto fail;
    step = "cudaStreamCreate";
    if ((e = cudaStreamCreateWithFlags(&d->stream, cudaStreamNonBlocking)) != cudaSuccess) goto fail;
    if (cublasLtCreate(&d->lt) != CUBLAS_STATUS_SUCCESS) {
        set_why(why, why_len, "%s%s", "cublasLtCreate failed", "");
        kcuda_destroy(d);
        return KS_DEVICE;
    }
    d->budget = budget_bytes ? budget_bytes : free_b;
    d->total = total_b;
    d->sm_count = prop.multiProcessorCount;
    d->smem_optin = prop.sharedMemPerBlockOptin;
    d->prof = kcuda_prof_create();
    snprintf(d->name, sizeof d->name, "%s (sm_%d%d, %.1f GiB)", prop.name, prop.major, prop.minor,
             (double)total_b / (1024.0 * 1024.0 * 1024.0));
    d->attn_kernel = attn_kernel_from_env();
    d->wgmma_ok = prop.major == 9 && prop.minor == 0 && kcuda_attention_wgmma_probe(d);
    d->peak = d->in_use; /* the probe's few bytes and any failure of it are not the caller's */
    d->err[0] = '\0';
    *out = d;
    return KS_OK;
fail:
    set_why(why, why_len, "%s: %s", step, cudaGetErrorString(e));
    cudaGetLastError();
    kcuda_destroy(d);
    return KS_DEVICE;
}

void kcuda_destroy(kcuda *d)
{
    if (!d) return;
    cudaSetDevice(d->ordinal);
    if (d->stream) cudaStreamSynchronize(d->stream);
    kcuda_free(d, d->scratch);
    /* anything the caller left allocated goes with the device */
    for (size_t i = 0; i < d->blocks_cap; i++)
        if (d->blocks[i].ptr) cudaFree(d->blocks[i].ptr);
    free(d->blocks);
    kcuda_prof_destroy(d->prof);
    kcuda_plans_destroy(d->plans);
    if (d->lt) cublasLtDestroy(d->lt);
    if (d->stream) cudaStreamDestroy(d->stream);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

const char *kcuda_name(const kcuda *d) { return d ? d->name : ""; }
const char *kcuda_last_error(const kcuda *d) { return d ? d->err : ""; }
int kcuda_ordinal(const kcuda *d) { return d->ordinal; }
size_t kcuda_total_bytes(const kcuda *d) { return d->total; }

kstatus kcuda_sync(kcuda *d)
{
    kstatus s = kcuda_enter(d);
    if (s != KS_OK) return s;
    cudaError_t e = cudaStreamSynchronize(d->stream);
    return e == cudaSuccess ? KS_OK : kcuda_fail(d, e, "cudaStreamSynchronize");
}
