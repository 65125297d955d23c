/* tensor.h — the refcounted tensor handle (internal view of ltx2_tensor).
 * Heap tensors are 64-byte aligned and contiguous. Mapped tensors point into a
 * memory-mapped file and keep the mapping alive. Views keep their base alive.
 * Device tensors (device LTX2_DEVICE_CUDA) hold memory of one kcuda (the runtime's
 * device object), freed through it; their data is never touched on the host. */
#ifndef LTX2_TENSOR_H
#define LTX2_TENSOR_H
#include <stdatomic.h>
#include <stdbool.h>
#include "ltx2/ltx2_plugin.h"
#include "error.h"
#include "kernels.h"

struct ltx2_tensor {
    atomic_int refs;
    ltx2_dtype dtype;
    int ndim;
    int64_t shape[LTX2_MAX_DIMS];
    int64_t strides[LTX2_MAX_DIMS]; /* elements */
    ltx2_device device;
    int device_index;                /* CUDA ordinal (0 on the CPU) */
    kcuda *cuda;                     /* device tensors: the device that owns alloc */
    ltx2_owner owner;
    void *data;                      /* first element */
    void *alloc;                     /* heap block to free (HEAP only) */
    ltx2_tensor *base;               /* VIEW: retained base tensor */
    void *keepalive;                 /* MAPPED: retained owner of the bytes */
    void (*keepalive_release)(void *keepalive);
};

size_t ltx2_dtype_size(ltx2_dtype dt);
const char *ltx2_dtype_name(ltx2_dtype dt); /* "F32", "BF16", ... (safetensors names) */
int ltx2_dtype_from_name(const char *name); /* -1 when unknown */

/* New contiguous CPU tensor; uninitialised / zero-filled. NULL on OOM or bad shape. */
ltx2_tensor *ltx2_tensor_new(ltx2_dtype dt, int ndim, const int64_t *shape);
ltx2_tensor *ltx2_tensor_zeros(ltx2_dtype dt, int ndim, const int64_t *shape);
/* Convenience for up to 4 dims: ltx2_tensor_new_f32(3, (int64_t[]){a,b,c}). */
#define ltx2_tensor_new_f32(nd, ...) ltx2_tensor_new(LTX2_F32, (nd), (const int64_t[])__VA_ARGS__)
/* Tensor over bytes owned by someone else, kept alive through keepalive. */
ltx2_tensor *ltx2_tensor_wrap(ltx2_dtype dt, int ndim, const int64_t *shape, void *data,
                              void *keepalive, void (*retain)(void *), void (*release)(void *));
/* View sharing storage (retains base). strides NULL = contiguous. offset in elements. */
ltx2_tensor *ltx2_tensor_view(ltx2_tensor *base, int ndim, const int64_t *shape,
                              const int64_t *strides, int64_t offset);

void ltx2_tensor_retain(ltx2_tensor *t);
void ltx2_tensor_release(ltx2_tensor *t); /* NULL-safe */
void ltx2_tensor_describe(const ltx2_tensor *t, ltx2_tensor_desc *out);

int64_t ltx2_tensor_numel(const ltx2_tensor *t);
size_t ltx2_tensor_nbytes(const ltx2_tensor *t);
bool ltx2_tensor_is_contiguous(const ltx2_tensor *t);
static inline float *ltx2_tensor_f32(ltx2_tensor *t) { return (float *)t->data; }
static inline const float *ltx2_tensor_cf32(const ltx2_tensor *t) { return (const float *)t->data; }
/* "F32[1,128,3,4,6]" into buf. */
const char *ltx2_tensor_str(const ltx2_tensor *t, char *buf, size_t size);
/* Same shape (ndim and every dim). */
bool ltx2_tensor_same_shape(const ltx2_tensor *a, const ltx2_tensor *b);

/* A contiguous F32 host copy of any numeric tensor (converts dtype, gathers strides; a
 * device tensor is copied to the host first, so host code may read any input this way). */
ltx2_tensor *ltx2_tensor_to_f32(const ltx2_tensor *t);
/* t itself (retained) when already contiguous F32, else ltx2_tensor_to_f32(t). */
ltx2_tensor *ltx2_tensor_as_f32(ltx2_tensor *t);
/* A contiguous copy in the same dtype. */
ltx2_tensor *ltx2_tensor_clone(const ltx2_tensor *t);


/* ---------------------------------------------------------------- devices */
/* A new contiguous uninitialised tensor on k's backend: host memory for a CPU kctx,
 * device memory of k->cuda for a CUDA kctx. NULL on OOM (the device's detail is in
 * kcuda_last_error(k->cuda)) or a bad shape. */
ltx2_tensor *ltx2_tensor_new_on(const kctx *k, ltx2_dtype dt, int ndim, const int64_t *shape);
/* *out = t (retained) when t already lives on k's backend (same device), else a
 * contiguous copy there. Errors (OOM naming the bytes, device failure) fill err. */
ltx2_status ltx2_tensor_on(const kctx *k, ltx2_tensor *t, ltx2_tensor **out, ltx2_error *err);
/* *out = t (retained) when t is a CPU tensor, else a contiguous host copy of it. */
ltx2_status ltx2_tensor_to_host(ltx2_tensor *t, ltx2_tensor **out, ltx2_error *err);
/* A contiguous copy of t on device (CPU, or CUDA ordinal index through the device
 * object cuda, which must be that ordinal's); t retained when it already lives there. */
ltx2_status ltx2_tensor_copy_to(ltx2_tensor *t, ltx2_device device, int index, kcuda *cuda,
                                ltx2_tensor **out, ltx2_error *err);
static inline bool ltx2_tensor_on_host(const ltx2_tensor *t) { return t->device == LTX2_DEVICE_CPU; }
/* A contiguous F32 tensor of t's values on k's backend: t itself (retained) when it already
 * is one there; a device tensor of another dtype or layout is converted on the host. */
ltx2_status ltx2_tensor_f32_on(const kctx *k, ltx2_tensor *t, ltx2_tensor **out, ltx2_error *err);

#endif
