/* bench_transformer.c — one full LTX-2 AV transformer block at the 19B widths (video
 * 32x128 = 4096, audio 32x64 = 2048, FFN x4) on 1024 video + 32 audio tokens with
 * random bf16 weights: a one-layer model run through ltx2_dit_forward (exact and fast).
 * The flop count is the block's; the per-pass preparation (patchify, AdaLN, a small
 * caption projection) and the output head add about 1% that is timed but not counted.
 * The GEMM reference rate is k_linear on the block's dominant shape (1024x4096x4096 bf16). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_dit_model.h"

typedef struct tb_state {
    ltx2_dit *m;
    kctx kc;
    ltx2_dit_stream v, a;
} tb_state;

static void run_forward(void *arg)
{
    tb_state *s = arg;
    ltx2_error err;
    ltx2_dit_forward(s->m, &s->kc, &s->v, &s->a, NULL, NULL, &err);
}

static void run_gemm(void *arg)
{
    void **p = arg;
    const kmat *w = p[0];
    BENCH_OK(k_linear(p[3], 1024, p[1], w->cols, w, NULL, NULL, p[2], w->rows, 0));
}

void bench_transformer(bench *b)
{
    if (!bench_selected(b, "transformer_block"))
        return;
    const int VD = 4096, CAP = 128, NV = 1024, NA = 32, NCTX = 128;
    bench_dit *d = bench_dit_make(1, CAP, 0, 0);
    tb_state s = {.m = d ? bench_dit_model(d) : NULL};
    float *vl = malloc((size_t)NV * 128 * 4), *al = malloc((size_t)NA * 128 * 4);
    float *vs = malloc((size_t)NV * 4), *as = malloc((size_t)NA * 4);
    float *vp = malloc((size_t)NV * 6 * 4), *ap = malloc((size_t)NA * 2 * 4);
    float *ctx = malloc((size_t)NCTX * CAP * 4);
    float *vo = malloc((size_t)NV * 128 * 4), *ao = malloc((size_t)NA * 128 * 4);
    float *gy = malloc((size_t)NV * VD * 4), *gx = malloc((size_t)NV * VD * 4);
    if (!d || !vl || !al || !vs || !as || !vp || !ap || !ctx || !vo || !ao || !gx || !gy) {
        bench_row(b, "transformer_block", "transformer block", 0, 0, "out of memory");
    } else {
        bench_fill(vl, NV * 128, 1), bench_fill(al, NA * 128, 2), bench_fill(ctx, NCTX * CAP, 3);
        for (int i = 0; i < NV; i++)
            vs[i] = i < 256 ? 0.0f : 0.7f;
        for (int i = 0; i < NA; i++)
            as[i] = 0.7f;
        ltx2_dit_video_positions(&LTX2_LATENT_GEOM_DEFAULT, 4, 16, 16, 24.0, true, vp);
        ltx2_dit_audio_positions(&LTX2_LATENT_GEOM_DEFAULT, NA, ap);
        s.v = (ltx2_dit_stream){NV, vl, vs, vp, ctx, NCTX, NULL, vo};
        s.a = (ltx2_dit_stream){NA, al, as, ap, ctx, NCTX, NULL, ao};
        const double fl = bench_dit_flops(&s.m->cfg, NV, NA, NCTX);
        /* GEMM reference rate on the dominant shape */
        kmat gw = s.m->blocks[0].attn1.q;
        const char *tags[2] = {"exact", "fast"};
        for (int p = 0; p < 2; p++) {
            s.kc = kctx_default(bench_pool(b));
            s.kc.prec = p ? KP_FAST : KP_EXACT;
            bench_fill(gx, (int64_t)NV * VD, 4);
            void *ga[4] = {&gw, gx, gy, &s.kc};
            char key[64], label[96];
            double tg = bench_time(run_gemm, ga, 3, 5.0);
            snprintf(key, sizeof key, "transformer_gemm_%s", tags[p]);
            snprintf(label, sizeof label, "k_linear %s bf16w 1024x4096x4096", tags[p]);
            bench_row(b, key, label, 2.0 * NV * VD * VD, tg, "reference rate for the block");
            double t = bench_time(run_forward, &s, 2, 20.0);
            snprintf(key, sizeof key, "transformer_block_%s", tags[p]);
            snprintf(label, sizeof label, "AV block 19B widths, %s, 1024v+32a tokens", tags[p]);
            bench_row(b, key, label, fl, t, "1-layer ltx2_dit_forward, random bf16 weights");
            if (t > 0 && tg > 0) {
                snprintf(key, sizeof key, "transformer_block_%s_vs_gemm", tags[p]);
                bench_ratio(b, key, (fl / t) / (2.0 * NV * VD * VD / tg));
            }
        }
    }
    free(vl), free(al), free(vs), free(as), free(vp), free(ap), free(ctx), free(vo), free(ao), free(gx), free(gy);
    bench_dit_free(d);
}
