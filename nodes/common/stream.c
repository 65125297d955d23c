/* stream.c — the residency plan and the ring of device slots (see stream.h). */
#include "common/stream.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/kcuda.h"

static double gib(size_t b) { return (double)b / (1024.0 * 1024.0 * 1024.0); }

/* "1.25 GiB", "3.4 MiB": sizes for the words (the messages give exact bytes too). */
typedef struct hsize {
    char s[24];
} hsize;
static hsize hs(size_t b)
{
    hsize h;
    if (b >= ((size_t)1 << 30))
        snprintf(h.s, sizeof h.s, "%.2f GiB", gib(b));
    else
        snprintf(h.s, sizeof h.s, "%.1f MiB", (double)b / (1024.0 * 1024.0));
    return h;
}

lx_room lx_room_of(const kctx *kc, size_t own)
{
    lx_room r = {.bytes = SIZE_MAX, .limited = false, .why = "no budget"};
    if (kc->backend == KB_CUDA && kc->cuda) {
        size_t budget = kcuda_budget(kc->cuda);
        if (kc->budget && kc->budget < budget)
            budget = kc->budget;
        const size_t held = kcuda_bytes_in_use(kc->cuda), others = held > own ? held - own : 0;
        r.bytes = budget > held ? budget - held : 0;
        r.limited = true;
        snprintf(r.why, sizeof r.why, "budget %s, %s held by other models", hs(budget).s, hs(others).s);
    } else if (kc->budget) {
        r.bytes = kc->budget > own ? kc->budget - own : 0;
        r.limited = true;
        snprintf(r.why, sizeof r.why, "budget %s", hs(kc->budget).s);
    }
    return r;
}

bool lx_plan_unit_resident(const lx_plan *p, int i)
{
    if (p->mode == LX_RESIDENT)
        return true;
    /* unit i is resident when the running count floor((i+1)·R/n) steps up at i */
    const int64_t n = p->n_units, r = p->resident_units;
    return ((int64_t)(i + 1) * r) / n > ((int64_t)i * r) / n;
}

static size_t sum_units(const lx_mem_ask *a, size_t *largest)
{
    size_t s = 0, mx = 0;
    for (int i = 0; i < a->n_units; i++) {
        s += a->unit_bytes[i];
        mx = a->unit_bytes[i] > mx ? a->unit_bytes[i] : mx;
    }
    *largest = mx;
    return s;
}

ltx2_status lx_plan_make(const lx_mem_ask *a, const lx_room *room, lx_plan *out, ltx2_error *err)
{
    size_t slot = 0;
    const size_t units = sum_units(a, &slot);
    *out = (lx_plan){.mode = LX_RESIDENT, .n_units = a->n_units, .resident_units = a->n_units, .slot_bytes = slot,
                     .weights = a->fixed + units, .workspace = a->workspace, .room = room->bytes};
    const size_t base = a->fixed + a->workspace_new;
    if (!room->limited || (base <= room->bytes && units <= room->bytes - base))
        return LTX2_OK;
    const size_t least = base + LX_STREAM_MIN_SLOTS * slot;
    if (a->n_units < LX_STREAM_MIN_SLOTS + 1 || slot == 0 || least > room->bytes)
        return ltx2_err(err, LTX2_ERR_OOM,
                        "%s does not fit the device memory budget: it needs %zu bytes (%s) at least: weights kept "
                        "on the device %s + %d %s slots of %s + activations and scratch %s for %s; the budget "
                        "leaves %zu bytes (%s; %s)",
                        a->what, least, hs(least).s, hs(a->fixed).s, LX_STREAM_MIN_SLOTS, a->unit_name, hs(slot).s,
                        hs(a->workspace_new).s, a->workspace_for, room->bytes, hs(room->bytes).s, room->why);
    /* every unit that fits beside the fixed weights and the workspace is on the device at
     * once: LX_STREAM_MIN_SLOTS.. of them as slots, the rest resident */
    size_t fit = (room->bytes - base) / slot;
    if (fit >= (size_t)a->n_units)
        fit = (size_t)a->n_units - 1; /* only when units differ in size: stream one at least */
    int slots = fit < LX_STREAM_MAX_SLOTS ? (int)fit : LX_STREAM_MAX_SLOTS;
    int resident = (int)fit - slots;
    if (resident > a->n_units - slots)
        resident = a->n_units - slots;
    out->mode = LX_STREAMED;
    out->slots = slots;
    out->resident_units = resident;
    out->weights = a->fixed + (size_t)(resident + slots) * slot;
    out->upload_per_pass = 0;
    for (int i = 0; i < a->n_units; i++)
        if (!lx_plan_unit_resident(out, i))
            out->upload_per_pass += a->unit_bytes[i];
    return LTX2_OK;
}

void lx_plan_describe(const lx_plan *p, const char *unit_name, char *buf, size_t size)
{
    if (p->mode == LX_RESIDENT)
        snprintf(buf, size, "resident, %s of weights", hs(p->weights).s);
    else
        snprintf(buf, size, "streamed: %d of %d %ss resident + %d slots of %s, %s uploaded per pass",
                 p->resident_units, p->n_units, unit_name, p->slots, hs(p->slot_bytes).s, hs(p->upload_per_pass).s);
}

void lx_note_merge(const char *old, const char *what, const char *desc, char *out, size_t size)
{
    if (!size)
        return;
    size_t len = 0;
    const size_t wl = strlen(what);
    out[0] = 0;
    for (const char *e = old; e && *e && len < size;) {
        const char *sep = strstr(e, "; ");
        const size_t el = sep ? (size_t)(sep - e) : strlen(e);
        if (!(el > wl && strncmp(e, what, wl) == 0 && e[wl] == ' '))
            len += (size_t)snprintf(out + len, size - len, "%.*s; ", (int)el, e);
        e = sep ? sep + 2 : NULL;
    }
    if (len < size)
        snprintf(out + len, size - len, "%s %s", what, desc);
}

ltx2_status lx_plan_check_workspace(const lx_plan *p, const lx_mem_ask *a, const lx_room *room, ltx2_error *err)
{
    (void)p;
    if (!room->limited || a->workspace_new <= room->bytes)
        return LTX2_OK;
    return ltx2_err(err, LTX2_ERR_OOM,
                    "%s does not fit the device memory budget: activations and scratch for %s need %zu more bytes "
                    "(%s) beside its weights already on the device; the budget leaves %zu bytes (%s; %s)",
                    a->what, a->workspace_for, a->workspace_new, hs(a->workspace_new).s, room->bytes,
                    hs(room->bytes).s, room->why);
}

/* ---------------------------------------------------------------- the ring */
struct lx_ring {
    kctx dev;
    kxfer *xfer;
    int slots;
    size_t slot_bytes;
    char *mem;          /* slots × slot_bytes of device memory */
    int n_units;
    void *const *host;  /* [n_units] pinned images, NULL for resident units */
    const size_t *bytes;
    int *order;         /* the streamed units in pass order */
    int *pos;           /* [n_units] index in order, -1 for resident units */
    int n_streamed;
    /* Positions count streamed units across passes (position p is unit order[p mod
     * n_streamed] in slot p mod slots), so the uploads run on into the next pass. */
    int64_t base;       /* position of the current pass's first streamed unit */
    int64_t next;       /* position of the next upload to queue */
    int released;       /* units of the current pass released so far */
};

void lx_ring_destroy(lx_ring *r)
{
    if (!r)
        return;
    k_xfer_destroy(r->xfer); /* waits for the uploads into mem */
    k_free(&r->dev, r->mem);
    free(r->order);
    free(r->pos);
    free(r);
}

kstatus lx_ring_create(const kctx *dev, int slots, size_t slot_bytes, int n_units, void *const *host,
                       const size_t *bytes, lx_ring **out)
{
    *out = NULL;
    if (slots < 1 || n_units < 1 || !slot_bytes)
        return KS_BAD_ARG;
    lx_ring *r = calloc(1, sizeof *r);
    if (!r)
        return KS_OOM;
    r->dev = *dev;
    r->dev.arena = NULL;
    r->slots = slots;
    r->slot_bytes = (slot_bytes + 255) / 256 * 256; /* every slot starts aligned like a weight block */
    r->n_units = n_units;
    r->host = host;
    r->bytes = bytes;
    r->order = malloc((size_t)n_units * sizeof *r->order);
    r->pos = malloc((size_t)n_units * sizeof *r->pos);
    kstatus st = r->order && r->pos ? KS_OK : KS_OOM;
    for (int i = 0; st == KS_OK && i < n_units; i++) {
        r->pos[i] = host[i] ? r->n_streamed : -1;
        if (host[i]) {
            if (bytes[i] > r->slot_bytes)
                st = KS_BAD_ARG;
            r->order[r->n_streamed++] = i;
        }
    }
    void *mem = NULL;
    if (st == KS_OK)
        st = k_alloc(&r->dev, (size_t)slots * r->slot_bytes, &mem);
    r->mem = mem;
    if (st == KS_OK)
        st = k_xfer_create(&r->dev, slots, &r->xfer);
    if (st != KS_OK) {
        lx_ring_destroy(r);
        return st;
    }
    *out = r;
    return KS_OK;
}

static kstatus queue_next(lx_ring *r)
{
    const int slot = (int)(r->next % r->slots), unit = r->order[r->next % r->n_streamed];
    r->next++;
    return k_xfer_load(r->xfer, slot, r->mem + (size_t)slot * r->slot_bytes, r->host[unit], r->bytes[unit]);
}

kstatus lx_ring_begin(lx_ring *r)
{
    kstatus st = KS_OK;
    if (r->released == r->n_streamed && r->next == r->base + r->n_streamed + r->slots) {
        r->base += r->n_streamed; /* the last pass ran to its end: its uploads went on into this one */
    } else { /* the first pass, or one that stopped early: start over (at a multiple of
              * n_streamed, so position p stays unit p mod n_streamed) */
        r->base = (r->next + r->n_streamed - 1) / r->n_streamed * r->n_streamed;
        r->next = r->base;
        for (int s = 0; st == KS_OK && s < r->slots; s++)
            st = queue_next(r);
    }
    r->released = 0;
    return st;
}

/* The position of streamed unit `unit` in the current pass, or -1. */
static int64_t position(const lx_ring *r, int unit)
{
    return unit >= 0 && unit < r->n_units && r->pos[unit] >= 0 ? r->base + r->pos[unit] : -1;
}

kstatus lx_ring_acquire(lx_ring *r, int unit, void **base)
{
    *base = NULL;
    const int64_t p = position(r, unit);
    if (p < 0 || p >= r->next)
        return KS_BAD_ARG; /* resident, or its upload was never queued (out of order) */
    const int slot = (int)(p % r->slots);
    kstatus st = k_xfer_acquire(r->xfer, slot);
    if (st == KS_OK)
        *base = r->mem + (size_t)slot * r->slot_bytes;
    return st;
}

kstatus lx_ring_release(lx_ring *r, int unit)
{
    const int64_t p = position(r, unit);
    if (p < 0 || p >= r->next)
        return KS_BAD_ARG;
    kstatus st = k_xfer_release(r->xfer, (int)(p % r->slots));
    r->released += st == KS_OK;
    /* the next upload into this slot is the one `slots` places later, in this pass or
     * (past its last unit) the next one: it overlaps the output head and whatever runs
     * between the passes */
    if (st == KS_OK && r->next == p + r->slots)
        st = queue_next(r);
    return st;
}
