/* lora.c — LoRA fusion (see lora.h for the exact arithmetic). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lora.h"
#include "node.h"

#define LORA_A ".lora_A.weight"

/* "<module>" of a lora_A key, without the diffusion_model. prefix; NULL if not one. */
static bool module_of(const char *name, char *out, size_t cap)
{
    size_t n = strlen(name), la = strlen(LORA_A);
    if (n <= la || strcmp(name + n - la, LORA_A))
        return false;
    const char *s = name;
    if (!strncmp(s, "model.", 6))
        s += 6;
    if (!strncmp(s, "diffusion_model.", 16))
        s += 16;
    size_t m = (size_t)(name + n - la - s);
    if (m + 1 > cap)
        return false;
    memcpy(out, s, m);
    out[m] = 0;
    return true;
}

/* Every lora_A has its lora_B (and the reverse), both 2-D with one rank > 0:
 * A [rank][in], B [out][rank]. A half pair would otherwise be skipped silently. */
static ltx2_status check_pairs(const ltx2_checkpoint *l, ltx2_error *err)
{
    static const char *const suffix[2] = {".lora_A.weight", ".lora_B.weight"};
    const char *file = ltx2_checkpoint_path(l);
    for (size_t i = 0; i < ltx2_checkpoint_count(l); i++) {
        const ltx2_st_tensor *t = ltx2_checkpoint_at(l, i);
        size_t n = strlen(t->name), ls = strlen(suffix[0]);
        int side = -1;
        for (int k = 0; k < 2; k++)
            if (n > ls && !strcmp(t->name + n - ls, suffix[k]))
                side = k;
        if (side < 0)
            continue;
        char other[600];
        snprintf(other, sizeof other, "%.*s%s", (int)(n - ls), t->name, suffix[!side]);
        const ltx2_st_tensor *o = ltx2_checkpoint_find(l, other);
        if (!o)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s: %s has no %s", file, t->name, other);
        if (side == 1)
            continue; /* each pair is checked once, from its lora_A */
        if (t->ndim != 2 || o->ndim != 2 || t->shape[0] < 1 || o->shape[1] != t->shape[0])
            return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                            "%s: %s and %s are not a LoRA pair (A [rank, in], B [out, rank] with rank > 0)",
                            file, t->name, other);
    }
    return LTX2_OK;
}

/* lora_A / lora_B tensor names of a module in one LoRA file (as written there). */
static void lora_names(const ltx2_checkpoint *l, const char *module, char *a, char *b, size_t cap)
{
    static const char *const pre[] = {"diffusion_model.", "model.diffusion_model.", ""};
    for (int i = 0; i < 3; i++) {
        snprintf(a, cap, "%s%s.lora_A.weight", pre[i], module);
        snprintf(b, cap, "%s%s.lora_B.weight", pre[i], module);
        if (ltx2_checkpoint_find(l, a))
            return;
    }
}

/* The delta of one LoRA (f32 [rows][cols]) into d. The reference computes it in the
 * LoRA's dtype: for bf16 files B*s and the product are rounded to bf16 (*rounded). */
static ltx2_status lora_delta(const kctx *kc, const ltx2_dit_lora *lo, const char *module, int64_t rows,
                              int64_t cols, float *d, bool *hit, bool *rounded, ltx2_error *err)
{
    char an[300], bn[300];
    *hit = false;
    lora_names(lo->ckpt, module, an, bn, sizeof an);
    const ltx2_st_tensor *ta = ltx2_checkpoint_find(lo->ckpt, an), *tb = ltx2_checkpoint_find(lo->ckpt, bn);
    if (!ta || !tb)
        return LTX2_OK;
    const char *file = ltx2_checkpoint_path(lo->ckpt);
    if (ta->ndim != 2 || tb->ndim != 2 || ta->shape[1] != cols || tb->shape[0] != rows ||
        tb->shape[1] != ta->shape[0])
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s: %s / %s shapes do not fit the weight [%lld, %lld]", file,
                        an, bn, (long long)rows, (long long)cols);
    const int64_t r = ta->shape[0];
    const bool bf16 = ta->dtype == LTX2_BF16 && tb->dtype == LTX2_BF16;
    *rounded = bf16;
    float *a = NULL, *b = NULL;
    ltx2_status st = ltx2_ckpt_f32(lo->ckpt, an, r * cols, &a, err);
    if (st == LTX2_OK)
        st = ltx2_ckpt_f32(lo->ckpt, bn, rows * r, &b, err);
    if (st != LTX2_OK) {
        free(a), free(b);
        return ltx2_err_prefix(err, "%s", file);
    }
    for (int64_t i = 0; i < rows * r; i++) {
        b[i] *= lo->strength;
        if (bf16)
            b[i] = k_bf16_to_f32(k_f32_to_bf16(b[i]));
    }
    kctx exact = *kc;
    exact.prec = KP_EXACT;
    kstatus ks = k_sgemm(&exact, 0, 0, rows, cols, r, 1.0f, b, r, a, cols, 0.0f, d, cols);
    free(a), free(b);
    if (ks != KS_OK)
        return ltx2_kerr(err, ks, file);
    if (bf16)
        k_round_bf16(d, rows * cols);
    *hit = true;
    return LTX2_OK;
}

/* Fuses every LoRA of n into the matrix `key` (n's slot still holds the base matrix). */
static ltx2_status fuse_one(ltx2_dit *n, const kctx *kc, const char *module, ltx2_error *err)
{
    char key[300];
    snprintf(key, sizeof key, "%s.weight", module);
    kmat *slot = ltx2_dit_find_mat(n, key);
    if (!slot)
        return LTX2_OK; /* the reference ignores LoRA keys without a model weight */
    const int64_t rows = slot->rows, cols = slot->cols;
    float *acc = calloc((size_t)(rows * cols), sizeof(float));
    float *d = malloc((size_t)(rows * cols) * sizeof(float));
    if (!acc || !d) {
        free(acc), free(d);
        return ltx2_err(err, LTX2_ERR_OOM, "LoRA: out of memory fusing %s", key);
    }
    const bool f32 = n->fused_f32 || slot->dtype == KD_F32;
    int hits = 0;
    bool all_bf16 = true;
    for (int j = 0; j < n->n_loras; j++) {
        bool hit, rounded;
        ltx2_status st = lora_delta(kc, &n->loras[j], module, rows, cols, d, &hit, &rounded, err);
        if (st != LTX2_OK) {
            free(acc), free(d);
            return st;
        }
        if (hit) {
            kstatus ks = k_add(kc, acc, d, acc, rows * cols);
            if (ks != KS_OK) {
                free(acc), free(d);
                return ltx2_kerr(err, ks, key);
            }
            hits++;
            all_bf16 = all_bf16 && rounded;
        }
    }
    /* the reference sums the stacked deltas in their (bf16) dtype */
    if (all_bf16 && hits > 1)
        k_round_bf16(acc, rows * cols);
    /* W (dequantised, f32) + delta, rounded to bf16 unless kept in f32 */
    for (int64_t i = 0; i < rows; i++) {
        k_to_f32(slot->dtype, (const char *)slot->data + (size_t)(i * slot->ld) * k_dtype_size(slot->dtype),
                 d + i * cols, cols);
        for (int64_t c = 0; c < cols; c++)
            acc[i * cols + c] += d[i * cols + c] * slot->scale;
    }
    free(d);
    void *buf = acc;
    kdtype dt = KD_F32;
    if (!f32) {
        uint16_t *h = malloc((size_t)(rows * cols) * sizeof(uint16_t));
        if (!h) {
            free(acc);
            return ltx2_err(err, LTX2_ERR_OOM, "LoRA: out of memory fusing %s", key);
        }
        for (int64_t i = 0; i < rows * cols; i++)
            h[i] = k_f32_to_bf16(acc[i]);
        free(acc);
        buf = h;
        dt = KD_BF16;
    }
    char *name = strdup(key);
    void **f = realloc(n->fused, (size_t)(n->n_fused + 1) * sizeof *f);
    if (f)
        n->fused = f;
    char **fn = realloc(n->fused_names, (size_t)(n->n_fused + 1) * sizeof *fn);
    if (fn)
        n->fused_names = fn;
    kmat **fs = realloc(n->fused_slots, (size_t)(n->n_fused + 1) * sizeof *fs);
    if (fs)
        n->fused_slots = fs;
    if (!name || !f || !fn || !fs) {
        free(name), free(buf);
        return ltx2_err(err, LTX2_ERR_OOM, "LoRA: out of memory");
    }
    n->fused[n->n_fused] = buf;
    n->fused_names[n->n_fused] = name;
    n->fused_slots[n->n_fused] = slot;
    n->n_fused++;
    *slot = (kmat){.dtype = dt, .data = buf, .rows = rows, .cols = cols, .ld = cols, .scale = 1.0f};
    return LTX2_OK;
}

/* Module names (deduplicated) of every LoRA of n. */
static ltx2_status collect_modules(const ltx2_dit *n, char ***out, int *count, ltx2_error *err)
{
    char **mods = NULL;
    int nm = 0;
    for (int j = 0; j < n->n_loras; j++) {
        const ltx2_checkpoint *l = n->loras[j].ckpt;
        for (size_t i = 0; i < ltx2_checkpoint_count(l); i++) {
            char mod[256];
            if (!module_of(ltx2_checkpoint_at(l, i)->name, mod, sizeof mod))
                continue;
            bool seen = false;
            for (int k = 0; k < nm && !seen; k++)
                seen = !strcmp(mods[k], mod);
            if (seen)
                continue;
            char **g = realloc(mods, (size_t)(nm + 1) * sizeof *g);
            char *s = strdup(mod);
            if (!g || !s) {
                free(s);
                mods = g ? g : mods;
                for (int k = 0; k < nm; k++)
                    free(mods[k]);
                free(mods);
                return ltx2_err(err, LTX2_ERR_OOM, "LoRA: out of memory");
            }
            mods = g;
            mods[nm++] = s;
        }
    }
    *out = mods;
    *count = nm;
    return LTX2_OK;
}

ltx2_status ltx2_lora_apply(ltx2_dit *model, ltx2_checkpoint *lora, float strength, bool fused_f32,
                            const kctx *kc, ltx2_dit **out, ltx2_error *err)
{
    *out = NULL;
    ltx2_status st = check_pairs(lora, err);
    if (st != LTX2_OK)
        return st;
    ltx2_dit *root = model->base ? model->base : model;
    ltx2_dit *n = calloc(1, sizeof *n);
    if (!n)
        return ltx2_err(err, LTX2_ERR_OOM, "LoRA: out of memory");
    atomic_init(&n->refs, 1);
    ltx2_dit_init_resident(n);
    n->cfg = root->cfg;
    n->video = root->video;
    n->audio = root->audio;
    ltx2_dit_retain(root);
    n->base = root;
    n->fused_f32 = fused_f32;
    n->blocks = malloc((size_t)root->cfg.num_layers * sizeof *n->blocks);
    n->loras = malloc((size_t)(model->n_loras + 1) * sizeof *n->loras);
    if (!n->blocks || !n->loras) {
        ltx2_dit_release(n);
        return ltx2_err(err, LTX2_ERR_OOM, "LoRA: out of memory");
    }
    memcpy(n->blocks, root->blocks, (size_t)root->cfg.num_layers * sizeof *n->blocks);
    for (int j = 0; j < model->n_loras; j++) {
        n->loras[j] = model->loras[j];
        ltx2_checkpoint_retain(n->loras[j].ckpt);
    }
    ltx2_checkpoint_retain(lora);
    n->loras[model->n_loras] = (ltx2_dit_lora){lora, strength};
    n->n_loras = model->n_loras + 1;

    char **mods = NULL;
    int nm = 0;
    st = collect_modules(n, &mods, &nm, err);
    int matched = 0;
    for (int i = 0; st == LTX2_OK && i < nm; i++) {
        int before = n->n_fused;
        st = fuse_one(n, kc, mods[i], err);
        matched += n->n_fused > before;
    }
    for (int i = 0; i < nm; i++)
        free(mods[i]);
    free(mods);
    if (st == LTX2_OK && matched == 0)
        st = ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s: no LoRA pair (<module>.lora_A/.lora_B.weight) matches a transformer weight",
                      ltx2_checkpoint_path(lora));
    if (st != LTX2_OK) {
        ltx2_dit_release(n);
        return st;
    }
    *out = n;
    return LTX2_OK;
}

ltx2_status ltx2_dit_weight_f32(ltx2_dit *m, const char *key, ltx2_tensor **out, ltx2_error *err)
{
    *out = NULL;
    if (!strncmp(key, LTX2_DIT_PREFIX, strlen(LTX2_DIT_PREFIX)))
        key += strlen(LTX2_DIT_PREFIX);
    const kmat *w = ltx2_dit_find_mat(m, key);
    if (!w)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "the model has no weight matrix \"%s\"", key);
    ltx2_tensor *t = ltx2_tensor_new_f32(2, {w->rows, w->cols});
    if (!t)
        return ltx2_err(err, LTX2_ERR_OOM, "out of memory");
    float *y = ltx2_tensor_f32(t);
    for (int64_t i = 0; i < w->rows; i++) {
        k_to_f32(w->dtype, (const char *)w->data + (size_t)(i * w->ld) * k_dtype_size(w->dtype), y + i * w->cols,
                 w->cols);
        if (w->scale != 1.0f)
            for (int64_t c = 0; c < w->cols; c++)
                y[i * w->cols + c] *= w->scale;
    }
    *out = t;
    return LTX2_OK;
}
