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
#include <stdbool.h>
#include <stddef.h>
#include "error.h"
#include "common/stream.h"
#include "kernels.h"

/* One walk over a mirror's weight slots. */
typedef struct lx_upload {
    const kctx *dev;    /* the device context */
    char *block;        /* NULL while sizing */
    bool repoint;       /* with block: only repoint the slots into it (the bytes are there) */
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

/* A streamable model (lx_resident_get_planned): fixed weights plus n_units units
 * (blocks, layers) run in order; mirror->walk must equal walk_fixed followed by walk_unit
 * for every unit in order. Units hold no conv weights. */
typedef struct lx_unit_ops {
    const lx_mirror_ops *mirror;
    int (*n_units)(const void *mirror);
    void (*walk_fixed)(void *mirror, lx_upload *u);
    void (*walk_unit)(void *mirror, int i, lx_upload *u);
    const char *unit_name; /* "block" */
} lx_unit_ops;

typedef struct lx_streamed lx_streamed; /* the streamed units of a planned residency */

typedef struct lx_resident {
    pthread_mutex_t lock; /* the first uses by several runs upload once */
    kctx dev;             /* the device holding the block (valid while mirror != NULL) */
    void *block;
    size_t bytes;
    void *mirror;
    /* lx_resident_get_planned: the plan of the first run, and when streamed the pinned
     * images and the ring (NULL when resident). */
    bool planned;
    lx_plan plan;
    lx_streamed *streamed;
    pthread_mutex_t pass; /* one streamed pass at a time: the ring's slots are shared */
} lx_resident;

void lx_resident_init(lx_resident *r);
/* Frees the device block and the mirror. The device must still exist. */
void lx_resident_fini(lx_resident *r, const lx_mirror_ops *ops);
/* The mirror of model on kc's device, uploading on the first call. A model that does not
 * fit is LTX2_ERR_OOM with err naming `what` and the bytes needed; a second device is
 * refused (one residency per model this round). */
ltx2_status lx_resident_get(lx_resident *r, const lx_mirror_ops *ops, const void *model, const kctx *kc,
                            const char *what, void **mirror, ltx2_error *err);

/* ---------------------------------------------------------------- planned residency */
/* lx_resident_get for a streamable model under kc's budget (stream.h): the first call
 * plans (resident or streamed) from the weights and the workspace fields of `workspace`
 * (workspace, workspace_new, workspace_for: this run's activations and scratch; the rest
 * of the ask is filled here) and places the weights; later calls check that their
 * workspace fits beside them. Refusals are LTX2_ERR_OOM naming `what` and the
 * bytes, before any work. On a CUDA device the plan is also the device's note. */
ltx2_status lx_resident_get_planned(lx_resident *r, const lx_unit_ops *ops, const void *model, const kctx *kc,
                                    const char *what, const lx_mem_ask *workspace, void **mirror, ltx2_error *err);
/* A pass over the units of a planned mirror: begin takes the ring for the pass (a second
 * streamed pass waits) and queues the first uploads; unit_begin makes unit i's weights
 * usable (a streamed unit's slots in the mirror are repointed into its device slot, and
 * the compute queue waits for its upload); unit_end frees its slot for the next upload;
 * end gives the ring back (always call it after a successful begin). Nothing to do for
 * resident units. */
kstatus lx_resident_pass_begin(lx_resident *r);
kstatus lx_resident_unit_begin(lx_resident *r, const lx_unit_ops *ops, int i);
kstatus lx_resident_unit_end(lx_resident *r, int i);
void lx_resident_pass_end(lx_resident *r);
/* The plan, or NULL before the first planned use. */
const lx_plan *lx_resident_plan(const lx_resident *r);

#endif
