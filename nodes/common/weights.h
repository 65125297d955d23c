/* weights.h — a model's weights resident on a device: uploaded once, in their stored
 * dtype (kmat dtype and FP8 scale kept), into one block of device memory, on the first
 * use by a context of that device, and freed with the model.
 *
 * The model keeps an lx_resident and a "mirror": a copy of its weight tree (the structs
 * holding kmat and float* slots) whose slots are repointed to device memory. The model
 * walks the mirror's slots with lx_upload_mat / lx_upload_vec (twice: once to size the
 * block, once to copy), so the forward code runs unchanged on either tree. Conv weights
 * (lx_upload_conv) are packed on the device in allocations of their own, which the
 * mirror's free releases. */
#ifndef LTX2_COMMON_WEIGHTS_H
#define LTX2_COMMON_WEIGHTS_H
#include <pthread.h>
#include <stddef.h>
#include "error.h"
#include "kernels.h"

/* One walk over a mirror's weight slots. */
typedef struct lx_upload {
    const kctx *dev;    /* the device context */
    char *block;        /* NULL while sizing */
    size_t bytes;       /* sizing: total so far; copying: offset of the next weight */
    size_t conv_bytes;  /* conv weights (their own device allocations), for the messages */
    kstatus st;
} lx_upload;
/* Sizes, or copies *slot to the device and repoints slot->data. A NULL slot is skipped. */
void lx_upload_mat(lx_upload *u, kmat *slot);
void lx_upload_vec(lx_upload *u, float **slot, int64_t n);
/* A conv weight: *slot becomes the device weights packed from the stored host weight w
 * (k_convw_pack on the device; memory of its own, outside the block). Sizing counts its
 * bytes and sets *slot NULL (the mirror's copy of the host pointer), so the mirror's free
 * frees with k_convw_free exactly the device weights the copying walk made. */
void lx_upload_conv(lx_upload *u, kconvw **slot, const kmat *w, int64_t cin, int kt, int kh, int kw);

/* How a model makes, walks and frees its mirror (host pointers before the walk). */
typedef struct lx_mirror_ops {
    void *(*make)(const void *model);
    void (*walk)(void *mirror, lx_upload *u);
    void (*free)(void *mirror);
} lx_mirror_ops;

typedef struct lx_resident {
    pthread_mutex_t lock; /* the first uses by several runs upload once */
    kctx dev;             /* the device holding the block (valid while mirror != NULL) */
    void *block;
    size_t bytes;
    void *mirror;
} lx_resident;

void lx_resident_init(lx_resident *r);
/* Frees the device block and the mirror. The device must still exist. */
void lx_resident_fini(lx_resident *r, const lx_mirror_ops *ops);
/* The mirror of model on kc's device, uploading on the first call. A model that does not
 * fit is LTX2_ERR_OOM with err naming `what` and the bytes needed; a second device is
 * refused (one residency per model this round). */
ltx2_status lx_resident_get(lx_resident *r, const lx_mirror_ops *ops, const void *model, const kctx *kc,
                            const char *what, void **mirror, ltx2_error *err);

#endif
