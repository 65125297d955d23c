/* gemma3_config.c — reads a Hugging Face Gemma 3 config into ltx2_gemma3_config. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "text/gemma3.h"

static const char where[] = "Gemma config";

static int jget(struct json_object *o, const char *key, struct json_object **v)
{
    return o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, v) &&
           !json_object_is_type(*v, json_type_null);
}

/* One RoPE parameter block: {"rope_type": "default"|"linear", "factor", "rope_theta"}. */
static ltx2_status rope_block(struct json_object *o, const char *what, double *theta, double *factor,
                              ltx2_error *err)
{
    struct json_object *v;
    const char *type = "default";
    if (jget(o, "rope_type", &v) || jget(o, "type", &v)) type = json_object_get_string(v);
    ltx2_status st = ltx2_cfg_num(o, where, "rope_theta", *theta, 1e-6, 1e12, theta, err);
    if (st != LTX2_OK) return st;
    if (strcmp(type, "default") == 0) {
        *factor = 1.0;
    } else if (strcmp(type, "linear") == 0) {
        if ((st = ltx2_cfg_num(o, where, "factor", *factor, 1e-6, 1e6, factor, err)) != LTX2_OK) return st;
    } else {
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "Gemma config: %s rope_type \"%s\" (only default and linear)",
                        what, type);
    }
    if (!(*theta > 0) || !(*factor > 0))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "Gemma config: %s rope theta/factor must be > 0", what);
    return LTX2_OK;
}

ltx2_status ltx2_gemma3_config_parse(struct json_object *json, ltx2_gemma3_config *cfg, ltx2_error *err)
{
    /* Gemma 3 12B values (the reference hard-codes them); dims 0 = from the weights. */
    memset(cfg, 0, sizeof *cfg);
    cfg->rms_eps = 1e-6;
    cfg->sliding_window = 1024;
    cfg->sliding_pattern = 6;
    cfg->theta_global = 1e6;
    cfg->factor_global = 8.0;
    cfg->theta_local = 1e4;
    cfg->factor_local = 1.0;
    if (!json) return LTX2_OK;

    struct json_object *tc = json, *v;
    if (jget(json, "text_config", &v)) tc = v;
    /* Dims 0 = from the weights (checked against them); bounds far above Gemma 3 27B. */
    ltx2_status st;
    const int64_t max_dim = 1 << 24, max_count = 4096;
#define INT(key, lo, hi, dst) \
    if ((st = ltx2_cfg_int(tc, where, key, *(dst), lo, hi, dst, err)) != LTX2_OK) return st
#define NUM(key, lo, hi, dst) \
    if ((st = ltx2_cfg_num(tc, where, key, *(dst), lo, hi, dst, err)) != LTX2_OK) return st
    INT("vocab_size", 1, max_dim, &cfg->vocab);
    INT("hidden_size", 1, max_dim, &cfg->hidden);
    INT("intermediate_size", 1, max_dim, &cfg->intermediate);
    INT("num_hidden_layers", 1, max_count, &cfg->n_layers);
    INT("num_attention_heads", 1, max_count, &cfg->n_heads);
    INT("num_key_value_heads", 1, max_count, &cfg->n_kv_heads);
    INT("head_dim", 1, max_dim, &cfg->head_dim);
    NUM("rms_norm_eps", 1e-30, 1.0, &cfg->rms_eps);
    NUM("query_pre_attn_scalar", 1e-6, 1e12, &cfg->query_pre_attn_scalar);
    INT("sliding_window", 1, max_dim, &cfg->sliding_window);
    INT("sliding_window_pattern", 1, max_count, &cfg->sliding_pattern);
    NUM("final_logit_softcapping", 0.0, 1e12, &cfg->final_softcap);
#undef INT
#undef NUM
    if (jget(tc, "hidden_activation", &v) && strcmp(json_object_get_string(v), "gelu_pytorch_tanh") != 0)
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "Gemma config: hidden_activation \"%s\"",
                        json_object_get_string(v));
    if (jget(tc, "attn_logit_softcapping", &v))
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "Gemma config: attn_logit_softcapping is not supported");

    if (jget(tc, "rope_parameters", &v)) { /* transformers 5 */
        struct json_object *blk;
        if (jget(v, "full_attention", &blk) &&
            (st = rope_block(blk, "full_attention", &cfg->theta_global, &cfg->factor_global, err)))
            return st;
        if (jget(v, "sliding_attention", &blk) &&
            (st = rope_block(blk, "sliding_attention", &cfg->theta_local, &cfg->factor_local, err)))
            return st;
    } else { /* transformers 4: rope_theta + rope_scaling (global), rope_local_base_freq */
        if ((st = ltx2_cfg_num(tc, where, "rope_theta", cfg->theta_global, 1e-6, 1e12, &cfg->theta_global,
                               err)) != LTX2_OK ||
            (st = ltx2_cfg_num(tc, where, "rope_local_base_freq", cfg->theta_local, 1e-6, 1e12, &cfg->theta_local,
                               err)) != LTX2_OK)
            return st;
        if (jget(tc, "rope_scaling", &v)) {
            if ((st = rope_block(v, "rope_scaling", &cfg->theta_global, &cfg->factor_global, err))) return st;
        } else {
            cfg->factor_global = 1.0;
        }
    }

    if (jget(tc, "layer_types", &v) && json_object_is_type(v, json_type_array)) {
        size_t n = json_object_array_length(v);
        if (cfg->n_layers && (int64_t)n != cfg->n_layers)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "Gemma config: layer_types has %zu entries for %lld layers",
                            n, (long long)cfg->n_layers);
        cfg->n_layers = (int64_t)n;
        cfg->sliding = malloc(n ? n : 1);
        if (!cfg->sliding) return ltx2_err(err, LTX2_ERR_OOM, "Gemma config: out of memory");
        for (size_t i = 0; i < n; ++i) {
            const char *t = json_object_get_string(json_object_array_get_idx(v, i));
            if (t && strcmp(t, "sliding_attention") == 0) cfg->sliding[i] = 1;
            else if (t && strcmp(t, "full_attention") == 0) cfg->sliding[i] = 0;
            else {
                ltx2_gemma3_config_free(cfg);
                return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "Gemma config: layer_types[%zu] = \"%s\"", i,
                                t ? t : "?");
            }
        }
    }
    return LTX2_OK;
}

void ltx2_gemma3_config_free(ltx2_gemma3_config *cfg)
{
    free(cfg->sliding);
    cfg->sliding = NULL;
}
