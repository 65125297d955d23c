/* bench_vae.c — video VAE decode of a 128-channel 4×16×24 latent (→ 25×512×768 frames)
 * with the 19B decoder layout (conv_in 128→1024, res_x 5 @1024/512/256/128, three
 * residual depth-to-space ×2 blocks, no timestep conditioning), random bf16 weights made
 * in memory. Rows: tiled (the reference default 512/64 px, 64/24 frames: 4 tiles here)
 * and untiled, seconds and peak RSS (tiled runs first: ru_maxrss only grows). A probe
 * conv estimates the time first; when the full widths would take longer than
 * LTX2_BENCH_VAE_MAX_S (default 120 s) the rows run at widths / 4 and say so. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "video_vae/vae_tiling.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* bf16 weights of one conv, kept alive until the model is freed (the packed copy may
 * point into them). */
typedef struct wstore {
    uint16_t **bufs;
    int n, cap;
} wstore;

static int make_conv(const kctx *ctx, wstore *ws, vconv *c, int64_t cout, int64_t cin, uint64_t seed)
{
    int64_t k = cin * 27, n = cout * k;
    uint16_t *w = malloc((size_t)n * sizeof *w);
    float *tmp = malloc((size_t)(k < 4096 ? 4096 : k) * sizeof *tmp);
    c->bias = calloc((size_t)cout, sizeof *c->bias);
    if (!w || !tmp || !c->bias || ws->n == ws->cap) {
        free(w);
        free(tmp);
        return 0;
    }
    float scale = 1.0f / (float)k;
    for (int64_t r = 0; r < cout; r++) {
        bench_fill(tmp, k, seed * 7919u + (uint64_t)r);
        for (int64_t i = 0; i < k; i++) w[r * k + i] = k_f32_to_bf16(tmp[i] * 1.7f * scale * 16.0f);
    }
    free(tmp);
    ws->bufs[ws->n++] = w;
    kmat m = {.dtype = KD_BF16, .data = w, .rows = cout, .cols = k, .ld = k, .scale = 1.0f};
    BENCH_OK(k_convw_pack(ctx, &m, cin, 3, 3, 3, &c->w));
    c->cin = cin;
    c->cout = cout;
    c->kt = c->kh = c->kw = 3;
    return c->w != NULL;
}

/* The 19B decoder at widths base·8 → base (base 128 is the real one). */
static ltx2_video_vae *make_decoder(const kctx *ctx, wstore *ws, int64_t base)
{
    ltx2_video_vae *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    v->latent_ch = 128;
    v->patch = 4;
    v->in_ch = 3;
    v->has_dec = true;
    v->dec_spad = KPAD_REFLECT;
    v->mean = calloc(128, sizeof(float));
    v->std = malloc(128 * sizeof(float));
    v->dec.blocks = calloc(7, sizeof(vblock));
    if (!v->mean || !v->std || !v->dec.blocks) return v;
    for (int i = 0; i < 128; i++) v->std[i] = 1.0f;
    int64_t c = base * 8;
    uint64_t seed = 1;
    int ok = make_conv(ctx, ws, &v->dec.conv_in, c, 128, seed++);
    for (int i = 0; ok && i < 7; i++) {
        vblock *b = &v->dec.blocks[i];
        v->dec.n_blocks = i + 1;
        if (i % 2 == 0) {
            b->kind = VB_RES;
            b->cin = b->cout = c;
            b->res = calloc(5, sizeof(vres));
            if (!b->res) return v;
            b->n_res = 5;
            for (int j = 0; ok && j < 5; j++)
                ok = make_conv(ctx, ws, &b->res[j].conv1, c, c, seed++) && make_conv(ctx, ws, &b->res[j].conv2, c, c, seed++);
        } else {
            *b = (vblock){.kind = VB_UP, .cin = c, .cout = c / 2, .st = 2, .sh = 2, .sw = 2, .residual = true, .mult = 2};
            ok = make_conv(ctx, ws, &b->conv, 4 * c, c, seed++);
            c /= 2;
        }
    }
    if (ok) ok = make_conv(ctx, ws, &v->dec.conv_out, 48, c, seed++);
    return v;
}

/* FLOPs of one decode of (f, h, w) at base width (2·cout·cin·27 per output position). */
static double decode_flop(int64_t base, int64_t f, int64_t h, int64_t w)
{
    double c = (double)base * 8, pos = (double)(f * h * w), fl = 2.0 * 27 * 128 * c * pos;
    for (int s = 0; s < 4; s++) {
        fl += 10 * 2.0 * 27 * c * c * pos; /* res_x 5 */
        if (s == 3) break;
        fl += 2.0 * 27 * c * 4 * c * pos; /* up conv */
        f = 2 * f - 1;
        h *= 2;
        w *= 2;
        pos = (double)(f * h * w);
        c /= 2;
    }
    return fl + 2.0 * 27 * c * 48 * pos;
}

void bench_vae(bench *b)
{
    if (!bench_selected(b, "vae_decode")) return;
    kctx ctx = kctx_default(bench_pool(b));
    ctx.prec = KP_EXACT;
    const int64_t f = 4, h = 16, w = 24, C = 128;
    const char *env = getenv("LTX2_BENCH_VAE_MAX_S");
    double max_s = env ? atof(env) : 120.0;

    /* probe: one 1024-wide res conv on the latent grid predicts the full decode */
    int64_t base = 128;
    {
        wstore ws = {calloc(1, sizeof(uint16_t *)), 0, 1};
        vconv pc = {0};
        int64_t n = f * h * w, c = 1024;
        float *x = malloc((size_t)(n * c) * sizeof *x), *y = malloc((size_t)(n * c) * sizeof *y);
        double est = 0;
        if (ws.bufs && x && y && make_conv(&ctx, &ws, &pc, c, c, 99)) {
            bench_fill(x, n * c, 5);
            double t0 = now_s();
            BENCH_OK(vconv_run(&ctx, &pc, f, h, w, x, y, VT_SYMM, KPAD_REFLECT));
            double rate = 2.0 * 27 * (double)c * c * n / (now_s() - t0);
            est = decode_flop(128, f, h, w) * 2.3 / rate; /* tiled (×1.3) + untiled */
        }
        vconv_free(&pc);
        if (ws.n) free(ws.bufs[0]);
        free(ws.bufs);
        free(x);
        free(y);
        if (est > max_s) {
            char note[160];
            snprintf(note, sizeof note, "skipped: est. %.0f s for both rows at full width > %.0f s; rows below at widths/4", est, max_s);
            bench_row(b, "vae_decode_19b", "VAE decode 19B widths 128x4x16x24", decode_flop(128, f, h, w), 0, note);
            base = 32;
        }
    }

    wstore ws = {calloc(256, sizeof(uint16_t *)), 0, 256};
    ltx2_video_vae *v = ws.bufs ? make_decoder(&ctx, &ws, base) : NULL;
    int64_t F, H, W;
    float *lat = malloc((size_t)(C * f * h * w) * sizeof *lat), *px = NULL;
    ltx2_error err = {0};
    if (!v || !v->dec.conv_out.w || !lat) {
        bench_row(b, "vae_decode_tiled", "VAE decode", 0, 0, "out of memory building the decoder");
        goto out;
    }
    bench_fill(lat, C * f * h * w, 3);
    ltx2_vae_pixel_size(v, f, h, w, &F, &H, &W);
    if (!(px = malloc((size_t)(F * H * W * 3) * sizeof *px))) goto out;
    double rss0 = peak_rss_mib();
    char label[128], note[160];
    const char *wtag = base == 128 ? "19B widths" : "19B widths/4";

    vae_tiling def = {512, 64, 64, 24};
    double t0 = now_s();
    ltx2_status s = ltx2_vae_decode_tiled(&ctx, v, lat, f, h, w, &def, 0.05f, 0.025f, NULL, px, &err);
    double dt = now_s() - t0, rss1 = peak_rss_mib();
    snprintf(label, sizeof label, "VAE decode tiled 512/64px %s 4x16x24->25x512x768", wtag);
    snprintf(note, sizeof note, "peak RSS %.0f MiB (weights+setup %.0f MiB)%s", rss1, rss0, s == LTX2_OK ? "" : " FAILED");
    bench_row(b, "vae_decode_tiled", label, decode_flop(base, f, h, w), s == LTX2_OK ? dt : 0, note);

    t0 = now_s();
    s = ltx2_vae_decode(&ctx, v, lat, f, h, w, NULL, px, &err);
    dt = now_s() - t0;
    double rss2 = peak_rss_mib();
    snprintf(label, sizeof label, "VAE decode untiled %s 4x16x24->25x512x768", wtag);
    snprintf(note, sizeof note, "peak RSS %.0f MiB%s", rss2, s == LTX2_OK ? "" : " FAILED");
    bench_row(b, "vae_decode_untiled", label, decode_flop(base, f, h, w), s == LTX2_OK ? dt : 0, note);
out:
    free(px);
    free(lat);
    ltx2_video_vae_free(v);
    for (int i = 0; i < ws.n; i++) free(ws.bufs[i]);
    free(ws.bufs);
}
