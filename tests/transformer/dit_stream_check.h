/* dit_stream_check.h — the transformer under a memory budget (test_dit_fixture.c): the
 * fixture's blocks repeated to STREAM_LAYERS (two blocks cannot stream: two slots would
 * hold them all), run resident and then under budgets that force streaming (two slots;
 * four slots and a resident block), which must give the same bits; a budget below two
 * slots is refused naming the bytes, before any work (the output stays untouched), also
 * by the pre-run check alone (ltx2_dit_prepare). On
 * CUDA, the planned workspace is checked against the arena's and the device's measured
 * peaks. */
#ifndef DIT_STREAM_CHECK_H
#define DIT_STREAM_CHECK_H
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transformer/transformer.h"
#include "../fixture_backend.h"

#define STREAM_LAYERS 6

/* A model sharing m's weights whose blocks are m's repeated to `layers` (m owns them). */
static ltx2_dit *repeat_blocks(ltx2_dit *m, ltx2_checkpoint *w, int layers)
{
    ltx2_dit *r = calloc(1, sizeof *r);
    if (!r || !(r->blocks = malloc((size_t)layers * sizeof *r->blocks))) {
        free(r);
        return NULL;
    }
    atomic_init(&r->refs, 1);
    ltx2_dit_init_resident(r);
    r->cfg = m->cfg;
    r->cfg.num_layers = layers;
    r->video = m->video;
    r->audio = m->audio;
    for (int i = 0; i < layers; i++)
        r->blocks[i] = m->blocks[i % m->cfg.num_layers];
    ltx2_checkpoint_retain(w);
    r->ckpt = w;
    ltx2_dit_retain(m);
    r->base = m; /* owns the shared vectors */
    return r;
}

static int distinct(const float *s, int64_t n)
{
    int nu = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t j = 0;
        while (j < i && memcmp(&s[j], &s[i], sizeof(float)))
            j++;
        nu += j == i;
    }
    return nu;
}

typedef struct stream_case {
    kctx kc;                  /* the test's context (its device) */
    ltx2_checkpoint *w;
    ltx2_dit *m;              /* the fixture model */
    const ltx2_dit_stream *v, *a;
    ltx2_dit_tokens vt, at;
    float *vout, *aout;       /* host buffers of the outputs */
    int64_t nv_out, na_out;   /* their lengths */
} stream_case;

/* A budget leaving `blocks` of r's largest blocks beside its fixed weights and the
 * workspace k plans for. */
static size_t budget_of(const stream_case *sc, const ltx2_dit *r, const kctx *k, double blocks)
{
    size_t fixed = 0, block = 0;
    ltx2_dit_weight_bytes(r, &fixed, &block);
    const ltx2_dit_mem mem = ltx2_dit_workspace(r, k, &sc->vt, &sc->at);
    size_t base = fixed + mem.fresh;
#ifdef LTX2_CUDA
    if (k->backend == KB_CUDA)
        base += kcuda_bytes_in_use(k->cuda);
#endif
    return base + (size_t)(blocks * (double)block);
}

/* The pre-run check alone (what the sampler calls before its first step): refused at 1.5
 * blocks, streamed at 2.5, nothing run either way. */
static void check_prepare(stream_case *sc)
{
    for (int c = 0; c < 2; c++) {
        ltx2_dit *r = repeat_blocks(sc->m, sc->w, STREAM_LAYERS);
        kctx k = sc->kc;
        karena *arena = NULL;
        if (!r || k_arena_create(&k, (size_t)1 << 20, 0, &arena) != KS_OK) {
            FB_CHECK(0, "prepare setup");
            ltx2_dit_release(r);
            return;
        }
        k.arena = arena;
        k.budget = budget_of(sc, r, &k, c ? 2.5 : 1.5);
        ltx2_error err = {0};
        ltx2_status st = ltx2_dit_prepare(r, &k, &sc->vt, sc->a ? &sc->at : NULL, &err);
        const lx_plan *p = ltx2_dit_plan(r);
        if (c == 0)
            FB_CHECK(st == LTX2_ERR_OOM && strstr(err.msg, "block slots") && !p, "prepare at 1.5 blocks: %d \"%s\"",
                     st, err.msg);
        else
            FB_CHECK(st == LTX2_OK && p && p->mode == LX_STREAMED && p->slots == 2 && k_arena_peak(arena) == 0,
                     "prepare at 2.5 blocks: %d \"%s\"", st, err.msg);
        ltx2_dit_release(r);
        k_arena_destroy(arena);
    }
}

/* One forward of a fresh repeated model on kc with a budget of `blocks` largest blocks
 * beside the fixed weights and the planned workspace (0: no budget). Writes the outputs
 * to the host buffers; returns the status, the plan through *plan. */
static ltx2_status stream_run(stream_case *sc, double blocks, lx_plan *plan, ltx2_error *err)
{
    ltx2_dit *r = repeat_blocks(sc->m, sc->w, STREAM_LAYERS);
    if (!r)
        return LTX2_ERR_OOM;
    kctx k = sc->kc;
    karena *arena = NULL;
    if (k_arena_create(&k, (size_t)1 << 20, 0, &arena) != KS_OK) {
        ltx2_dit_release(r);
        return LTX2_ERR_OOM;
    }
    k.arena = arena;
    if (blocks > 0)
        k.budget = budget_of(sc, r, &k, blocks);
    ltx2_status st = ltx2_dit_forward(r, &k, sc->v, sc->a, NULL, NULL, err);
    if (st == LTX2_OK && blocks > 0) /* a second pass reuses the ring */
        st = ltx2_dit_forward(r, &k, sc->v, sc->a, NULL, NULL, err);
    const lx_plan *p = ltx2_dit_plan(r);
    if (plan)
        *plan = p ? *p : (lx_plan){0};
    fb_to_host(&k, sc->vout, sc->v->velocity, sc->nv_out);
    if (sc->a)
        fb_to_host(&k, sc->aout, sc->a->velocity, sc->na_out);
    ltx2_dit_release(r); /* before its arena's device goes */
    k_arena_destroy(arena);
    return st;
}

static void check_same(const char *what, const float *got, const float *want, int64_t n)
{
    int64_t diff = 0;
    for (int64_t i = 0; i < n; i++)
        diff += memcmp(&got[i], &want[i], sizeof(float)) != 0;
    FB_CHECK(diff == 0, "%s: %lld of %lld values differ from the resident run", what, (long long)diff, (long long)n);
}

#ifdef LTX2_CUDA
/* The planned workspace against the measured peaks, on a fresh device (its peak counts
 * this forward only): resident weights + arena + scratch. */
static void check_estimate(stream_case *sc)
{
    kcuda *dev = NULL;
    char why[256] = "";
    FB_CHECK(kcuda_create(0, 0, &dev, why, sizeof why) == KS_OK, "fresh device: %s", why);
    ltx2_dit *r = dev ? repeat_blocks(sc->m, sc->w, STREAM_LAYERS) : NULL;
    karena *arena = NULL;
    kctx k = sc->kc;
    k.cuda = dev;
    if (!r || k_arena_create(&k, (size_t)16 << 20, 0, &arena) != KS_OK) {
        FB_CHECK(0, "estimate setup");
        ltx2_dit_release(r);
        if (dev)
            kcuda_destroy(dev);
        return;
    }
    k.arena = arena;
    const ltx2_dit_mem mem = ltx2_dit_workspace(r, &k, &sc->vt, &sc->at);
    ltx2_error err = {0};
    ltx2_status st = ltx2_dit_forward(r, &k, sc->v, sc->a, NULL, NULL, &err);
    FB_CHECK(st == LTX2_OK, "estimate forward: %s", err.msg);
    FB_CHECK(k_sync(&k) == KS_OK, "sync");
    const lx_plan *p = ltx2_dit_plan(r);
    const size_t weights = p ? p->weights : 0, planned = weights + mem.fresh, peak = kcuda_peak_bytes(dev);
    printf("%s precision: arena planned %zu, used %zu; device peak planned %zu (weights %zu + workspace %zu), "
           "measured %zu\n",
           k.prec == KP_FAST ? "fast" : "exact", mem.arena, k_arena_peak(arena), planned, weights, mem.fresh, peak);
    FB_CHECK(k_arena_peak(arena) <= mem.arena, "the arena used %zu bytes, more than the planned %zu",
             k_arena_peak(arena), mem.arena);
    FB_CHECK(mem.arena <= k_arena_peak(arena) + k_arena_peak(arena) / 10 + 4096,
             "the planned arena %zu is far above the %zu used", mem.arena, k_arena_peak(arena));
    FB_CHECK(peak <= planned, "device peak %zu above the planned %zu", peak, planned);
    FB_CHECK(planned <= peak + peak / 4, "planned %zu far above the device peak %zu", planned, peak);
    ltx2_dit_release(r);
    k_arena_destroy(arena);
    kcuda_destroy(dev);
}
#endif

static void check_streaming(stream_case *sc, const float *vsig, const float *asig, bool mask)
{
    sc->vt = (ltx2_dit_tokens){sc->v->n, sc->v->n_ctx, distinct(vsig, sc->v->n), mask};
    if (sc->a)
        sc->at = (ltx2_dit_tokens){sc->a->n, sc->a->n_ctx, distinct(asig, sc->a->n), mask};
    const int64_t nout = sc->nv_out + sc->na_out;
    float *ref = malloc((size_t)nout * sizeof(float));
    ltx2_error err = {0};
    lx_plan plan;
    ltx2_status st = stream_run(sc, 0, &plan, &err);
    FB_CHECK(st == LTX2_OK, "resident %d-block forward: %s", STREAM_LAYERS, err.msg);
    memcpy(ref, sc->vout, (size_t)sc->nv_out * sizeof(float));
    if (sc->a)
        memcpy(ref + sc->nv_out, sc->aout, (size_t)sc->na_out * sizeof(float));

    /* 2.5 blocks: two slots; 5.5: four slots (the most) and one resident block */
    const struct {
        double blocks;
        int slots, resident;
    } cases[2] = {{2.5, 2, 0}, {5.5, LX_STREAM_MAX_SLOTS, 1}};
    for (int c = 0; c < 2; c++) {
        memset(&err, 0, sizeof err);
        st = stream_run(sc, cases[c].blocks, &plan, &err);
        FB_CHECK(st == LTX2_OK, "streamed forward (%.1f blocks): %s", cases[c].blocks, err.msg);
        char desc[200];
        lx_plan_describe(&plan, "block", desc, sizeof desc);
        printf("budget of %.1f blocks: %s\n", cases[c].blocks, desc);
        FB_CHECK(plan.mode == LX_STREAMED && plan.slots == cases[c].slots && plan.resident_units == cases[c].resident,
                 "%.1f blocks: plan %d, %d slots, %d resident", cases[c].blocks, plan.mode, plan.slots,
                 plan.resident_units);
        FB_CHECK(plan.upload_per_pass == (size_t)(STREAM_LAYERS - plan.resident_units) * plan.slot_bytes,
                 "upload per pass %zu", plan.upload_per_pass);
        check_same("streamed video velocity", sc->vout, ref, sc->nv_out);
        if (sc->a)
            check_same("streamed audio velocity", sc->aout, ref + sc->nv_out, sc->na_out);
    }

    /* 1.5 blocks: refused before any work; the outputs keep their sentinel */
    for (int64_t i = 0; i < sc->nv_out; i++)
        sc->vout[i] = 12345.0f;
    float *dv = (float *)sc->v->velocity;
    if (sc->kc.backend != KB_CPU)
        FB_CHECK(k_copy(&sc->kc, dv, sc->vout, (size_t)sc->nv_out * sizeof(float), K_H2D) == KS_OK, "sentinel");
    memset(&err, 0, sizeof err);
    st = stream_run(sc, 1.5, &plan, &err);
    printf("budget of 1.5 blocks: %s\n", err.msg);
    FB_CHECK(st == LTX2_ERR_OOM && strstr(err.msg, "transformer") && strstr(err.msg, "block slots") &&
                 strstr(err.msg, "bytes") && strstr(err.msg, "video"),
             "refusal: status %d, \"%s\"", st, err.msg);
    int64_t touched = 0;
    for (int64_t i = 0; i < sc->nv_out; i++)
        touched += sc->vout[i] != 12345.0f;
    FB_CHECK(touched == 0, "the refused run wrote %lld outputs", (long long)touched);
    check_prepare(sc);
#ifdef LTX2_CUDA
    if (sc->kc.backend == KB_CUDA) { /* both precisions: their kernels take different scratch */
        check_estimate(sc);
        sc->kc.prec = KP_FAST;
        check_estimate(sc);
        sc->kc.prec = KP_EXACT;
    }
#endif
    free(ref);
}

#endif
