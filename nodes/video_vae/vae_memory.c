/* vae_memory.c — the decode's memory from its allocations, and the budget plan (see
 * vae_memory.h). The replays below follow ltx2_vae_decode_run, vblock_res, vblock_up,
 * ltx2_vae_decode_tiled and the decode nodes allocation by allocation; a change there
 * changes them here (tests/video_vae/test_vae_memory.c measures both). */
#include "video_vae/vae_memory.h"

#include <stdio.h>
#include <string.h>

#include "cuda/kcuda.h"

/* Default overlaps of the tiled decode and the grid its tiles sit on (vae_tiling.c's
 * rules: multiples of the model's 32 px / 8 frames, overlap < tile). */
#define FIT_OVERLAP_PX 64
#define FIT_OVERLAP_FRAMES 24

typedef struct track {
    kbackend backend;
    size_t live, peak;
} track;

/* The bytes of vae_alloc(n): k_alloc rounds host blocks to 64 bytes, CUDA takes them as asked. */
static size_t fbytes(kbackend b, int64_t n)
{
    size_t s = (size_t)(n > 0 ? n : 1) * sizeof(float);
    return b == KB_CPU ? (s + 63) / 64 * 64 : s;
}
static void take(track *t, int64_t n)
{
    t->live += fbytes(t->backend, n);
    if (t->live > t->peak)
        t->peak = t->live;
}
static void give(track *t, int64_t n) { t->live -= fbytes(t->backend, n); }

size_t vae_decode_activation_peak(const ltx2_video_vae *v, const kctx *kc, int64_t f, int64_t h, int64_t w)
{
    track t = {.backend = kc->backend};
    int64_t n = f * h * w, c = v->dec.conv_in.cout, cur = n * c; /* cur: floats of the live stage buffer */
    take(&t, n * v->latent_ch); /* x: the un-normalized latent */
    take(&t, cur);
    give(&t, n * v->latent_ch);
    for (int i = 0; i < v->dec.n_blocks; i++) {
        const vblock *b = &v->dec.blocks[i];
        if (b->kind == VB_RES) {
            const int te = b->has_te ? 2 : 0; /* temb, then vblock_res' ada */
            for (int k = 0; k < te; k++)
                take(&t, 4 * c);
            take(&t, n * c); /* a, z of vblock_res */
            take(&t, n * c);
            give(&t, n * c);
            give(&t, n * c);
            for (int k = 0; k < te; k++)
                give(&t, 4 * c);
            continue;
        }
        /* vblock_up: y, d, res; y and res go, then the caller's cur; d (all T frames,
         * the dropped one included) becomes cur */
        const int64_t P = (int64_t)b->st * b->sh * b->sw, T = f * b->st, H = h * b->sh, W = w * b->sw;
        const int64_t ny = n * P * b->cout, nd = T * H * W * b->cout, nr = T * H * W * (c / P);
        take(&t, ny);
        take(&t, nd);
        if (b->residual)
            take(&t, nr);
        give(&t, ny);
        if (b->residual)
            give(&t, nr);
        give(&t, cur);
        cur = nd;
        f = T - (b->st == 2 ? 1 : 0);
        h = H;
        w = W;
        c = b->cout;
        n = f * h * w;
    }
    if (v->ts_cond) {
        take(&t, 2 * c);
        give(&t, 2 * c);
    }
    take(&t, n * v->dec.conv_out.cout); /* x: conv_out's output beside cur */
    return t.peak;
}

/* The timestep embedder's arena workspace: its features and hidden row. */
static size_t embed_scratch(const vtembed *e) { return (256 + (size_t)e->l1.rows) * sizeof(float) + 128; }

/* The device scratch the embedders' GEMMs grow kcuda's scratch to, beyond what it holds
 * (CUDA only; the convolutions take none). */
static size_t gemm_scratch_new(const ltx2_video_vae *v, const kctx *kc)
{
#ifdef LTX2_CUDA
    if (kc->backend != KB_CUDA || !kc->cuda || !v->ts_cond)
        return 0;
    size_t mx = 0;
    for (int i = -1; i < v->dec.n_blocks; i++) { /* -1: the final AdaLN's embedder */
        if (i >= 0 && !v->dec.blocks[i].has_te)
            continue;
        const vtembed *e = i < 0 ? &v->last_te : &v->dec.blocks[i].te;
        for (int l = 0; l < 2; l++) { /* vtembed_run computes in exact precision */
            const size_t b = kcuda_linear_scratch(kc->cuda, KP_EXACT, 1, l ? &e->l2 : &e->l1);
            mx = b > mx ? b : mx;
        }
    }
    /* growing frees the old scratch before making the new one */
    const size_t want = kcuda_scratch_rounded(kc->cuda, mx), held = kcuda_scratch_held(kc->cuda);
    return want > held ? want - held : 0;
#else
    (void)v;
    (void)kc;
    return 0;
#endif
}

size_t vae_decode_scratch(const ltx2_video_vae *v, const kctx *kc, int64_t f, int64_t h, int64_t w)
{
    const vtpad tpad = v->causal_dec ? VT_CAUSAL : VT_SYMM;
    const kpad spad = v->dec_spad;
    size_t mx = vconv_scratch(kc, &v->dec.conv_in, f, h, w, tpad, spad), s;
#define KEEP(x) do { s = (x); if (s > mx) mx = s; } while (0)
    for (int i = 0; i < v->dec.n_blocks; i++) {
        const vblock *b = &v->dec.blocks[i];
        if (b->kind == VB_RES) {
            for (int j = 0; j < b->n_res; j++) {
                KEEP(vconv_scratch(kc, &b->res[j].conv1, f, h, w, tpad, spad));
                KEEP(vconv_scratch(kc, &b->res[j].conv2, f, h, w, tpad, spad));
            }
            if (b->has_te)
                KEEP(embed_scratch(&b->te));
            continue;
        }
        KEEP(vconv_scratch(kc, &b->conv, f, h, w, tpad, spad));
        f = f * b->st - (b->st == 2 ? 1 : 0);
        h *= b->sh;
        w *= b->sw;
    }
    if (v->ts_cond)
        KEEP(embed_scratch(&v->last_te));
    KEEP(vconv_scratch(kc, &v->dec.conv_out, f, h, w, tpad, spad));
#undef KEEP
    return mx;
}

/* What the decode's scratch adds: beyond what kc's arena holds (the node contexts of a
 * CUDA run carry one). Without an arena each decode call makes its own
 * (lx_workspace), whose first chunk may round this up to a few MiB. */
static size_t scratch_new(const kctx *kc, size_t bytes)
{
    if (kc->arena)
        return k_arena_fresh_for(kc->arena, bytes);
    return bytes;
}

/* vae_decode_mem with the weights' bytes given (the tile search asks many times). */
static ltx2_status mem_of(const ltx2_video_vae *v, const kctx *kc, int64_t f, int64_t h, int64_t w,
                          const vae_tiling *cfg, int out_copies, size_t weights, vae_dec_mem *out, ltx2_error *err)
{
    memset(out, 0, sizeof *out);
    const kbackend be = kc->backend;
    const int64_t C = v->latent_ch, ch = v->in_ch;
    int64_t F, H, W;
    ltx2_vae_pixel_size(v, f, h, w, &F, &H, &W);
    out->weights = weights;
    out->frames = fbytes(be, F * H * W * ch);
    size_t scratch = 0;
    if (!cfg) {
        out->tiles = 1;
        out->activations = vae_decode_activation_peak(v, kc, f, h, w) + (v->ts_cond ? fbytes(be, C * f * h * w) : 0);
        scratch = vae_decode_scratch(v, kc, f, h, w);
    } else {
        vae_tile_plan p;
        ltx2_status st = vae_tile_plan_make(v, f, h, w, cfg, &p, err);
        if (st != LTX2_OK)
            return st;
        /* the blend tables on a device: per axis the weight sum and every tile's mask */
        int64_t tab = F + H + W;
        for (int a = 0; a < 3; a++)
            for (int i = 0; i < p.n[a]; i++)
                tab += p.o1[a][i] - p.o0[a][i];
        /* the tiles are a Cartesian product of per-axis intervals and every buffer grows
         * with each side: the tile of the longest interval on each axis needs the most */
        int64_t len[3] = {0, 0, 0};
        for (int a = 0; a < 3; a++)
            for (int i = 0; i < p.n[a]; i++)
                if (p.iv[a][i].end - p.iv[a][i].start > len[a])
                    len[a] = p.iv[a][i].end - p.iv[a][i].start;
        int64_t TF, TH, TW;
        ltx2_vae_pixel_size(v, len[0], len[1], len[2], &TF, &TH, &TW);
        /* its latent and noise, its pixels, and its decode */
        const size_t tile = 2 * fbytes(be, C * len[0] * len[1] * len[2]) + fbytes(be, TF * TH * TW * ch) +
                            vae_decode_activation_peak(v, kc, len[0], len[1], len[2]);
        scratch = vae_decode_scratch(v, kc, len[0], len[1], len[2]);
        out->tiles = p.n[0] * p.n[1] * p.n[2];
        out->activations = tile + (be == KB_CPU ? 0 : fbytes(be, tab));
        vae_tile_plan_free(&p);
    }
    out->scratch = scratch_new(kc, scratch) + gemm_scratch_new(v, kc);
    const size_t during = out->frames + out->activations + out->scratch,
                 after = out->frames * (size_t)(1 + (out_copies > 0 ? out_copies : 0));
    out->total = out->weights + (during > after ? during : after);
    return LTX2_OK;
}

static size_t weights_new(const ltx2_video_vae *v, const kctx *kc)
{
    return ltx2_vae_resident_on(v, kc) ? 0 : ltx2_vae_weight_bytes(v);
}

ltx2_status vae_decode_mem(const ltx2_video_vae *v, const kctx *kc, int64_t f, int64_t h, int64_t w,
                           const vae_tiling *cfg, int out_copies, vae_dec_mem *out, ltx2_error *err)
{
    return mem_of(v, kc, f, h, w, cfg, out_copies, weights_new(v, kc), out, err);
}

void vae_tiling_describe(const vae_tiling *cfg, char *buf, size_t size)
{
    char sp[64], tm[64];
    if (cfg->tile_px > 0)
        snprintf(sp, sizeof sp, "%lld px (overlap %lld)", (long long)cfg->tile_px, (long long)cfg->overlap_px);
    else
        snprintf(sp, sizeof sp, "the whole frame");
    if (cfg->tile_frames > 0)
        snprintf(tm, sizeof tm, "%lld frames (overlap %lld)", (long long)cfg->tile_frames, (long long)cfg->overlap_frames);
    else
        snprintf(tm, sizeof tm, "all frames");
    snprintf(buf, size, "tiles of %s x %s", sp, tm);
}

static double gib(size_t b) { return (double)b / (1024.0 * 1024.0 * 1024.0); }

static ltx2_status refuse(const vae_dec_fit *fit, const char *which, ltx2_error *err)
{
    char t[160];
    vae_tiling_describe(&fit->cfg, t, sizeof t);
    const vae_dec_mem *m = &fit->mem;
    return ltx2_err(err, LTX2_ERR_OOM,
                    "the video VAE decode does not fit the device memory budget: %s (%s, %d tiles) need %zu bytes "
                    "(%.2f GiB): weights %zu (%.2f GiB) + one tile's activations %zu (%.2f GiB) + scratch %zu + "
                    "the frames %zu (%.2f GiB); the budget leaves %zu bytes (%.2f GiB; %s)",
                    which, t, m->tiles, m->total, gib(m->total), m->weights, gib(m->weights), m->activations,
                    gib(m->activations), m->scratch, m->frames, gib(m->frames), fit->room.bytes, gib(fit->room.bytes),
                    fit->room.why);
}

static bool fits(const vae_dec_mem *m, const lx_room *r) { return !r->limited || m->total <= r->bytes; }

ltx2_status vae_decode_fit_budget(const ltx2_video_vae *v, const kctx *kc, int64_t f, int64_t h, int64_t w,
                                  const vae_tiling *user, int out_copies, vae_dec_fit *out, ltx2_error *err)
{
    memset(out, 0, sizeof *out);
    out->room = lx_room_of(kc, 0);
    const size_t wb = weights_new(v, kc);
    ltx2_status st;
    if (user) {
        out->tiled = true;
        out->cfg = *user;
        if ((st = mem_of(v, kc, f, h, w, user, out_copies, wb, &out->mem, err)) != LTX2_OK)
            return st;
        return fits(&out->mem, &out->room) ? LTX2_OK : refuse(out, "the tiles asked for", err);
    }
    if ((st = mem_of(v, kc, f, h, w, NULL, out_copies, wb, &out->mem, err)) != LTX2_OK)
        return st;
    out->whole = out->mem.total;
    if (fits(&out->mem, &out->room))
        return LTX2_OK;
    /* the grid in the model's units: fs pixels per latent position, ft frames per step */
    int64_t F, H, W, ft, fs, one;
    ltx2_vae_pixel_size(v, f, h, w, &F, &H, &W);
    ltx2_vae_pixel_size(v, 2, 1, 1, &ft, &fs, &one);
    ft -= 1;
    const int64_t lng = H > W ? H : W, min_px = FIT_OVERLAP_PX + fs, min_fr = FIT_OVERLAP_FRAMES + ft;
    /* per axis: untiled (0) first, then every size from the axis' length down to the
     * smallest the default overlap allows */
    const int64_t top_px = lng / fs * fs, top_fr = (F - 1) / ft * ft;
    vae_dec_fit best = *out;
    bool found = false;
    for (int64_t sp = top_px + fs; sp >= min_px; sp -= fs) {
        const int64_t tpx = sp > top_px ? 0 : sp;
        for (int64_t tf = (top_fr > min_fr ? top_fr : min_fr) + ft; tf >= min_fr; tf -= ft) {
            const int64_t tfr = tf > top_fr ? 0 : tf;
            if (tpx == 0 && tfr == 0)
                continue; /* the whole decode, refused above */
            vae_dec_fit c = *out;
            c.tiled = c.chosen = true;
            c.cfg = (vae_tiling){tpx, FIT_OVERLAP_PX, tfr, FIT_OVERLAP_FRAMES};
            ltx2_error e = {0};
            if (mem_of(v, kc, f, h, w, &c.cfg, out_copies, wb, &c.mem, &e) != LTX2_OK || !fits(&c.mem, &c.room))
                continue;
            /* fewest tiles; on a tie the first found, the larger spatial tile (fewer seams) */
            if (!found || c.mem.tiles < best.mem.tiles) {
                best = c;
                found = true;
            }
        }
    }
    if (found) {
        *out = best;
        return LTX2_OK;
    }
    vae_dec_fit smallest = *out;
    smallest.tiled = smallest.chosen = true;
    smallest.cfg = (vae_tiling){min_px, FIT_OVERLAP_PX, min_fr, FIT_OVERLAP_FRAMES};
    if (mem_of(v, kc, f, h, w, &smallest.cfg, out_copies, wb, &smallest.mem, err) != LTX2_OK)
        smallest.mem = out->mem;
    *out = smallest;
    return refuse(out, "even the smallest tiles", err);
}
