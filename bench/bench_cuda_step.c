/* bench_cuda_step.c — one LTX-2 denoising forward on cuda:0 at the 19B widths with 48
 * layers and random bf16 weights (about 37 GB, uploaded once by the warm-up run), video +
 * audio + 1024 text tokens of width 3840, as tools/torch_ref_forward.py runs the official
 * model: 768x512x121 (6144 video + 126 audio tokens) in fast and exact precision, a guided
 * step (the conditional and unconditional passes), and 1536x1024x121 (24576 video tokens).
 * Each timed run ends with a device sync. The flops are the blocks' (bench_dit_flops).
 * The _budget rows run 768x512x121 fast on a device opened with a 16 GiB and an 8 GiB
 * budget (what host-sim --vram-budget does): the blocks stream from pinned host memory
 * (nodes/common/stream.h); each row names the plan, the bytes uploaded per pass and the
 * measured peak device memory, beside the resident row above. */
#include "bench.h"
#include "bench_cuda.h"
#include "bench_dit_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LAYERS 48
#define TEXT 1024
#define CAPTION 3840

typedef struct step_run {
    const ltx2_dit *m;
    kctx kc;
    ltx2_dit_stream v, a;
    int passes;
    ltx2_status st;
    ltx2_error err;
} step_run;

static void run_step(void *arg)
{
    step_run *r = arg;
    for (int i = 0; i < r->passes && r->st == LTX2_OK; i++)
        r->st = ltx2_dit_forward(r->m, &r->kc, &r->v, &r->a, NULL, NULL, &r->err);
    if (r->st == LTX2_OK && kcuda_sync(r->kc.cuda) != KS_OK) r->st = LTX2_ERR_INTERNAL;
}

typedef struct step_shape {
    const char *key, *label;
    int width, height, frames, passes, reps;
    kprec prec;
    double max_s;
    int fp8; /* the FP8 E4M3 model */
} step_shape;

/* RATIO <row>_vs_torch: our best time over the official forward's best at the same
 * shape and batch (--torch). */
static void compare_torch(bench *b, const step_shape *sh, double seconds)
{
    char name[96], ratio[96];
    snprintf(name, sizeof name, "forward_ms_%dx%dx%d+audio_b%d", sh->width, sh->height, sh->frames, sh->passes);
    double ms = bench_torch_ms(b, name);
    snprintf(ratio, sizeof ratio, "%s_vs_torch", sh->key);
    if (ms <= 0) return;
    bench_ratio(b, ratio, seconds * 1e3 / ms);
    if (!strcmp(sh->key, "cuda_step_768x512x121_fast")) bench_ratio(b, "cuda_step_vs_torch", seconds * 1e3 / ms);
    if (!strcmp(sh->key, "cuda_step_768x512x121_fp8")) bench_ratio(b, "cuda_step_fp8_vs_torch", seconds * 1e3 / ms);
}

/* With LTX2_CUDA_PROFILE=1: one more pass, its device time per op. */
static void profile_pass(kcuda *d, step_run *r, const char *key)
{
    char rep[8192];
    if (!kcuda_profile_report(d, rep, sizeof rep)) return; /* no profile; else drops the timed runs' counts */
    run_step(r);
    if (r->st == LTX2_OK && kcuda_profile_report(d, rep, sizeof rep)) printf("# profile of one %s\n%s", key, rep);
}

static void step_row(bench *b, kcuda *d, const kctx *base, const ltx2_dit *m, const step_shape *sh)
{
    if (!bench_selected(b, sh->key)) return;
    const ltx2_latent_geom g = LTX2_LATENT_GEOM_DEFAULT;
    const int64_t f = (sh->frames - 1) / 8 + 1, h = sh->height / 32, w = sh->width / 32, nv = f * h * w;
    const int64_t na = (int64_t)(sh->frames / 24.0 * 25.0 + 0.5);
    float *vpos = malloc(sizeof(float) * (size_t)(6 * nv)), *apos = malloc(sizeof(float) * (size_t)(2 * na));
    float *buf[10] = {0};
    if (vpos && apos) {
        ltx2_dit_video_positions(&g, f, h, w, 24.0, true, vpos);
        ltx2_dit_audio_positions(&g, na, apos);
        buf[0] = bench_dev_random(d, nv * 128, 11), buf[1] = bench_dev_const(d, nv, 0.5f);
        buf[2] = bench_dev_copy(d, vpos, 6 * nv), buf[3] = bench_dev_random(d, (int64_t)TEXT * CAPTION, 12);
        buf[4] = bench_dev_random(d, na * 128, 13), buf[5] = bench_dev_const(d, na, 0.5f);
        buf[6] = bench_dev_copy(d, apos, 2 * na);
        buf[7] = bench_dev_const(d, nv * 128, 0), buf[8] = bench_dev_const(d, na * 128, 0);
    }
    int ok = vpos && apos;
    for (int i = 0; i < 9; i++) ok = ok && buf[i];
    char note[600];
    if (!ok) {
        bench_row(b, sh->key, sh->label, 0, 0, "out of device memory for the inputs");
    } else {
        step_run r = {.m = m, .kc = *base, .passes = sh->passes, .st = LTX2_OK};
        r.kc.prec = sh->prec;
        r.v = (ltx2_dit_stream){nv, buf[0], buf[1], buf[2], buf[3], TEXT, NULL, buf[7]};
        r.a = (ltx2_dit_stream){na, buf[4], buf[5], buf[6], buf[3], TEXT, NULL, buf[8]};
        double t = bench_time(run_step, &r, sh->reps, sh->max_s);
        char plan[200] = "resident";
        const lx_plan *p = ltx2_dit_plan(m);
        if (p)
            lx_plan_describe(p, "block", plan, sizeof plan);
        if (r.st == LTX2_OK && p && p->mode == LX_STREAMED)
            snprintf(note, sizeof note, "%lld+%lld tok, %d layers, peak %.2f GiB of a %.0f GiB budget, %s (%.1f GB/s)",
                     (long long)nv, (long long)na, LAYERS, (double)kcuda_peak_bytes(d) / (1u << 30),
                     (double)kcuda_budget(d) / (1u << 30), plan, (double)p->upload_per_pass * sh->passes / t / 1e9);
        else if (r.st == LTX2_OK)
            snprintf(note, sizeof note, "%lld+%lld tok, %d layers, peak %.2f GiB, %s", (long long)nv, (long long)na,
                     LAYERS, (double)kcuda_peak_bytes(d) / (1u << 30), plan);
        else
            snprintf(note, sizeof note, "%s", r.err.msg);
        bench_row(b, sh->key, sh->label, sh->passes * bench_dit_flops(&m->cfg, (double)nv, (double)na, TEXT),
                  r.st == LTX2_OK ? t : 0, note);
        if (r.st == LTX2_OK) {
            compare_torch(b, sh, t);
            profile_pass(d, &r, sh->key);
        }
    }
    for (int i = 0; i < 9; i++) kcuda_free(d, buf[i]);
    free(vpos);
    free(apos);
}

/* The 768x512x121 forward under device budgets: a device of its own per budget (its peak
 * is the row's), a fresh model (the residency is planned at its first run). */
static void bench_cuda_step_budget(bench *b)
{
    static const struct {
        step_shape sh;
        size_t budget_gib;
    } rows[] = {
        {{"cuda_step_768x512x121_fast_budget16g", "CUDA 19B forward 768x512x121, fast, 16 GiB budget (streamed)", 768,
          512, 121, 1, 3, KP_FAST, 60, 0},
         16},
        {{"cuda_step_768x512x121_fast_budget8g", "CUDA 19B forward 768x512x121, fast, 8 GiB budget (streamed)", 768,
          512, 121, 1, 3, KP_FAST, 60, 0},
         8},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        if (!bench_selected(b, rows[i].sh.key)) continue;
        kcuda *d = NULL;
        char why[256] = "";
        if (kcuda_create(0, rows[i].budget_gib << 30, &d, why, sizeof why) != KS_OK) {
            bench_row(b, rows[i].sh.key, rows[i].sh.label, 0, 0, why[0] ? why : "no CUDA device");
            continue;
        }
        kctx base = kctx_default(bench_pool(b));
        base.backend = KB_CUDA;
        base.cuda = d;
        bench_dit *dm = bench_dit_make(LAYERS, CAPTION, 1, 0);
        if (dm)
            step_row(b, d, &base, bench_dit_model(dm), &rows[i].sh);
        else
            bench_row(b, rows[i].sh.key, rows[i].sh.label, 0, 0, "out of host memory for the model");
        bench_dit_free(dm);
        kcuda_destroy(d);
        /* the speed cost against the resident row of this run: time streamed / resident */
        const double resident = bench_rate(b, "cuda_step_768x512x121_fast"), streamed = bench_rate(b, rows[i].sh.key);
        char name[96];
        snprintf(name, sizeof name, "cuda_step_budget%zug_vs_resident", rows[i].budget_gib);
        if (resident > 0 && streamed > 0)
            bench_ratio(b, name, resident / streamed);
    }
}

void bench_cuda_step(bench *b)
{
    static const step_shape shapes[] = {
        {"cuda_step_768x512x121_fast", "CUDA 19B forward 768x512x121+audio, fast (bf16)", 768, 512, 121, 1, 5, KP_FAST, 30, 0},
        {"cuda_step_768x512x121_fast_cfg2", "CUDA 19B guided step (2 passes) 768x512x121, fast", 768, 512, 121, 2, 3, KP_FAST, 30, 0},
        {"cuda_step_768x512x121_exact", "CUDA 19B forward 768x512x121+audio, exact (f32)", 768, 512, 121, 1, 2, KP_EXACT, 30, 0},
        {"cuda_step_1536x1024x121_fast", "CUDA 19B forward 1536x1024x121+audio, fast (bf16)", 1536, 1024, 121, 1, 2, KP_FAST, 60, 0},
        {"cuda_step_768x512x121_fp8", "CUDA 19B forward 768x512x121+audio, FP8 weights", 768, 512, 121, 1, 5, KP_FAST, 30, 1},
    };
    if (!bench_selected(b, "cuda_step")) return;
    kcuda *d = NULL;
    char why[256] = "";
    if (kcuda_device_count() == 0 || kcuda_create(0, 0, &d, why, sizeof why) != KS_OK) {
        bench_row(b, "cuda_step", "CUDA 19B step", 0, 0, why[0] ? why : "no CUDA device");
        return;
    }
    kctx base = kctx_default(bench_pool(b));
    base.backend = KB_CUDA;
    base.cuda = d;
    for (int fp8 = 0; fp8 < 2; fp8++) { /* one model on the card at a time */
        int wanted = 0;
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
            wanted |= shapes[i].fp8 == fp8 && bench_selected(b, shapes[i].key);
        if (!wanted) continue;
        bench_dit *dm = bench_dit_make(LAYERS, CAPTION, 1, fp8);
        if (!dm) {
            bench_row(b, "cuda_step", "CUDA 19B step", 0, 0, "out of host memory for the model");
            continue;
        }
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
            if (shapes[i].fp8 == fp8) step_row(b, d, &base, bench_dit_model(dm), &shapes[i]);
        bench_dit_free(dm); /* frees the device weights: before the device goes */
    }
    kcuda_destroy(d);
    bench_cuda_step_budget(b);
}
