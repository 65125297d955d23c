/*
 * kcuda_stream.c — what weight streaming needs from a device: pinned host memory, a copy
 * stream beside the compute stream with one pair of events per device slot (loaded /
 * released), so an upload overlaps the compute of the block before it and neither side
 * waits on the host. Also the device's residency note and the op-scratch sizes the
 * pre-run memory check plans with.
 */
#include "kcuda_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kcuda_xfer {
    kcuda *d;
    cudaStream_t copy;
    int n_slots;
    cudaEvent_t *loaded;   /* [n_slots]: recorded on the copy stream after an upload */
    cudaEvent_t *released; /* [n_slots]: recorded on the compute stream after a slot's last use */
};

kstatus kcuda_pinned_alloc(kcuda *d, size_t bytes, void **out)
{
    *out = NULL;
    kstatus s = kcuda_enter(d);
    if (s != KS_OK) return s;
    cudaError_t e = cudaHostAlloc(out, bytes ? bytes : 1, cudaHostAllocPortable);
    if (e != cudaSuccess) {
        cudaGetLastError();
        *out = NULL;
        snprintf(d->err, sizeof d->err, "cudaHostAlloc of %zu bytes (%.3f GiB) of pinned host memory failed (%s)",
                 bytes, (double)bytes / (1024.0 * 1024.0 * 1024.0), cudaGetErrorString(e));
        return KS_OOM;
    }
    return KS_OK;
}

void kcuda_pinned_free(kcuda *d, void *p)
{
    if (!d || !p) return;
    cudaSetDevice(d->ordinal);
    cudaFreeHost(p); /* waits for copies still reading it */
}

void kcuda_xfer_destroy(kcuda_xfer *x)
{
    if (!x) return;
    cudaSetDevice(x->d->ordinal);
    if (x->copy) cudaStreamSynchronize(x->copy);
    cudaStreamSynchronize(x->d->stream); /* compute work may still wait on our events */
    for (int i = 0; i < x->n_slots; i++) {
        if (x->loaded && x->loaded[i]) cudaEventDestroy(x->loaded[i]);
        if (x->released && x->released[i]) cudaEventDestroy(x->released[i]);
    }
    if (x->copy) cudaStreamDestroy(x->copy);
    free(x->loaded);
    free(x->released);
    free(x);
}

kstatus kcuda_xfer_create(kcuda *d, int n_slots, kcuda_xfer **out)
{
    *out = NULL;
    if (n_slots < 1) return KS_BAD_ARG;
    kstatus s = kcuda_enter(d);
    if (s != KS_OK) return s;
    kcuda_xfer *x = calloc(1, sizeof *x);
    if (!x) return KS_OOM;
    x->d = d;
    x->loaded = calloc((size_t)n_slots, sizeof *x->loaded);
    x->released = calloc((size_t)n_slots, sizeof *x->released);
    if (!x->loaded || !x->released) {
        free(x->loaded);
        free(x->released);
        free(x);
        return KS_OOM;
    }
    x->n_slots = n_slots;
    cudaError_t e = cudaStreamCreateWithFlags(&x->copy, cudaStreamNonBlocking);
    for (int i = 0; e == cudaSuccess && i < n_slots; i++) {
        e = cudaEventCreateWithFlags(&x->loaded[i], cudaEventDisableTiming);
        if (e == cudaSuccess) e = cudaEventCreateWithFlags(&x->released[i], cudaEventDisableTiming);
    }
    if (e != cudaSuccess) {
        s = kcuda_fail(d, e, "copy stream and events");
        kcuda_xfer_destroy(x);
        return s;
    }
    *out = x;
    return KS_OK;
}

static kstatus slot_ok(const kcuda_xfer *x, int slot) { return slot >= 0 && slot < x->n_slots ? KS_OK : KS_BAD_ARG; }

kstatus kcuda_xfer_load(kcuda_xfer *x, int slot, void *dst, const void *src, size_t bytes)
{
    kstatus s = slot_ok(x, slot);
    if (s == KS_OK) s = kcuda_enter(x->d);
    if (s != KS_OK) return s;
    /* the slot's previous block must be done with it; a never-recorded event is no wait */
    cudaError_t e = cudaStreamWaitEvent(x->copy, x->released[slot], 0);
    if (e == cudaSuccess) e = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, x->copy);
    if (e == cudaSuccess) e = cudaEventRecord(x->loaded[slot], x->copy);
    return e == cudaSuccess ? KS_OK : kcuda_fail(x->d, e, "weight upload on the copy stream");
}

kstatus kcuda_xfer_acquire(kcuda_xfer *x, int slot)
{
    kstatus s = slot_ok(x, slot);
    if (s == KS_OK) s = kcuda_enter(x->d);
    if (s != KS_OK) return s;
    cudaError_t e = cudaStreamWaitEvent(x->d->stream, x->loaded[slot], 0);
    return e == cudaSuccess ? KS_OK : kcuda_fail(x->d, e, "waiting for a weight upload");
}

kstatus kcuda_xfer_release(kcuda_xfer *x, int slot)
{
    kstatus s = slot_ok(x, slot);
    if (s == KS_OK) s = kcuda_enter(x->d);
    if (s != KS_OK) return s;
    cudaError_t e = cudaEventRecord(x->released[slot], x->d->stream);
    return e == cudaSuccess ? KS_OK : kcuda_fail(x->d, e, "releasing a weight slot");
}

void kcuda_set_note(kcuda *d, const char *note)
{
    if (!d) return;
    pthread_mutex_lock(&d->lock);
    snprintf(d->note, sizeof d->note, "%s", note ? note : "");
    pthread_mutex_unlock(&d->lock);
}

void kcuda_note(kcuda *d, char *buf, size_t size)
{
    if (!buf || !size) return;
    buf[0] = 0;
    if (!d) return;
    pthread_mutex_lock(&d->lock);
    snprintf(buf, size, "%s", d->note);
    pthread_mutex_unlock(&d->lock);
}

/* ---------------------------------------------------------------- op scratch sizes */
/* These mirror the scratch requests of kcuda_gemm.c and kcuda_attention_tc.cu (kept in
 * step by the transformer's GPU memory test, which compares the planned peak with
 * kcuda_peak_bytes). */
#define LT_WORKSPACE ((size_t)32 << 20)
#define SCRATCH_ALIGN 256

size_t kcuda_linear_scratch(const kcuda *d, kprec prec, int64_t m, const kmat *w)
{
    const int64_t n = w->rows, k = w->cols;
    const int fast = prec == KP_FAST;
    if (fast && w->dtype == KD_F8_E4M3 && !d->fp8_off[0] && !(k % 16 || n % 16 || w->ld % 16)) {
        const int64_t mp = (m + 15) / 16 * 16;
        const size_t yb = mp == m ? 0 : kcuda_align_up((size_t)(mp * n) * sizeof(float), SCRATCH_ALIGN);
        const size_t fp8 = LT_WORKSPACE + kcuda_align_up((size_t)(mp * k), SCRATCH_ALIGN) + yb + SCRATCH_ALIGN;
        /* the bf16 fallback's size too: the FP8 path may switch off at its first call */
        const size_t wide = LT_WORKSPACE + kcuda_align_up((size_t)(m * k) * 2, SCRATCH_ALIGN) +
                            kcuda_align_up((size_t)(n * k) * 2, SCRATCH_ALIGN);
        return fp8 > wide ? fp8 : wide;
    }
    const int direct = fast ? (w->dtype == KD_BF16 && w->scale == 1.0f) : w->dtype == KD_F32;
    const size_t x_bytes = fast ? kcuda_align_up((size_t)(m * k) * 2, SCRATCH_ALIGN) : 0;
    const size_t w_bytes = direct ? 0 : kcuda_align_up((size_t)(n * k) * (fast ? 2 : 4), SCRATCH_ALIGN);
    return LT_WORKSPACE + x_bytes + w_bytes;
}

size_t kcuda_feedforward_scratch(const kcuda *d, kprec prec, int64_t n, const kmat *w1, const kmat *w2)
{
    (void)d;
    if (prec != KP_FAST || w1->dtype != KD_BF16 || w2->dtype != KD_BF16 || w1->scale != 1.0f || w2->scale != 1.0f)
        return 0; /* not fused: k_feedforward runs k_linear on chunks */
    return LT_WORKSPACE + kcuda_align_up((size_t)(n * w1->cols) * 2, SCRATCH_ALIGN) +
           kcuda_align_up((size_t)(n * w1->rows) * 2, SCRATCH_ALIGN);
}

size_t kcuda_attention_scratch(const kcuda *d, kprec prec, int64_t nq, int64_t nkv, int heads, int kv_heads,
                               int head_dim)
{
    (void)d;
    if (prec != KP_FAST || (head_dim != 64 && head_dim != 128)) return 0; /* the f32 kernel takes none */
    return kcuda_align_up(2 * (size_t)(nq * heads * head_dim), SCRATCH_ALIGN) +
           2 * kcuda_align_up(2 * (size_t)(nkv * kv_heads * head_dim), SCRATCH_ALIGN);
}

size_t kcuda_scratch_held(const kcuda *d) { return d ? d->scratch_bytes : 0; }

size_t kcuda_scratch_rounded(const kcuda *d, size_t bytes) { (void)d; return kcuda_align_up(bytes, KCUDA_SCRATCH_STEP); }
