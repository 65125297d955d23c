/* stream.h — weight residency under a memory budget, for models made of units (the
 * transformer's blocks; later Gemma's layers).
 *
 * Before a model's first run on a device, lx_plan_make decides from what the run needs
 * (the weights that always stay, the units, the activation/scratch peak of the run) and
 * what the budget leaves (lx_room):
 *   - resident: everything fits: all weights on the device, as without a budget;
 *   - streamed: the fixed weights and as many units as fit stay on the device, the
 *     others live in pinned host memory and pass through a ring of device slots
 *     (LX_STREAM_MIN_SLOTS..LX_STREAM_MAX_SLOTS), uploaded on a copy queue while the
 *     unit before computes (lx_ring);
 *   - refused: not even two slots fit: LTX2_ERR_OOM naming what needs the memory and
 *     the bytes, before any work.
 * Why resident units rather than more slots: a resident unit saves its upload on every
 * pass; a slot past a few only lets uploads run further ahead, which does not shorten a
 * pass whose uploads take longer than its compute (PCIe-bound; docs/PERFORMANCE.md). */
#ifndef LTX2_COMMON_STREAM_H
#define LTX2_COMMON_STREAM_H
#include <stdbool.h>
#include <stddef.h>
#include "error.h"
#include "kernels.h"

#define LX_STREAM_MIN_SLOTS 2
#define LX_STREAM_MAX_SLOTS 4

typedef enum lx_residency { LX_RESIDENT = 0, LX_STREAMED = 1 } lx_residency;

/* What a model asks of the device for one run. */
typedef struct lx_mem_ask {
    const char *what;          /* "transformer" */
    const char *unit_name;     /* "block" */
    size_t fixed;              /* weights that stay on the device in every mode */
    int n_units;
    const size_t *unit_bytes;  /* [n_units] each unit's weights on the device */
    size_t workspace;          /* activations and op scratch at the run's peak (for the words) */
    size_t workspace_new;      /* the part the run must still allocate (the rest is workspace
                                * memory the device already holds for it) */
    const char *workspace_for; /* what sizes the workspace ("6144 video + 126 audio tokens") */
} lx_mem_ask;

/* What the budget leaves a model: bytes, and words for messages ("budget 8.00 GiB,
 * 0.42 GiB held by other models"). */
typedef struct lx_room {
    size_t bytes;
    bool limited; /* false: no budget applies (a CPU context without one) */
    char why[160];
} lx_room;

typedef struct lx_plan {
    lx_residency mode;
    int n_units, resident_units, slots; /* streamed: resident_units stay, the rest use slots */
    size_t slot_bytes;                  /* the largest unit */
    size_t weights;                     /* device bytes of the weights: fixed + resident units + slots */
    size_t workspace;                   /* the run's activations and scratch, as asked */
    size_t upload_per_pass;             /* streamed: bytes uploaded per pass */
    size_t room;                        /* what the budget left when the plan was made */
} lx_plan;

/* The budget's room on kc's backend: the smaller of kc->budget and the device's budget,
 * less the device memory in use (a run's reused workspace is left out of its ask
 * instead). own: bytes of the asking model already on the device (in use, but not "held
 * by other models" in the words). */
lx_room lx_room_of(const kctx *kc, size_t own);
/* Decides the residency (see the top). LTX2_ERR_OOM with the message when nothing fits. */
ltx2_status lx_plan_make(const lx_mem_ask *a, const lx_room *room, lx_plan *out, ltx2_error *err);
/* Whether unit i stays on the device (always, when resident). The resident units of a
 * streamed plan are spread evenly, so uploads overlap their compute too. */
bool lx_plan_unit_resident(const lx_plan *p, int i);
/* "resident, 35.18 GiB of weights" / "streamed: 15 of 48 blocks resident + 4 slots of
 * 0.72 GiB, 23.73 GiB uploaded per pass" */
void lx_plan_describe(const lx_plan *p, const char *unit_name, char *buf, size_t size);
/* A device note with one entry per model ("transformer streamed: …; Gemma 3 text model
 * resident, …"): old with the entry of `what` replaced by "what desc" (appended when
 * absent), cut to size. */
void lx_note_merge(const char *old, const char *what, const char *desc, char *out, size_t size);
/* The refusal of a later run whose workspace does not fit beside the weights placed. */
ltx2_status lx_plan_check_workspace(const lx_plan *p, const lx_mem_ask *a, const lx_room *room, ltx2_error *err);

/* ---------------------------------------------------------------- the ring */
/* Device slots that streamed units pass through in order, uploads on a transfer queue
 * (k_xfer): streamed units are numbered across passes (position p: unit p mod n_streamed
 * of the pass order, slot p mod slots); the upload of position p is queued when position
 * p - slots releases the slot, and the compute queue waits for it at acquire. The last
 * units of a pass thus queue the first uploads of the next; a pass that stopped early
 * makes the next start over. One pass at a time (the caller serialises passes). */
typedef struct lx_ring lx_ring;
/* host[i]: the pinned image of unit i (bytes[i] long), NULL for a resident unit. */
kstatus lx_ring_create(const kctx *dev, int slots, size_t slot_bytes, int n_units, void *const *host,
                       const size_t *bytes, lx_ring **out);
void lx_ring_destroy(lx_ring *r); /* NULL-safe; waits for queued uploads */
/* A pass starts: queues the uploads of the first `slots` streamed units, unless the
 * previous pass ran to its end and queued them already. */
kstatus lx_ring_begin(lx_ring *r);
/* Before streamed unit i computes: the compute queue waits for its upload; *base is the
 * slot holding its image. */
kstatus lx_ring_acquire(lx_ring *r, int unit, void **base);
/* After unit i's work is queued: frees its slot and queues the upload of the streamed
 * unit `slots` places later into it (wrapping into the next pass). */
kstatus lx_ring_release(lx_ring *r, int unit);

#endif
