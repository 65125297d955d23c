/* dit_config.c — the transformer config from the checkpoint's `config` metadata
 * (section "transformer"). A key absent from a present section takes the value the
 * reference configurator gives it (so a file means what it means to the reference);
 * a checkpoint without any config takes the LTX-2 19B release values. Widths are then
 * checked against the tensor shapes by the loader. */
#include <json-c/json.h>
#include <math.h>
#include <string.h>

#include "checked.h"
#include "json_util.h"
#include "transformer.h"

static struct json_object *field(struct json_object *sec, const char *key)
{
    struct json_object *v = NULL;
    if (!sec || !json_object_object_get_ex(sec, key, &v) || json_object_is_type(v, json_type_null))
        return NULL;
    return v;
}

static ltx2_status get_list(struct json_object *sec, const char *key, int n, const double *def,
                            double *out, ltx2_error *err)
{
    struct json_object *v = field(sec, key);
    if (!v) {
        memcpy(out, def, (size_t)n * sizeof(double));
        return LTX2_OK;
    }
    if (!json_object_is_type(v, json_type_array) || (int)json_object_array_length(v) != n)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "config transformer.%s: expected a list of %d numbers",
                        key, n);
    for (int i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(v, (size_t)i);
        if (!json_object_is_type(e, json_type_int) && !json_object_is_type(e, json_type_double))
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "config transformer.%s[%d]: not a number", key, i);
        out[i] = json_object_get_double(e);
        if (!(out[i] > 0) || !isfinite(out[i]))
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "config transformer.%s[%d]: %g is not a finite number > 0",
                            key, i, out[i]);
    }
    return LTX2_OK;
}

static const char *get_str(struct json_object *sec, const char *key)
{
    struct json_object *v = field(sec, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

ltx2_status ltx2_dit_config_read(const ltx2_checkpoint *ckpt, ltx2_dit_config *cfg, bool *present,
                                 ltx2_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    *present = false;
    struct json_object *root = ltx2_checkpoint_config(ckpt);
    struct json_object *sec = NULL;
    if (root && !json_object_object_get_ex(root, "transformer", &sec))
        sec = NULL;
    if (sec && !json_object_is_type(sec, json_type_object))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "config transformer: not an object");
    const char *pfx = ltx2_checkpoint_find(ckpt, LTX2_DIT_PREFIX "patchify_proj.weight") ||
                              ltx2_checkpoint_find(ckpt, LTX2_DIT_PREFIX "audio_patchify_proj.weight")
                          ? LTX2_DIT_PREFIX
                          : "";
    cfg->has_video = ltx2_checkpoint_findf(ckpt, "%spatchify_proj.weight", pfx) != NULL;
    cfg->has_audio = ltx2_checkpoint_findf(ckpt, "%saudio_patchify_proj.weight", pfx) != NULL;
    if (!cfg->has_video && !cfg->has_audio) {
        if (sec)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                            "config has a transformer section but the file has no %spatchify_proj.weight",
                            LTX2_DIT_PREFIX);
        return LTX2_OK;
    }
    *present = true;
    /* No config at all: the 19B release values (spec 1.3), not the code defaults. */
    const bool release = sec == NULL;
    /* The positions' pixel and audio scales: the geometry of this checkpoint's VAEs. */
    ltx2_status st = ltx2_latent_geom_read(root, &cfg->geom, err);
    if (st != LTX2_OK)
        return st;
    /* Ranges far beyond any LTX-2 model, tight enough that products of them fit. */
    static const char where[] = "config transformer";
    const int max_count = 1024, max_head_dim = 1 << 14, max_width = 1 << 20;
#define INT(k, d, lo, hi, dst) \
    if ((st = ltx2_cfg_int32(sec, where, k, d, lo, hi, dst, err)) != LTX2_OK) return st
#define NUM(k, d, lo, hi, dst) \
    if ((st = ltx2_cfg_num(sec, where, k, d, lo, hi, dst, err)) != LTX2_OK) return st
    INT("num_layers", 48, 1, max_count, &cfg->num_layers);
    INT("num_attention_heads", 32, 1, max_count, &cfg->v_heads);
    INT("attention_head_dim", 128, 2, max_head_dim, &cfg->v_head_dim);
    INT("in_channels", 128, 1, max_width, &cfg->v_in);
    INT("out_channels", 128, 1, max_width, &cfg->v_out);
    INT("cross_attention_dim", 4096, 1, max_width, &cfg->v_ctx_dim);
    INT("caption_channels", 3840, 1, max_width, &cfg->caption_channels);
    INT("audio_num_attention_heads", 32, 1, max_count, &cfg->a_heads);
    INT("audio_attention_head_dim", 64, 2, max_head_dim, &cfg->a_head_dim);
    INT("audio_in_channels", 128, 1, max_width, &cfg->a_in);
    INT("audio_out_channels", 128, 1, max_width, &cfg->a_out);
    INT("audio_cross_attention_dim", 2048, 1, max_width, &cfg->a_ctx_dim);
    double eps;
    NUM("norm_eps", 1e-6, 1e-30, 1.0, &eps);
    cfg->norm_eps = (float)eps;
    NUM("positional_embedding_theta", 10000.0, 1.0, 1e12, &cfg->theta);
    NUM("timestep_scale_multiplier", 1000.0, 0.0, 1e9, &cfg->timestep_scale);
    /* The reference's code default is 1; the release file says 1000 (spec 2.6). */
    NUM("av_ca_timestep_scale_multiplier", release ? 1000.0 : 1.0, 0.0, 1e9, &cfg->av_ca_timestep_scale);
#undef INT
#undef NUM
    static const double vmax_def[3] = {20, 2048, 2048}, amax_def[1] = {20};
    if ((st = get_list(sec, "positional_embedding_max_pos", 3, vmax_def, cfg->v_max_pos, err)) != LTX2_OK)
        return st;
    if ((st = get_list(sec, "audio_positional_embedding_max_pos", 1, amax_def, cfg->a_max_pos, err)) !=
        LTX2_OK)
        return st;
    cfg->cross_max_pos = cfg->v_max_pos[0] > cfg->a_max_pos[0] ? cfg->v_max_pos[0] : cfg->a_max_pos[0];

    const char *rope = get_str(sec, "rope_type");
    if (!rope)
        rope = release ? "split" : "interleaved";
    if (!strcmp(rope, "split"))
        cfg->rope_type = LTX2_ROPE_SPLIT;
    else if (!strcmp(rope, "interleaved"))
        cfg->rope_type = LTX2_ROPE_INTERLEAVED;
    else
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "config transformer.rope_type: unknown value \"%s\"", rope);
    const char *fp = get_str(sec, "frequencies_precision");
    cfg->rope_f64 = fp ? !strcmp(fp, "float64") : release;
    struct json_object *mid = field(sec, "use_middle_indices_grid");
    cfg->middle_indices = mid ? json_object_get_boolean(mid) : true;

    /* Values the reference refuses (spec 1.3) describe a model this code does not run. */
    const char *act = get_str(sec, "activation_fn");
    if (act && strcmp(act, "gelu-approximate"))
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED, "config transformer.activation_fn \"%s\" unsupported", act);
    const char *pe = get_str(sec, "positional_embedding_type");
    if (pe && strcmp(pe, "rope"))
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED,
                        "config transformer.positional_embedding_type \"%s\" unsupported", pe);
    struct json_object *gated = field(sec, "apply_gated_attention");
    if (gated && json_object_get_boolean(gated))
        return ltx2_err(err, LTX2_ERR_UNSUPPORTED,
                        "config transformer.apply_gated_attention: LTX-2.3 models are not supported");

    if (cfg->num_layers < 1 || cfg->v_heads < 1 || cfg->v_head_dim < 2 || cfg->a_heads < 1 ||
        cfg->a_head_dim < 2 || (cfg->v_head_dim & 1) || (cfg->a_head_dim & 1))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                        "config transformer: bad geometry (num_layers %d, heads %d x %d, audio %d x %d)",
                        cfg->num_layers, cfg->v_heads, cfg->v_head_dim, cfg->a_heads, cfg->a_head_dim);
    if (!ltx2_mul_int(cfg->v_heads, cfg->v_head_dim, &cfg->v_dim) || cfg->v_dim > max_width ||
        !ltx2_mul_int(cfg->a_heads, cfg->a_head_dim, &cfg->a_dim) || cfg->a_dim > max_width)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                        "config transformer: heads x head_dim (%d x %d, audio %d x %d) exceeds %d",
                        cfg->v_heads, cfg->v_head_dim, cfg->a_heads, cfg->a_head_dim, max_width);
    if (!cfg->has_video) {
        cfg->v_heads = cfg->v_head_dim = cfg->v_dim = 0;
    }
    if (!cfg->has_audio) {
        cfg->a_heads = cfg->a_head_dim = cfg->a_dim = 0;
    }
    return LTX2_OK;
}
