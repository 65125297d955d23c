/* gemma3_gen_config.c — the sampling settings and stop ids of generation_config.json. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "json_util.h"
#include "text/gemma3_generate.h"

void ltx2_gen_config_add_stop(ltx2_gen_config *cfg, int32_t id)
{
    if (id < 0 || cfg->n_stop >= LTX2_GEN_MAX_STOP) return;
    for (int i = 0; i < cfg->n_stop; ++i)
        if (cfg->stop[i] == id) return;
    cfg->stop[cfg->n_stop++] = id;
}

ltx2_status ltx2_gen_config_read(const char *dir, ltx2_gen_config *cfg, ltx2_error *err)
{
    static const char where[] = "generation_config.json";
    cfg->top_k = 50, cfg->top_p = 1.0, cfg->n_stop = 0;
    char path[4096];
    struct stat sb;
    snprintf(path, sizeof path, "%s/generation_config.json", dir ? dir : ".");
    if (stat(path, &sb) != 0) return LTX2_OK;
    struct json_object *j = json_object_from_file(path), *v;
    if (!j) return ltx2_err(err, LTX2_ERR_BAD_INPUT, "%s: not valid JSON", path);
    ltx2_status st = ltx2_cfg_int(j, where, "top_k", cfg->top_k, 0, INT64_C(1) << 31, &cfg->top_k, err);
    if (!st) st = ltx2_cfg_num(j, where, "top_p", cfg->top_p, 0.0, 1.0, &cfg->top_p, err);
    if (!st && json_object_object_get_ex(j, "eos_token_id", &v)) {
        if (json_object_is_type(v, json_type_array))
            for (size_t i = 0; i < json_object_array_length(v); ++i)
                ltx2_gen_config_add_stop(cfg, (int32_t)json_object_get_int64(json_object_array_get_idx(v, i)));
        else if (json_object_is_type(v, json_type_int))
            ltx2_gen_config_add_stop(cfg, (int32_t)json_object_get_int64(v));
    }
    json_object_put(j);
    return st;
}
