/* folders.c — file names resolved in ComfyUI-style model/input/output folders. */
#include "folders.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct class_input_folder {
    const char *class_type, *input, *kind;
} class_input_folder;

/* For plugins that do not publish input_folders: ComfyUI's folder_paths kinds. */
static const class_input_folder table[] = {
    {"CheckpointLoaderSimple", "ckpt_name", "checkpoints"},
    {"LTXVAudioVAELoader", "ckpt_name", "checkpoints"},
    {"LowVRAMCheckpointLoader", "ckpt_name", "checkpoints"},
    {"LowVRAMAudioVAELoader", "ckpt_name", "checkpoints"},
    {"LatentUpscaleModelLoader", "model_name", "latent_upscale_models"},
    {"LowVRAMLatentUpscaleModelLoader", "model_name", "latent_upscale_models"},
    {"LoraLoaderModelOnly", "lora_name", "loras"},
    {"LTXICLoRALoaderModelOnly", "lora_name", "loras"},
    {"LTXVGemmaCLIPModelLoader", "gemma_path", "text_encoders"},
    {"LTXVGemmaCLIPModelLoader", "ltxv_path", "checkpoints"},
    {"VAELoader", "vae_name", "vae"},
    {"LoadImage", "image", "input"},
    {"LoadVideo", "file", "input"},
    {"LTX2CheckpointLoader", "ckpt_path", "checkpoints"},
    {"LTX2UpscalerLoader", "path", "latent_upscale_models"},
    {"LTX2LoraApply", "lora_path", "loras"},
    {"LTX2TextEncoderLoader", "gemma_path", "text_encoders"},
    {"LTX2TextEncoderLoader", "tokenizer_path", "text_encoders"},
    {"LTX2TextEncoderLoader", "ckpt_path", "checkpoints"},
};

const char *hs_input_folder_kind(const ltx2_node_type *t, uint32_t port)
{
    if (LTX2_HAS_FIELD(t, ltx2_node_type, input_folders) && t->input_folders)
        return t->input_folders[port];
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (!strcmp(table[i].class_type, t->class_type) && !strcmp(table[i].input, t->inputs[port].name))
            return table[i].kind;
    return (t->inputs[port].flags & (LTX2_PORT_FILE | LTX2_PORT_UPLOAD)) ? "input" : NULL;
}

/* The folders a kind is searched in ("clip" is ComfyUI's older name of text_encoders). */
size_t hs_folder_dirs(const hs_folders *f, const char *kind, char dirs[2][4096])
{
    if (!strcmp(kind, "input")) {
        if (!f->input)
            return 0;
        snprintf(dirs[0], 4096, "%s", f->input);
        return 1;
    }
    if (!f->models)
        return 0;
    snprintf(dirs[0], 4096, "%s/%s", f->models, kind);
    if (!strcmp(kind, "text_encoders")) {
        snprintf(dirs[1], 4096, "%s/clip", f->models);
        return 2;
    }
    return 1;
}

/* An absolute name or one with a ".." component would leave its folder. */
static int escapes(const char *s)
{
    if (*s == '/')
        return 1;
    for (const char *p = s; (p = strstr(p, "..")); p += 2)
        if ((p == s || p[-1] == '/') && (p[2] == 0 || p[2] == '/'))
            return 1;
    return 0;
}

/* A confined name that leaves its folder, as a validation error (-1). */
static int refuse_escape(json_object *inputs, const char *node_id, const ltx2_node_type *t, const char *name,
                         const hs_folders *f, hs_diags *errs)
{
    json_object *v;
    if (!f->confine || !json_object_object_get_ex(inputs, name, &v) || !json_object_is_type(v, json_type_string))
        return 0;
    const char *s = json_object_get_string(v);
    if (!escapes(s) && !strstr(s, "${"))
        return 0;
    hs_diag d;
    hs_diag_set(&d, node_id, t->class_type, name, "value_not_in_list",
                "'%s' leaves its folder (absolute paths, '..' and ${VAR} are refused by the server)", s);
    hs_diags_push(errs, &d);
    return -1;
}

static int resolvable(json_object *v)
{
    if (!json_object_is_type(v, json_type_string))
        return 0;
    const char *s = json_object_get_string(v);
    return *s && *s != '/' && !strstr(s, "${"); /* absolute paths and --var values stay as given */
}

static void resolve_input(json_object *inputs, const char *node_id, const ltx2_node_type *t, uint32_t port,
                          const hs_folders *f, hs_diags *errs)
{
    const char *name = t->inputs[port].name, *kind = hs_input_folder_kind(t, port);
    json_object *v;
    if (!kind || refuse_escape(inputs, node_id, t, name, f, errs) || !json_object_object_get_ex(inputs, name, &v) ||
        !resolvable(v))
        return;
    char dirs[2][4096], path[8300], searched[8300] = "";
    size_t n = hs_folder_dirs(f, kind, dirs), used = 0;
    if (n == 0)
        return; /* no folder of that kind given: the name is a path as before */
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dirs[i], json_object_get_string(v));
        if (access(path, F_OK) == 0) {
            json_object_object_add(inputs, name, json_object_new_string(path));
            return;
        }
        int w = snprintf(searched + used, sizeof searched - used, "%s%s", i ? ", " : "", dirs[i]);
        if (w > 0 && (size_t)w < sizeof searched - used)
            used += (size_t)w;
    }
    hs_diag d;
    hs_diag_set(&d, node_id, t->class_type, name, "value_not_in_list", "'%s' is not in the %s folder%s (searched %s)",
                json_object_get_string(v), kind, n > 1 ? "s" : "", searched);
    hs_diags_push(errs, &d);
}

/* An output node's relative file name prefix goes under the output folder. */
static void place_output(json_object *inputs, const char *node_id, const ltx2_node_type *t, const hs_folders *f,
                         hs_diags *errs)
{
    static const char *const names[] = {"filename_prefix", "path"};
    for (size_t i = 0; f->output && i < 2; i++) {
        json_object *v;
        if (refuse_escape(inputs, node_id, t, names[i], f, errs) || !json_object_object_get_ex(inputs, names[i], &v) ||
            !resolvable(v))
            continue;
        char path[8300];
        snprintf(path, sizeof path, "%s/%s", f->output, json_object_get_string(v));
        json_object_object_add(inputs, names[i], json_object_new_string(path));
    }
}

int hs_resolve_folders(json_object *prompt, const ltx2_node_type *const *types, size_t n_types,
                       const hs_folders *f, hs_diags *errs)
{
    json_object_object_foreach(prompt, id, entry)
    {
        json_object *ct, *inputs;
        if (!json_object_object_get_ex(entry, "class_type", &ct) || !json_object_object_get_ex(entry, "inputs", &inputs) ||
            !json_object_is_type(inputs, json_type_object))
            continue;
        const ltx2_node_type *t = NULL;
        for (size_t i = 0; i < n_types && !t; i++)
            if (types[i] && !strcmp(types[i]->class_type, json_object_get_string(ct)))
                t = types[i];
        if (!t)
            continue;
        for (uint32_t p = 0; p < t->n_inputs; p++)
            resolve_input(inputs, id, t, p, f, errs);
        if (t->flags & LTX2_NODE_OUTPUT)
            place_output(inputs, id, t, f, errs);
    }
    return errs->n ? -1 : 0;
}
