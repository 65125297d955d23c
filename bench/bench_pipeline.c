/* bench_pipeline.c — whole pipelines through host-sim, as a user runs them.
 *
 * pipeline_graph_N: examples/N_*.json on the tiny model (written by ltx2-make-tiny into
 *   a temp folder) at the documented default sizes; the row is host-sim's total wall
 *   time, followed by its per-node seconds and peak RSS.
 * pipeline_step_*: one denoising step (LTX2Sampler, sigmas 1 → 0, fast precision) at
 *   768×512×121 (6144 video + 126 audio tokens, 1024 text tokens) with random weights
 *   at the 19B transformer widths (video 32×128, audio 32×64) and 1 and 2 layers
 *   (ltx2-make-tiny --wide); their difference is one layer, from which the 48-layer
 *   step is extrapolated (RATIO lines). Each is the best of LTX2_BENCH_STEP_REPS runs
 *   (default 2). LTX2_BENCH_STEP_LAYERS="1" runs only one size (then the
 *   extrapolation is 48 × the 1-layer step, an upper bound).
 *
 * host-sim and ltx2-make-tiny are taken from this executable's folder; the example
 * graphs from the source tree this file was compiled from. Host-sim runs with the
 * bench's thread count. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define PATH_LEN 4096

typedef struct {
    char bin[PATH_LEN], root[PATH_LEN], tmp[PATH_LEN];
    int threads;
} pl_env;

static int pl_setup(pl_env *e, const bench *b)
{
    char self[PATH_LEN], src[PATH_LEN];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = 0;
    snprintf(e->bin, sizeof e->bin, "%s", dirname(self));
    snprintf(src, sizeof src, "%s", __FILE__); /* <root>/bench/bench_pipeline.c */
    char *d = dirname(src);
    snprintf(e->root, sizeof e->root, "%s", dirname(d));
    snprintf(e->tmp, sizeof e->tmp, "/tmp/ltx2-bench-pipeline-XXXXXX");
    e->threads = bench_threads(b);
    return mkdtemp(e->tmp) ? 0 : -1;
}

/* Runs cmd, echoing host-sim's per-node lines indented; returns the total seconds
 * (-1 on failure) and the peak RSS in MiB; *sampler gets the LTX2Sampler seconds. */
static double pl_run(const char *cmd, double *rss_mib, double *sampler)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[1024];
    double total = -1, node_s;
    *rss_mib = 0;
    if (sampler)
        *sampler = 0;
    while (fgets(line, sizeof line, p)) {
        char cls[128];
        if (sscanf(line, "node %*s (%127[^)]): %lf s", cls, &node_s) == 2) {
            printf("    %s", line);
            if (sampler && strcmp(cls, "LTX2Sampler") == 0)
                *sampler += node_s;
        } else if (sscanf(line, "total: %lf s, peak RSS %lf MiB", &total, rss_mib) == 2) {
            printf("    %s", line);
        }
    }
    int rc = pclose(p);
    return rc == 0 ? total : -1;
}

static void pl_graphs(bench *b, const pl_env *e)
{
    char cmd[3 * PATH_LEN], key[64], note[128];
    if (snprintf(cmd, sizeof cmd, "'%s/ltx2-make-tiny' '%s/tiny' > /dev/null", e->bin, e->tmp) >= (int)sizeof cmd ||
        system(cmd) != 0) {
        bench_row(b, "pipeline_graphs", "example graphs on the tiny model", 0, -1, "ltx2-make-tiny failed");
        return;
    }
    static const char *const what[7] = {"",
                                        "1 distilled t2v+audio, 1 stage, 8 steps",
                                        "2 distilled two-stage, tiled decode",
                                        "3 image→video",
                                        "4 keyframes, two-stage",
                                        "5 dev 1 stage, CFG+STG+modality, 40 st",
                                        "6 LoRA + temporal ×2 upscale"};
    for (int g = 1; g <= 6; g++) {
        snprintf(key, sizeof key, "pipeline_graph_%d", g);
        if (!bench_selected(b, key))
            continue;
        printf("  %s (512×320, 41 frames, defaults of docs/EXAMPLES.md):\n", key);
        double rss = 0, s = -1;
        if (snprintf(cmd, sizeof cmd,
                     "MODELS='%s/tiny' HOST_SIM='%s/host-sim' HOST_SIM_ARGS='--threads %d' '%s/examples/run.sh' %d "
                     "OUT='%s/out%d' 2>/dev/null",
                     e->tmp, e->bin, e->threads, e->root, g, e->tmp, g) < (int)sizeof cmd)
            s = pl_run(cmd, &rss, NULL);
        snprintf(note, sizeof note, "tiny model; peak RSS %.0f MiB", rss);
        bench_row(b, key, what[g], 0, s, s < 0 ? "host-sim failed" : note);
    }
}

static void pl_step(bench *b, const pl_env *e)
{
    if (!bench_selected(b, "pipeline_step"))
        return;
    char graph[PATH_LEN + 32], cmd[3 * PATH_LEN], key[64], label[96], note[128];
    FILE *f = snprintf(graph, sizeof graph, "%s/step.json", e->tmp) < (int)sizeof graph ? fopen(graph, "w") : NULL;
    if (!f)
        return;
    fputs("{\n"
          "\"1\": {\"class_type\": \"LTX2CheckpointLoader\", \"inputs\": {\"ckpt_path\": \"${CKPT}\"}},\n"
          "\"2\": {\"class_type\": \"LTX2TextEncoderLoader\", \"inputs\": {\"gemma_path\": \"${GEMMA}\", "
          "\"tokenizer_path\": \"\", \"ckpt_path\": \"${CKPT}\"}},\n"
          "\"3\": {\"class_type\": \"LTX2TextEncode\", \"inputs\": {\"text_encoder\": [\"2\", 0], \"prompt\": "
          "\"a fox in the snow\", \"max_length\": 1024, \"precision\": \"fast\", \"unload_after\": true, "
          "\"intermediates\": false}},\n"
          "\"4\": {\"class_type\": \"LTX2EmptyLatent\", \"inputs\": {\"width\": 768, \"height\": 512, \"frames\": 121, "
          "\"fps\": 24, \"audio\": true, \"model\": [\"1\", 0]}},\n"
          "\"5\": {\"class_type\": \"LTX2ManualSigmas\", \"inputs\": {\"sigmas\": \"1.0, 0.0\"}},\n"
          "\"6\": {\"class_type\": \"LTX2Sampler\", \"inputs\": {\"model\": [\"1\", 0], \"positive\": [\"3\", 0], "
          "\"latent\": [\"4\", 0], \"sigmas\": [\"5\", 0], \"seed\": 10, \"noise_scale\": 1.0, "
          "\"video_cfg\": 1.0, \"video_stg\": 0.0, \"video_stg_blocks\": \"\", \"video_modality\": 1.0, "
          "\"video_rescale\": 0.0, \"audio_cfg\": 1.0, \"audio_stg\": 0.0, \"audio_stg_blocks\": \"\", "
          "\"audio_modality\": 1.0, \"audio_rescale\": 0.0, \"precision\": \"fast\"}},\n"
          "\"7\": {\"class_type\": \"LTX2SaveText\", \"inputs\": {\"value\": [\"6\", 0], \"path\": \"${OUT}\"}}\n"
          "}\n",
          f);
    fclose(f);
    const char *env = getenv("LTX2_BENCH_STEP_LAYERS");
    int layers[2] = {1, 2}, n_layers = env && strcmp(env, "1") == 0 ? 1 : 2;
    double t[2] = {-1, -1};
    for (int i = 0; i < n_layers; i++) {
        if (snprintf(cmd, sizeof cmd, "'%s/ltx2-make-tiny' '%s/tiny' --wide %d > /dev/null", e->bin, e->tmp,
                     layers[i]) >= (int)sizeof cmd ||
            system(cmd) != 0)
            break;
        printf("  pipeline_step, %d layer(s) at 4096/2048 wide, 32 heads:\n", layers[i]);
        /* the best of reps runs: a shared machine makes single runs noisy */
        const char *re = getenv("LTX2_BENCH_STEP_REPS");
        int reps = re && atoi(re) > 0 ? atoi(re) : 2;
        double rss = 0, sampler = 0, total = -1;
        for (int r = 0; r < reps; r++) {
            double rs = 0, sa = 0, to = -1;
            if (snprintf(cmd, sizeof cmd,
                         "'%s/host-sim' run '%s' --threads %d --var CKPT='%s/tiny/ltx-2-wide-%dlayer.safetensors' "
                         "--var GEMMA='%s/tiny/gemma' --var OUT='%s/step.txt' 2>/dev/null",
                         e->bin, graph, e->threads, e->tmp, layers[i], e->tmp, e->tmp) < (int)sizeof cmd)
                to = pl_run(cmd, &rs, &sa);
            if (to < 0) {
                total = -1;
                break;
            }
            if (total < 0 || sa < sampler)
                sampler = sa, rss = rs;
            total = to;
        }
        t[i] = total < 0 ? -1 : sampler;
        snprintf(key, sizeof key, "pipeline_step_768x512x121_%dL", layers[i]);
        snprintf(label, sizeof label, "1 denoising step, 768×512×121, %d layer%s, fast", layers[i],
                 layers[i] > 1 ? "s" : "");
        snprintf(note, sizeof note, "LTX2Sampler node time; peak RSS %.0f MiB", rss);
        bench_row(b, key, label, 0, t[i], t[i] < 0 ? "host-sim failed" : note);
        if (snprintf(cmd, sizeof cmd, "%s/tiny/ltx-2-wide-%dlayer.safetensors", e->tmp, layers[i]) < (int)sizeof cmd)
            unlink(cmd);
    }
    if (n_layers == 2 && t[0] > 0 && t[1] > 0) {
        double per_layer = t[1] - t[0];
        bench_row(b, "pipeline_step_per_layer", "one AV layer of that step (2L − 1L)", 0, per_layer, "");
        bench_ratio(b, "pipeline_step48_extrapolated_s", t[0] + 47.0 * per_layer);
    } else if (t[0] > 0) {
        bench_ratio(b, "pipeline_step48_upper_bound_s", 48.0 * t[0]);
    }
}

void bench_pipeline(bench *b)
{
    if (!bench_selected(b, "pipeline"))
        return;
    pl_env e;
    if (pl_setup(&e, b) != 0) {
        bench_row(b, "pipeline", "whole pipelines through host-sim", 0, -1, "no temp folder / executable path");
        return;
    }
    pl_graphs(b, &e);
    pl_step(b, &e);
    char cmd[PATH_LEN + 16];
    if (snprintf(cmd, sizeof cmd, "rm -rf '%s'", e.tmp) >= (int)sizeof cmd || system(cmd) != 0)
        fprintf(stderr, "bench_pipeline: could not remove %s\n", e.tmp);
}
