/* The node types of nodes/lora, in the order the manifest lists them:
 * LTX2LoraApply (MODEL + LoRA file + strength -> MODEL, chainable) and
 * LTX2ModelWeights (effective weight matrices of a MODEL, for checks). */
#include <stdio.h>
#include <string.h>

#include "lora.h"
#include "node.h"
#include "stages.h"
#include "store/store.h"

static const char *const fuse_options[] = {"checkpoint", "float32", NULL};

enum { LA_MODEL, LA_PATH, LA_STRENGTH, LA_FUSE };
static const ltx2_port la_inputs[] = {
    LTX2_PORT("model", "MODEL", 0, "the transformer (possibly with LoRAs already applied)"),
    LTX2_PORT_STRING("lora_path", "", LTX2_PORT_FILE, "LoRA .safetensors (diffusion_model.<module>.lora_A/B.weight)"),
    LTX2_PORT_FLOAT("strength", 1.0, -10.0, 10.0, 0.01, 0, "LoRA strength (no alpha/rank factor, as the reference)"),
    LTX2_PORT_COMBO("fused_precision", fuse_options, "checkpoint", LTX2_PORT_ADVANCED,
                    "checkpoint: fused weights rounded to bf16 like the reference's bf16 build; "
                    "float32: kept in float32 (the reference's float32 build)"),
};
static const ltx2_port la_outputs[] = {
    LTX2_PORT("MODEL", "MODEL", 0, "the transformer with the LoRA fused into the touched weights"),
};
static const ltx2_node_type lora_apply;

static ltx2_status la_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    ltx2_object *mo = NULL;
    ltx2_status st = ltx2_in_object(ctx, &lora_apply, in, LA_MODEL, "MODEL", &mo);
    if (st != LTX2_OK)
        return st;
    ltx2_dit *m = ltx2_dit_of(mo);
    if (!m)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "model", "not an LTX-2 transformer");
    const char *path = ltx2_in_string(in, LA_PATH);
    const double strength = ltx2_in_float(in, LA_STRENGTH);
    if (!path[0])
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "lora_path", "empty path");
    ltx2_error err = {0};
    ltx2_checkpoint *l = NULL;
    if (ltx2_checkpoint_open(ltx2_node_runtime(instance)->store, path, &l, &err) != LTX2_OK)
        return ltx2_fail_err(ctx, "lora_path", &err);
    kctx kc = ltx2_node_kctx(instance, ctx, 0);
    ltx2_dit *n = NULL;
    st = ltx2_lora_apply(m, l, (float)strength, !strcmp(ltx2_in_string(in, LA_FUSE), "float32"), &kc, &n, &err);
    ltx2_checkpoint_release(l);
    if (st == LTX2_OK && ltx2_cancelled(ctx)) { /* kernels stopped early: the fused weights are incomplete */
        ltx2_dit_release(n);
        return LTX2_CANCELLED;
    }
    if (st != LTX2_OK)
        return ltx2_fail_err(ctx, "lora_path", &err);
    ltx2_object *o = NULL;
    st = ltx2_dit_wrap(n, &o, &err);
    ltx2_dit_release(n);
    if (st != LTX2_OK)
        return ltx2_fail_err(ctx, NULL, &err);
    out[0] = ltx2_value_object(o);
    return LTX2_OK;
}

static const ltx2_node_type lora_apply = LTX2_NODE_TYPE(
    "LTX2LoraApply", "LTX-2 Apply LoRA", "ltx2/loaders", 0,
    "Fuses a LoRA into the transformer with the reference's semantics (delta = strength * B @ A, "
    "no alpha; several LoRAs summed before the add; bf16 rounding as the reference). Only the "
    "touched weights are copied; the rest stays shared with the input model. Chainable.",
    la_inputs, la_outputs, la_execute);

enum { MW_MODEL, MW_KEYS, MW_FUSED };
static const ltx2_port mw_inputs[] = {
    LTX2_PORT("model", "MODEL", 0, "the transformer"),
    LTX2_PORT_STRING("keys", "", LTX2_PORT_OPTIONAL,
                     "weight keys to output, separated by commas or spaces, e.g. "
                     "transformer_blocks.0.attn1.to_q.weight (model.diffusion_model. optional)"),
    LTX2_PORT_BOOL("lora_fused", true, LTX2_PORT_OPTIONAL, "also output every weight a LoRA was fused into"),
};
static const ltx2_port mw_outputs[] = {
    LTX2_PORT("weights", "TENSORS", 0,
              "the effective (LoRA-fused, dequantised) matrices as F32 [out, in], named by key "
              "without the model.diffusion_model. prefix"),
};
static const ltx2_node_type model_weights;

static ltx2_status mw_add(ltx2_exec_ctx *ctx, ltx2_dit *m, ltx2_object *o, const char *key)
{
    if (!strncmp(key, LTX2_DIT_PREFIX, strlen(LTX2_DIT_PREFIX)))
        key += strlen(LTX2_DIT_PREFIX);
    if (ltx2_object_has(o, key))
        return LTX2_OK;
    ltx2_error err = {0};
    ltx2_tensor *t = NULL;
    if (ltx2_dit_weight_f32(m, key, &t, &err) != LTX2_OK)
        return ltx2_fail_err(ctx, "keys", &err);
    ltx2_status st = ltx2_object_set_tensor(o, key, t);
    ltx2_tensor_release(t);
    return st == LTX2_OK ? LTX2_OK : ltx2_fail(ctx, st, NULL, "out of memory");
}

static ltx2_status mw_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)instance;
    ltx2_object *mo = NULL;
    ltx2_status st = ltx2_in_object(ctx, &model_weights, in, MW_MODEL, "MODEL", &mo);
    if (st != LTX2_OK)
        return st;
    ltx2_dit *m = ltx2_dit_of(mo);
    if (!m)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "model", "not an LTX-2 transformer");
    ltx2_object *o = ltx2_object_new("TENSORS");
    if (!o)
        return ltx2_fail(ctx, LTX2_ERR_OOM, NULL, "out of memory");
    const bool fused = !ltx2_in_present(in, MW_FUSED) || ltx2_in_bool(in, MW_FUSED);
    for (int i = 0; fused && st == LTX2_OK && i < m->n_fused; i++)
        st = mw_add(ctx, m, o, m->fused_names[i]);
    const char *s = ltx2_in_string(in, MW_KEYS);
    while (st == LTX2_OK && *s) {
        size_t n = strcspn(s, ", \t\n");
        if (n) {
            char key[300];
            if (n >= sizeof key) {
                st = ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "keys", "key too long");
                break;
            }
            memcpy(key, s, n);
            key[n] = 0;
            st = mw_add(ctx, m, o, key);
        }
        s += n + (s[n] != 0);
    }
    if (st != LTX2_OK) {
        ltx2_object_release(o);
        return st;
    }
    out[0] = ltx2_value_object(o);
    return LTX2_OK;
}

static const ltx2_node_type model_weights = LTX2_NODE_TYPE(
    "LTX2ModelWeights", "LTX-2 Model Weights (debug)", "ltx2/advanced", 0,
    "Outputs weight matrices of the transformer as they are used (after LoRA fusion, FP8 "
    "dequantised) as F32 tensors, for checks against reference weights.",
    mw_inputs, mw_outputs, mw_execute);

const ltx2_node_type *const *ltx2_nodes_lora(size_t *count)
{
    static const ltx2_node_type *const list[] = {&lora_apply, &model_weights};
    *count = LTX2_COUNT(list);
    return list;
}
