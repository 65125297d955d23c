/*
 * kcuda_memory.c — device memory of one kcuda: every allocation is recorded with its
 * size (open-addressed table keyed by pointer) so the budget is enforced, the bytes in
 * use and the peak are exact, and destroy frees what is left. Copies, the scratch
 * workspace and weight upload.
 */
#include "kcuda_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t slot_of(const void *p, size_t cap)
{
    uint64_t h = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 17) & (cap - 1);
}

static int table_put(kcuda *d, void *p, size_t bytes)
{
    if ((d->blocks_n + 1) * 2 > d->blocks_cap) {
        size_t cap = d->blocks_cap ? d->blocks_cap * 2 : 256;
        kcuda_block *nb = calloc(cap, sizeof *nb);
        if (!nb) return 0;
        for (size_t i = 0; i < d->blocks_cap; i++) {
            if (!d->blocks[i].ptr) continue;
            size_t s = slot_of(d->blocks[i].ptr, cap);
            while (nb[s].ptr) s = (s + 1) & (cap - 1);
            nb[s] = d->blocks[i];
        }
        free(d->blocks);
        d->blocks = nb;
        d->blocks_cap = cap;
    }
    size_t s = slot_of(p, d->blocks_cap);
    while (d->blocks[s].ptr) s = (s + 1) & (d->blocks_cap - 1);
    d->blocks[s] = (kcuda_block){p, bytes};
    d->blocks_n++;
    return 1;
}

/* Removes p (linear probing with backward shift, so no tombstones); returns its size,
 * or 0 when p is not a live allocation of d. */
static size_t table_take(kcuda *d, const void *p)
{
    if (!d->blocks_cap) return 0;
    size_t mask = d->blocks_cap - 1, s = slot_of(p, d->blocks_cap);
    while (d->blocks[s].ptr && d->blocks[s].ptr != p) s = (s + 1) & mask;
    if (!d->blocks[s].ptr) return 0;
    size_t bytes = d->blocks[s].bytes;
    d->blocks[s].ptr = NULL;
    d->blocks_n--;
    for (size_t j = (s + 1) & mask; d->blocks[j].ptr; j = (j + 1) & mask) {
        size_t home = slot_of(d->blocks[j].ptr, d->blocks_cap);
        /* move j into the hole s when its home is not in (s, j] cyclically */
        int between = s <= j ? (home > s && home <= j) : (home > s || home <= j);
        if (!between) {
            d->blocks[s] = d->blocks[j];
            d->blocks[j].ptr = NULL;
            s = j;
        }
    }
    return bytes;
}

static double gib(size_t b) { return (double)b / (1024.0 * 1024.0 * 1024.0); }

kstatus kcuda_alloc(kcuda *d, size_t bytes, void **out)
{
    *out = NULL;
    kstatus s = kcuda_enter(d);
    if (s != KS_OK) return s;
    if (bytes == 0) bytes = 1;
    pthread_mutex_lock(&d->lock);
    if (bytes > d->budget - d->in_use) {
        snprintf(d->err, sizeof d->err, "device memory budget exhausted: asked %zu bytes (%.3f GiB), %zu of %zu free",
                 bytes, gib(bytes), d->budget - d->in_use, d->budget);
        pthread_mutex_unlock(&d->lock);
        return KS_OOM;
    }
    void *p = NULL;
    cudaError_t e = cudaMalloc(&p, bytes);
    if (e != cudaSuccess) {
        cudaGetLastError();
        size_t free_b = 0, total_b = 0;
        cudaMemGetInfo(&free_b, &total_b);
        snprintf(d->err, sizeof d->err, "cudaMalloc of %zu bytes (%.3f GiB) failed (%s); %zu bytes free on the device",
                 bytes, gib(bytes), cudaGetErrorString(e), free_b);
        pthread_mutex_unlock(&d->lock);
        return KS_OOM;
    }
    if (!table_put(d, p, bytes)) {
        cudaFree(p);
        snprintf(d->err, sizeof d->err, "out of host memory for the allocation table");
        pthread_mutex_unlock(&d->lock);
        return KS_OOM;
    }
    d->in_use += bytes;
    if (d->in_use > d->peak) d->peak = d->in_use;
    pthread_mutex_unlock(&d->lock);
    *out = p;
    return KS_OK;
}

void kcuda_free(kcuda *d, void *p)
{
    if (!d || !p) return;
    cudaSetDevice(d->ordinal);
    pthread_mutex_lock(&d->lock);
    size_t bytes = table_take(d, p);
    d->in_use -= bytes;
    pthread_mutex_unlock(&d->lock);
    if (bytes) cudaFree(p); /* waits for queued work that may still read p */
}

size_t kcuda_bytes_in_use(const kcuda *d) { return d ? d->in_use : 0; }
size_t kcuda_peak_bytes(const kcuda *d) { return d ? d->peak : 0; }
size_t kcuda_budget(const kcuda *d) { return d ? d->budget : 0; }

static int overlapping(const void *dst, const void *src, size_t bytes)
{
    const char *a = dst, *b = src;
    return a != b && a < b + bytes && b < a + bytes;
}

/* An overlapping device copy (cudaMemcpy leaves it undefined) as stream-ordered pieces no
 * longer than the shift, taken from the end the copy moves away from, so no piece reads
 * bytes an earlier piece wrote: memmove's result. */
static kstatus shift(kcuda *d, void *dst, const void *src, size_t bytes)
{
    char *a = dst;
    const char *b = src;
    const size_t gap = a < b ? (size_t)(b - a) : (size_t)(a - b);
    for (size_t done = 0; done < bytes;) {
        const size_t n = bytes - done < gap ? bytes - done : gap;
        const size_t off = a < b ? done : bytes - done - n;
        cudaError_t e = cudaMemcpyAsync(a + off, b + off, n, cudaMemcpyDeviceToDevice, d->stream);
        if (e != cudaSuccess) return kcuda_fail(d, e, "cudaMemcpyAsync (overlapping)");
        done += n;
    }
    return KS_OK;
}

kstatus kcuda_copy(kcuda *d, void *dst, const void *src, size_t bytes, kcuda_dir dir)
{
    kstatus s = kcuda_enter(d);
    d->op_epoch++; /* device memory may change: no GEMM input rounding is reused past this */
    if (s != KS_OK || bytes == 0) return s;
    static const enum cudaMemcpyKind kinds[3] = {cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost,
                                                 cudaMemcpyDeviceToDevice};
    if ((unsigned)dir > KCUDA_D2D) return KS_BAD_ARG;
    if (dir == KCUDA_D2D && overlapping(dst, src, bytes)) return shift(d, dst, src, bytes);
    cudaError_t e = cudaMemcpyAsync(dst, src, bytes, kinds[dir], d->stream);
    if (e != cudaSuccess) return kcuda_fail(d, e, "cudaMemcpyAsync");
    if (dir == KCUDA_D2D) return KS_OK;
    e = cudaStreamSynchronize(d->stream); /* D2H: the data is there; H2D: src is free again */
    return e == cudaSuccess ? KS_OK : kcuda_fail(d, e, "copy (or queued work before it)");
}

kstatus kcuda_memset0(kcuda *d, void *p, size_t bytes)
{
    kstatus s = kcuda_enter(d);
    d->op_epoch++;
    if (s != KS_OK || bytes == 0) return s;
    cudaError_t e = cudaMemsetAsync(p, 0, bytes, d->stream);
    return e == cudaSuccess ? KS_OK : kcuda_fail(d, e, "cudaMemsetAsync");
}

kstatus kcuda_scratch(kcuda *d, size_t bytes, void **out)
{
    *out = NULL;
    if (bytes <= d->scratch_bytes) {
        *out = d->scratch;
        return KS_OK;
    }
    /* grow in 16 MiB steps; earlier ops on the stream may still read the old one */
    cudaError_t e = cudaStreamSynchronize(d->stream);
    if (e != cudaSuccess) return kcuda_fail(d, e, "queued work before a scratch resize");
    kcuda_free(d, d->scratch);
    d->scratch = NULL;
    d->scratch_bytes = 0;
    size_t want = kcuda_align_up(bytes, KCUDA_SCRATCH_STEP);
    kstatus s = kcuda_alloc(d, want, &d->scratch);
    if (s == KS_OOM && want > bytes) { /* the rounding may be what does not fit */
        want = bytes;
        s = kcuda_alloc(d, want, &d->scratch);
    }
    if (s != KS_OK) return s;
    d->scratch_bytes = want;
    *out = d->scratch;
    return KS_OK;
}

static size_t mat_bytes(const kmat *m)
{
    if (m->rows <= 0 || m->cols <= 0) return 0;
    return (size_t)((m->rows - 1) * m->ld + m->cols) * k_dtype_size(m->dtype);
}

kstatus kcuda_mat_upload(const kctx *ctx, const kmat *host, kmat *dev)
{
    if (!ctx || !ctx->cuda || !host || !dev || !host->data || host->ld < host->cols) return KS_BAD_ARG;
    *dev = *host;
    dev->data = NULL;
    size_t bytes = mat_bytes(host);
    if (!bytes) return KS_BAD_ARG;
    void *p;
    kstatus s = kcuda_alloc(ctx->cuda, bytes, &p);
    if (s != KS_OK) return s;
    s = kcuda_copy(ctx->cuda, p, host->data, bytes, KCUDA_H2D);
    if (s != KS_OK) {
        kcuda_free(ctx->cuda, p);
        return s;
    }
    dev->data = p;
    return KS_OK;
}

void kcuda_mat_free(const kctx *ctx, kmat *dev)
{
    if (!ctx || !dev) return;
    kcuda_free(ctx->cuda, (void *)dev->data);
    dev->data = NULL;
}
