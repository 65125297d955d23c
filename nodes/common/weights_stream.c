/* weights_stream.c — planned residency of a streamable model (weights.h): the plan of
 * its first run under the budget, the pinned images of its streamed units, their ring
 * of device slots, and the per-unit steps of a pass. */
#include <stdio.h>
#include <stdlib.h>

#include "common/weights_internal.h"
#include "cuda/kcuda.h"
#include "node.h"

struct lx_streamed {
    int n_units;
    void **pinned;     /* [n_units] images of the streamed units (NULL for resident ones) */
    size_t *bytes;     /* [n_units] */
    lx_ring *ring;
};

void lx_streamed_free(const kctx *dev, lx_streamed *s)
{
    if (!s)
        return;
    lx_ring_destroy(s->ring); /* first: it waits for uploads reading the images */
    for (int i = 0; s->pinned && i < s->n_units; i++)
        k_pinned_free(dev, s->pinned[i]);
    free(s->pinned);
    free(s->bytes);
    free(s);
}

/* Pinned images of the units the plan streams (host copies from the mapping; the
 * mirror's slots of those units point into them until a pass repoints them), and the
 * ring. */
static ltx2_status make_streamed(const kctx *dev, const lx_unit_ops *ops, void *mirror, const lx_plan *plan,
                                 size_t *unit_bytes, const char *what, lx_streamed **out, ltx2_error *err)
{
    *out = NULL;
    lx_streamed *s = calloc(1, sizeof *s);
    if (!s || !(s->pinned = calloc((size_t)plan->n_units, sizeof *s->pinned))) {
        free(s);
        free(unit_bytes);
        return ltx2_err(err, LTX2_ERR_OOM, "%s: out of host memory", what);
    }
    s->n_units = plan->n_units;
    s->bytes = unit_bytes;
    const kctx host = kctx_default(NULL);
    kstatus ks = KS_OK;
    size_t pinned = 0;
    for (int i = 0; ks == KS_OK && i < plan->n_units; i++) {
        if (lx_plan_unit_resident(plan, i))
            continue;
        ks = k_pinned_alloc(dev, unit_bytes[i], &s->pinned[i]);
        if (ks != KS_OK)
            break;
        pinned += unit_bytes[i];
        lx_upload u = {.dev = &host, .block = s->pinned[i]};
        ops->walk_unit(mirror, i, &u);
        ks = u.st;
    }
    if (ks == KS_OK)
        ks = lx_ring_create(dev, plan->slots, plan->slot_bytes, plan->n_units, s->pinned, s->bytes, &s->ring);
    if (ks != KS_OK) {
        lx_streamed_free(dev, s);
        if (ks == KS_OOM)
            return ltx2_err(err, LTX2_ERR_OOM,
                            "%s: streaming needs %.2f GiB of pinned host memory and %d device slots of %zu bytes: "
                            "out of memory (%s)",
                            what, (double)pinned / (1u << 30), plan->slots, plan->slot_bytes,
                            dev->backend == KB_CUDA ? kcuda_last_error(dev->cuda) : "host");
        return ltx2_kerr(err, ks, what);
    }
    *out = s;
    return LTX2_OK;
}

/* The device's note gets this model's plan beside the other models' (lx_note_merge). */
static void add_note(kcuda *d, const char *what, const lx_plan *plan, const char *unit_name)
{
    char old[256], note[256], desc[200];
    kcuda_note(d, old, sizeof old);
    lx_plan_describe(plan, unit_name, desc, sizeof desc);
    lx_note_merge(old, what, desc, note, sizeof note);
    kcuda_set_note(d, note);
}

static ltx2_status plan_and_place(lx_resident *r, const lx_unit_ops *ops, const void *model, const kctx *kc,
                                  const char *what, const lx_mem_ask *ws, ltx2_error *err)
{
    kctx dev = {.backend = kc->backend, .cuda = kc->cuda, .prec = kc->prec, .isa = kc->isa};
    void *mirror = ops->mirror->make(model);
    const int n = mirror ? ops->n_units(mirror) : 0;
    size_t *unit_bytes = mirror ? calloc((size_t)(n > 0 ? n : 1), sizeof *unit_bytes) : NULL;
    if (!unit_bytes) {
        if (mirror)
            ops->mirror->free(mirror);
        return ltx2_err(err, LTX2_ERR_OOM, "%s: out of host memory for the device weights", what);
    }
    lx_upload u = {.dev = &dev};
    ops->walk_fixed(mirror, &u);
    const size_t fixed = u.bytes + u.conv_bytes;
    for (int i = 0; i < n; i++) {
        u = (lx_upload){.dev = &dev};
        ops->walk_unit(mirror, i, &u);
        unit_bytes[i] = u.bytes;
    }
    lx_mem_ask ask = *ws;
    ask.what = what;
    ask.unit_name = ops->unit_name;
    ask.fixed = fixed;
    ask.n_units = n;
    ask.unit_bytes = unit_bytes;
    const lx_room room = lx_room_of(kc, 0);
    lx_plan plan;
    ltx2_status st = lx_plan_make(&ask, &room, &plan, err);
    void *block = NULL;
    size_t bytes = 0;
    if (st == LTX2_OK)
        st = lx_place_block(&dev, ops->mirror, ops, mirror, &plan, what, &block, &bytes, err);
    lx_streamed *streamed = NULL;
    if (st == LTX2_OK && plan.mode == LX_STREAMED) {
        st = make_streamed(&dev, ops, mirror, &plan, unit_bytes, what, &streamed, err);
        unit_bytes = NULL; /* owned by streamed now (freed on failure) */
        if (st != LTX2_OK)
            k_free(&dev, block);
    }
    free(unit_bytes);
    if (st != LTX2_OK) {
        ops->mirror->free(mirror);
        return st;
    }
    r->dev = dev;
    r->block = block;
    r->bytes = bytes;
    r->mirror = mirror;
    r->plan = plan;
    r->planned = true;
    r->streamed = streamed;
    if (dev.backend == KB_CUDA)
        add_note(dev.cuda, what, &plan, ops->unit_name);
    return LTX2_OK;
}

ltx2_status lx_resident_get_planned(lx_resident *r, const lx_unit_ops *ops, const void *model, const kctx *kc,
                                    const char *what, const lx_mem_ask *workspace, void **mirror, ltx2_error *err)
{
    *mirror = NULL;
    ltx2_status st = LTX2_OK;
    pthread_mutex_lock(&r->lock);
    if (!r->mirror) {
        st = plan_and_place(r, ops, model, kc, what, workspace, err);
    } else if (r->dev.backend != kc->backend || r->dev.cuda != kc->cuda) {
        st = ltx2_err(err, LTX2_ERR_UNSUPPORTED, "%s: the weights already live on another device", what);
    } else if (r->planned) {
        /* the weights are placed: this run's workspace must fit beside them */
        lx_mem_ask ask = *workspace;
        ask.what = what;
        ask.unit_name = ops->unit_name;
        const size_t own = r->bytes + (r->streamed ? (size_t)r->plan.slots * r->plan.slot_bytes : 0);
        const lx_room room = lx_room_of(kc, own);
        st = lx_plan_check_workspace(&r->plan, &ask, &room, err);
    }
    if (st == LTX2_OK)
        *mirror = r->mirror;
    pthread_mutex_unlock(&r->lock);
    return st;
}

const lx_plan *lx_resident_plan(const lx_resident *r) { return r->planned ? &r->plan : NULL; }

kstatus lx_resident_pass_begin(lx_resident *r)
{
    if (!r->streamed)
        return KS_OK;
    pthread_mutex_lock(&r->pass);
    kstatus st = lx_ring_begin(r->streamed->ring);
    if (st != KS_OK)
        pthread_mutex_unlock(&r->pass);
    return st;
}

kstatus lx_resident_unit_begin(lx_resident *r, const lx_unit_ops *ops, int i)
{
    if (!r->streamed || lx_plan_unit_resident(&r->plan, i))
        return KS_OK;
    void *base = NULL;
    kstatus st = lx_ring_acquire(r->streamed->ring, i, &base);
    if (st != KS_OK)
        return st;
    lx_upload u = {.dev = &r->dev, .block = base, .repoint = true};
    ops->walk_unit(r->mirror, i, &u);
    return u.st;
}

kstatus lx_resident_unit_end(lx_resident *r, int i)
{
    if (!r->streamed || lx_plan_unit_resident(&r->plan, i))
        return KS_OK;
    return lx_ring_release(r->streamed->ring, i);
}

void lx_resident_pass_end(lx_resident *r)
{
    if (r->streamed)
        pthread_mutex_unlock(&r->pass);
}
