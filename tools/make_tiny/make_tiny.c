/* ltx2-make-tiny OUTDIR [--seed N] [--corpus FILE] [--spm-train PATH] [--wide LAYERS]
 *                [--comfy-layout]
 *
 * Writes a complete tiny LTX-2 model set in the release layout, deterministically
 * from the seed:
 *   OUTDIR/ltx-2-tiny-distilled.safetensors         combined checkpoint + `config`
 *   OUTDIR/ltx-2-tiny-spatial-upscaler-x2.safetensors
 *   OUTDIR/ltx-2-tiny-temporal-upscaler-x2.safetensors
 *   OUTDIR/ltx-2-tiny-lora.safetensors               a transformer LoRA
 *   OUTDIR/gemma/{config.json, generation_config.json, model-0000N-of-00002.safetensors,
 *                 model.safetensors.index.json, tokenizer.model}
 *   OUTDIR/images/{start,end}.png                    inputs of the image examples
 * The tokenizer is trained with SentencePiece's spm_train on the corpus.
 *
 * --comfy-layout writes the same set in ComfyUI's folders under the file names of the
 * official LTX-2 workflows (the one tiny checkpoint under both release names):
 *   OUTDIR/models/checkpoints/ltx-2-19b-{distilled,dev}.safetensors
 *   OUTDIR/models/latent_upscale_models/ltx-2-{spatial,temporal}-upscaler-x2-1.0.safetensors
 *   OUTDIR/models/loras/ltx-2-19b-distilled-lora-384.safetensors
 *   OUTDIR/models/text_encoders/gemma-3-12b-it-qat-q4_0-unquantized/
 *       {config.json, generation_config.json, model-0000N-of-00005.safetensors,
 *        model.safetensors.index.json, tokenizer.model} (Gemma 3 text model + vision tower)
 *   OUTDIR/input/{start,end}.png and the I2V workflows' "distilled image.png",
 *       "base model image.png" (copies of start.png)
 *
 * --wide LAYERS writes only OUTDIR/ltx-2-wide-<LAYERS>layer.safetensors: the same
 * checkpoint with the transformer at the 19B widths (video 32x128, audio 32x64) and
 * LAYERS blocks, for timing one denoising step (bench/bench_pipeline.c). */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tiny.h"
#include "tiny_config.h"
#include "tiny_dims.h"
#include "tiny_images.h"

#define TINY_MAX_SHARDS 8

#ifndef LTX2_TINY_CORPUS
#define LTX2_TINY_CORPUS "corpus.txt"
#endif

/* Where each file of the set goes, relative to OUTDIR ("" = OUTDIR itself). */
typedef struct {
    const char *ckpt_dir, *ckpt_names[2]; /* the checkpoint under each name (NULL = none) */
    const char *up_dir, *up_spatial, *up_temporal;
    const char *lora_dir, *lora_name;
    const char *gemma_dir;
    int gemma_shards;
    const char *images_dir, *image_copies[2]; /* extra copies of start.png */
} layout;

static const layout release_layout = {
    "", {"ltx-2-tiny-distilled.safetensors", NULL},
    "", "ltx-2-tiny-spatial-upscaler-x2.safetensors", "ltx-2-tiny-temporal-upscaler-x2.safetensors",
    "", "ltx-2-tiny-lora.safetensors", "gemma", 2, "images", {NULL, NULL}};

static const layout comfy_layout = {
    "models/checkpoints", {"ltx-2-19b-distilled.safetensors", "ltx-2-19b-dev.safetensors"},
    "models/latent_upscale_models", "ltx-2-spatial-upscaler-x2-1.0.safetensors",
    "ltx-2-temporal-upscaler-x2-1.0.safetensors", "models/loras", "ltx-2-19b-distilled-lora-384.safetensors",
    "models/text_encoders/gemma-3-12b-it-qat-q4_0-unquantized", 5, "input",
    {"distilled image.png", "base model image.png"}};

typedef struct {
    const char *out, *corpus, *spm_train;
    uint64_t seed;
    int wide_layers; /* > 0: only the wide checkpoint */
    const layout *lay;
} options;

static char *join(const char *a, const char *b)
{
    if (!b[0])
        return strdup(a);
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* mkdir -p */
static int make_dir(const char *p)
{
    char *q = strdup(p);
    int rc = q ? 0 : -1;
    for (char *c = q ? q + 1 : NULL; rc == 0 && c && *c; c++)
        if (*c == '/') {
            *c = 0;
            if (mkdir(q, 0777) != 0 && errno != EEXIST)
                rc = -1;
            *c = '/';
        }
    if (rc == 0 && mkdir(p, 0777) != 0 && errno != EEXIST)
        rc = -1;
    if (rc)
        fprintf(stderr, "ltx2-make-tiny: cannot create %s: %s\n", p, strerror(errno));
    free(q);
    return rc;
}

/* Writes one set to OUTDIR/name with the given metadata. */
static int write_set(tiny_set *s, const char *dir, const char *name, const char *const *meta)
{
    char msg[512];
    if (s->failed) {
        fprintf(stderr, "ltx2-make-tiny: out of memory building %s\n", name);
        return -1;
    }
    char *path = join(dir, name);
    int rc = path ? tiny_write(s, 0, s->n, path, meta, NULL, msg, sizeof msg) : -1;
    if (rc)
        fprintf(stderr, "ltx2-make-tiny: %s\n", path ? msg : "out of memory");
    else
        printf("wrote %s (%zu tensors)\n", path, s->n);
    free(path);
    return rc;
}

static int write_checkpoint(const options *o, const tiny_dims *d, const char *dir, const char *name)
{
    tiny_set s;
    tiny_set_init(&s, o->seed);
    tiny_build_transformer(&s, d);
    tiny_build_text_parts(&s, d);
    tiny_build_video_vae(&s, d);
    tiny_build_audio_vae(&s, d);
    tiny_build_vocoder(&s, d);
    char *cfg = tiny_checkpoint_config(d);
    const char *meta[] = {"config", cfg, NULL};
    int rc = cfg ? write_set(&s, dir, name, meta) : -1;
    free(cfg);
    tiny_set_free(&s);
    return rc;
}

static int write_upscaler(const options *o, const tiny_dims *d, const char *dir, int temporal)
{
    tiny_set s;
    tiny_set_init(&s, o->seed + (temporal ? 2 : 1));
    tiny_build_upscaler(&s, d, temporal);
    char *cfg = tiny_upscaler_config(d, temporal);
    const char *meta[] = {"config", cfg, NULL};
    int rc = cfg ? write_set(&s, dir, temporal ? o->lay->up_temporal : o->lay->up_spatial, meta) : -1;
    free(cfg);
    tiny_set_free(&s);
    return rc;
}

static int write_lora(const options *o, const tiny_dims *d, const char *dir)
{
    tiny_set s;
    tiny_set_init(&s, o->seed + 3);
    tiny_build_lora(&s, d);
    int rc = write_set(&s, dir, o->lay->lora_name, NULL);
    tiny_set_free(&s);
    return rc;
}

static int write_text_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    int ok = f && fputs(text, f) >= 0;
    if (f)
        ok = (fclose(f) == 0) && ok;
    if (!ok)
        fprintf(stderr, "ltx2-make-tiny: cannot write %s: %s\n", path, strerror(errno));
    return ok ? 0 : -1;
}

/* o->lay->gemma_shards shards (as Hugging Face writes them, named
 * model-0000N-of-0000M.safetensors) and model.safetensors.index.json. */
static int write_gemma(const options *o, const tiny_dims *d, const char *gdir)
{
    tiny_set s;
    tiny_set_init(&s, o->seed + 4);
    tiny_build_gemma(&s, d);
    int rc = s.failed ? -1 : 0;
    const int ns = o->lay->gemma_shards;
    char shard[TINY_MAX_SHARDS][64];
    size_t range[TINY_MAX_SHARDS + 1];
    for (int i = 0; i < ns; i++) {
        snprintf(shard[i], sizeof shard[i], "model-%05d-of-%05d.safetensors", i + 1, ns);
        range[i] = s.n * (size_t)i / (size_t)ns;
    }
    range[ns] = s.n;
    uint64_t total = 0;
    char msg[512];
    const char *meta[] = {"format", "pt", NULL};
    for (int i = 0; i < ns && rc == 0; i++) {
        char *p = join(gdir, shard[i]);
        uint64_t b = 0;
        rc = p ? tiny_write(&s, range[i], range[i + 1], p, meta, &b, msg, sizeof msg) : -1;
        if (rc)
            fprintf(stderr, "ltx2-make-tiny: %s\n", p ? msg : "out of memory");
        total += b;
        free(p);
    }
    if (rc == 0) {
        struct json_object *idx = json_object_new_object(), *m = json_object_new_object(),
                           *wm = json_object_new_object();
        json_object_object_add(m, "total_size", json_object_new_int64((int64_t)total));
        json_object_object_add(idx, "metadata", m);
        for (int k = 0; k < ns; k++)
            for (size_t i = range[k]; i < range[k + 1]; i++)
                json_object_object_add(wm, s.t[i].name, json_object_new_string(shard[k]));
        json_object_object_add(idx, "weight_map", wm);
        char *p = join(gdir, "model.safetensors.index.json");
        rc = p ? write_text_file(p, json_object_to_json_string_ext(idx, JSON_C_TO_STRING_PRETTY |
                                                                         JSON_C_TO_STRING_NOSLASHESCAPE))
               : -1;
        free(p);
        json_object_put(idx);
    }
    if (rc == 0) {
        char *cfg = tiny_gemma_config(d), *p = join(gdir, "config.json");
        rc = cfg && p ? write_text_file(p, cfg) : -1;
        free(cfg);
        free(p);
    }
    if (rc == 0) { /* sampling settings and stop ids (<eos>, <end_of_turn>) like Gemma 3's */
        char *p = join(gdir, "generation_config.json");
        rc = p ? write_text_file(p, "{\n  \"do_sample\": true,\n  \"top_k\": 64,\n  \"top_p\": 0.95,\n"
                                    "  \"bos_token_id\": 2,\n  \"pad_token_id\": 0,\n  \"eos_token_id\": [1, 5]\n}\n")
               : -1;
        free(p);
    }
    if (rc == 0)
        printf("wrote %s/ (%zu tensors in %d shards)\n", gdir, s.n, ns);
    tiny_set_free(&s);
    return rc;
}

/* spm_train with Gemma's conventions (BPE, byte fallback, split digits, no dummy
 * prefix, pad 0 / eos 1 / bos 2 / unk 3), single-threaded so the model is
 * reproducible. */
static int train_tokenizer(const options *o, const tiny_dims *d, const char *gdir)
{
    /* spm_train records its arguments in the model: run it inside gdir with a relative
     * prefix so the file does not depend on OUTDIR */
    char *corpus = realpath(o->corpus, NULL), input[4200], vs[64], mp[] = "--model_prefix=tokenizer";
    if (!corpus) {
        fprintf(stderr, "ltx2-make-tiny: corpus %s: %s\n", o->corpus, strerror(errno));
        return -1;
    }
    snprintf(input, sizeof input, "--input=%s", corpus);
    free(corpus);
    snprintf(vs, sizeof vs, "--vocab_size=%lld", (long long)(d->vocab - 24));
    char *argv[] = {(char *)o->spm_train, input, mp, vs, "--model_type=bpe", "--byte_fallback=true",
                    "--split_digits=true", "--add_dummy_prefix=false", "--remove_extra_whitespaces=false",
                    "--normalization_rule_name=identity", "--character_coverage=1.0", "--hard_vocab_limit=false",
                    "--pad_id=0", "--eos_id=1", "--bos_id=2", "--unk_id=3", "--pad_piece=<pad>",
                    "--eos_piece=<eos>", "--bos_piece=<bos>", "--unk_piece=<unk>", "--num_threads=1",
                    "--shuffle_input_sentence=false", "--input_sentence_size=0", "--minloglevel=2",
                    /* Gemma's chat and image markers as atomic pieces (ids 4..7) */
                    "--user_defined_symbols=<start_of_turn>,<end_of_turn>,<start_of_image>,<end_of_image>", NULL};
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* spm_train is chatty on stderr even at minloglevel 2 */
        if (!freopen("/dev/null", "w", stderr) || chdir(gdir) != 0)
            _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0, rc = -1;
    if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        rc = 0;
    if (rc)
        fprintf(stderr, "ltx2-make-tiny: %s failed on %s (exit %d); is the Debian package sentencepiece installed?\n",
                o->spm_train, o->corpus, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    char *model = join(gdir, "tokenizer.model"), *vocab = join(gdir, "tokenizer.vocab");
    if (vocab)
        unlink(vocab); /* a by-product; the release folder has no .vocab */
    if (rc == 0)
        printf("wrote %s (SentencePiece BPE)\n", model ? model : "tokenizer.model");
    free(model);
    free(vocab);
    return rc;
}

/* dst = a byte copy of src. */
static int copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
    int rc = out ? 0 : -1;
    char buf[1 << 15];
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
        rc = fwrite(buf, 1, n, out) == n ? 0 : -1;
    if (in && ferror(in))
        rc = -1;
    if (out && fclose(out) != 0)
        rc = -1;
    if (in)
        fclose(in);
    if (rc)
        fprintf(stderr, "ltx2-make-tiny: cannot copy %s to %s: %s\n", src, dst, strerror(errno));
    return rc;
}

/* Every file of the set, placed by o->lay. */
static int write_all(const options *o, const tiny_dims *d)
{
    const layout *L = o->lay;
    char *cdir = join(o->out, L->ckpt_dir), *udir = join(o->out, L->up_dir), *ldir = join(o->out, L->lora_dir);
    char *gdir = join(o->out, L->gemma_dir), *idir = join(o->out, L->images_dir);
    int rc = cdir && udir && ldir && gdir && idir ? 0 : -1;
    const char *dirs[] = {o->out, cdir, udir, ldir, gdir, idir};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0] && rc == 0; i++)
        rc = make_dir(dirs[i]);
    for (int i = 0; i < 2 && rc == 0 && L->ckpt_names[i]; i++)
        rc = write_checkpoint(o, d, cdir, L->ckpt_names[i]);
    if (rc == 0)
        rc = write_upscaler(o, d, udir, 0);
    if (rc == 0)
        rc = write_upscaler(o, d, udir, 1);
    if (rc == 0)
        rc = write_lora(o, d, ldir);
    if (rc == 0)
        rc = write_gemma(o, d, gdir);
    if (rc == 0)
        rc = train_tokenizer(o, d, gdir);
    if (rc == 0)
        rc = tiny_write_images(idir);
    for (int i = 0; i < 2 && rc == 0 && L->image_copies[i]; i++) {
        char *src = join(idir, "start.png"), *dst = join(idir, L->image_copies[i]);
        rc = src && dst ? copy_file(src, dst) : -1;
        if (rc == 0)
            printf("wrote %s\n", dst);
        free(src);
        free(dst);
    }
    free(cdir);
    free(udir);
    free(ldir);
    free(gdir);
    free(idir);
    return rc;
}

static int usage(void)
{
    fprintf(stderr, "usage: ltx2-make-tiny OUTDIR [--seed N] [--corpus FILE] [--spm-train PATH] [--wide LAYERS] [--comfy-layout]\n");
    return 2;
}

int main(int argc, char **argv)
{
    options o = {NULL, LTX2_TINY_CORPUS, "spm_train", 42, 0, &release_layout};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            char *end;
            o.seed = strtoull(argv[++i], &end, 10);
            if (*end)
                return usage();
        } else if (strcmp(argv[i], "--corpus") == 0 && i + 1 < argc) {
            o.corpus = argv[++i];
        } else if (strcmp(argv[i], "--wide") == 0 && i + 1 < argc) {
            o.wide_layers = atoi(argv[++i]);
            if (o.wide_layers < 1 || o.wide_layers > 48)
                return usage();
        } else if (strcmp(argv[i], "--comfy-layout") == 0) {
            o.lay = &comfy_layout;
        } else if (strcmp(argv[i], "--spm-train") == 0 && i + 1 < argc) {
            o.spm_train = argv[++i];
        } else if (argv[i][0] == '-' || o.out) {
            return usage();
        } else {
            o.out = argv[i];
        }
    }
    if (!o.out)
        return usage();
    tiny_dims d = tiny_default_dims();
    if (o.wide_layers > 0) {
        d.heads = 32, d.head_dim = 128, d.audio_heads = 32, d.audio_head_dim = 64, d.layers = o.wide_layers;
        char name[64];
        snprintf(name, sizeof name, "ltx-2-wide-%dlayer.safetensors", o.wide_layers);
        return make_dir(o.out) || write_checkpoint(&o, &d, o.out, name) ? 1 : 0;
    }
    return write_all(&o, &d) ? 1 : 0;
}
