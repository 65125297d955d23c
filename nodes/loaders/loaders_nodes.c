/* loaders_nodes.c — the loader nodes: map a checkpoint once and hand out the model
 * handles each stage builds from it (nodes/loaders/loaders.h). */
#include <string.h>

#include "loaders.h"
#include "node.h"
#include "stages.h"

typedef ltx2_status (*builder_fn)(ltx2_checkpoint *, ltx2_object **, ltx2_error *);

static ltx2_status open_ckpt(void *instance, ltx2_exec_ctx *ctx, const char *input,
                             const char *path, ltx2_checkpoint **out)
{
    ltx2_error err = {0};
    if (!path[0])
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, input, "empty path");
    if (ltx2_checkpoint_open(ltx2_node_runtime(instance)->store, path, out, &err) != LTX2_OK)
        return ltx2_fail_err(ctx, input, &err);
    return LTX2_OK;
}

/* ---------------------------------------------------------------- LTX2CheckpointLoader */
enum { CK_IN_PATH };
static const ltx2_port ck_inputs[] = {
    LTX2_PORT_STRING("ckpt_path", "", LTX2_PORT_FILE,
                     "LTX-2 checkpoint: the combined release .safetensors, a component file, "
                     "a sharded *.safetensors.index.json or a folder"),
};
static const ltx2_port ck_outputs[] = {
    LTX2_PORT("MODEL", "MODEL", 0, "the AV transformer"),
    LTX2_PORT("VAE", "VAE", 0, "the video VAE"),
    LTX2_PORT("AUDIO_VAE", "AUDIO_VAE", 0, "the audio VAE"),
    LTX2_PORT("VOCODER", "VOCODER", 0, "the vocoder"),
};

static ltx2_status ck_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in,
                              ltx2_value *out)
{
    const char *path = ltx2_in_string(in, CK_IN_PATH);
    ltx2_checkpoint *ck = NULL;
    ltx2_status st = open_ckpt(instance, ctx, "ckpt_path", path, &ck);
    if (st != LTX2_OK)
        return st;
    const struct {
        builder_fn fn;
        const char *what;
    } parts[] = {
        {ltx2_load_transformer, "transformer"},
        {ltx2_load_video_vae, "video VAE"},
        {ltx2_load_audio_vae, "audio VAE"},
        {ltx2_load_vocoder, "vocoder"},
    };
    int found = 0;
    for (int i = 0; i < 4; i++) {
        if ((st = ltx2_progress(ctx, i, 4, "load")) != LTX2_OK)
            goto fail;
        ltx2_object *obj = NULL;
        ltx2_error err = {0};
        if (parts[i].fn(ck, &obj, &err) != LTX2_OK) {
            ltx2_err_prefix(&err, "%s: %s", path, parts[i].what);
            st = ltx2_fail_err(ctx, "ckpt_path", &err);
            goto fail;
        }
        out[i] = ltx2_value_object(obj);
        found += obj != NULL;
        if (!obj)
            ltx2_logf(ctx, LTX2_LOG_INFO, "%s has no %s: output %s stays unconnected", path,
                      parts[i].what, ck_outputs[i].name);
    }
    if (!found) {
        st = ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "ckpt_path",
                       "%s: no LTX-2 component (transformer, VAE, audio VAE, vocoder) found", path);
        goto fail;
    }
    ltx2_checkpoint_release(ck);
    return ltx2_progress(ctx, 4, 4, "load");
fail:
    for (int i = 0; i < 4; i++)
        ltx2_value_release(&out[i]);
    ltx2_checkpoint_release(ck);
    return st;
}

static const ltx2_node_type checkpoint_loader = LTX2_NODE_TYPE(
    "LTX2CheckpointLoader", "Load LTX-2 Checkpoint", "ltx2/loaders",
    LTX2_NODE_PROGRESS | LTX2_NODE_CANCELLABLE,
    "Maps an LTX-2 checkpoint (weights stay memory-mapped) and hands out the transformer, "
    "video VAE, audio VAE and vocoder it contains, configured from its `config` metadata. "
    "A component the file lacks comes out unconnected.",
    ck_inputs, ck_outputs, ck_execute);

/* ---------------------------------------------------------------- LTX2UpscalerLoader */
static const ltx2_port up_inputs[] = {
    LTX2_PORT_STRING("path", "", LTX2_PORT_FILE,
                     "latent upscaler file, e.g. ltx-2-spatial-upscaler-x2-1.0.safetensors"),
};
static const ltx2_port up_outputs[] = {
    LTX2_PORT("LATENT_UPSCALE_MODEL", "LATENT_UPSCALE_MODEL", 0, "spatial or temporal x2 upscaler"),
};

static ltx2_status up_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in,
                              ltx2_value *out)
{
    const char *path = ltx2_in_string(in, 0);
    ltx2_checkpoint *ck = NULL;
    ltx2_status st = open_ckpt(instance, ctx, "path", path, &ck);
    if (st != LTX2_OK)
        return st;
    ltx2_object *obj = NULL;
    ltx2_error err = {0};
    st = ltx2_load_upscaler(ck, &obj, &err);
    ltx2_checkpoint_release(ck);
    if (st != LTX2_OK) {
        ltx2_err_prefix(&err, "%s", path); /* the message names the file, as the checkpoint loader's do */
        return ltx2_fail_err(ctx, "path", &err);
    }
    if (!obj)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "path", "%s: not a latent upscaler file", path);
    out[0] = ltx2_value_object(obj);
    return LTX2_OK;
}

static const ltx2_node_type upscaler_loader = LTX2_NODE_TYPE(
    "LTX2UpscalerLoader", "Load LTX-2 Latent Upscaler", "ltx2/loaders", 0,
    "Maps a spatial or temporal x2 latent upscaler file.", up_inputs, up_outputs, up_execute);

/* ---------------------------------------------------------------- LTX2TextEncoderLoader */
enum { TE_IN_GEMMA, TE_IN_CKPT, TE_IN_TOKENIZER };
static const ltx2_port te_inputs[] = {
    LTX2_PORT_STRING("gemma_path", "", LTX2_PORT_FILE,
                     "Gemma 3 weights: a Hugging Face folder, its index.json, or a .safetensors"),
    LTX2_PORT_STRING("ckpt_path", "", LTX2_PORT_FILE | LTX2_PORT_OPTIONAL,
                     "LTX-2 checkpoint holding the text projection and connectors "
                     "(empty: the same file as gemma_path)"),
    LTX2_PORT_STRING("tokenizer_path", "", LTX2_PORT_FILE,
                     "SentencePiece tokenizer.model (empty: tokenizer.model in the Gemma folder)"),
};
static const ltx2_port te_outputs[] = {
    LTX2_PORT("TEXT_ENCODER", "TEXT_ENCODER", 0, "Gemma 3 + feature extractor + connectors"),
};

static ltx2_status te_execute(void *instance, ltx2_exec_ctx *ctx, const ltx2_value *in,
                              ltx2_value *out)
{
    const char *gpath = ltx2_in_string(in, TE_IN_GEMMA);
    const char *cpath = ltx2_in_string(in, TE_IN_CKPT);
    const char *tpath = ltx2_in_string(in, TE_IN_TOKENIZER);
    ltx2_checkpoint *gemma = NULL, *ltx = NULL;
    ltx2_status st = open_ckpt(instance, ctx, "gemma_path", gpath, &gemma);
    if (st != LTX2_OK)
        return st;
    if (cpath[0]) {
        if ((st = open_ckpt(instance, ctx, "ckpt_path", cpath, &ltx)) != LTX2_OK) {
            ltx2_checkpoint_release(gemma);
            return st;
        }
    } else {
        ltx2_checkpoint_retain(gemma);
        ltx = gemma;
    }
    ltx2_object *obj = NULL;
    ltx2_error err = {0};
    st = ltx2_load_text_encoder(gemma, ltx, tpath, &obj, &err);
    ltx2_checkpoint_release(gemma);
    ltx2_checkpoint_release(ltx);
    if (st != LTX2_OK)
        return ltx2_fail_err(ctx, strstr(err.msg, "tokenizer") ? "tokenizer_path" : "gemma_path", &err);
    if (!obj)
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "gemma_path", "%s: no Gemma 3 text model found", gpath);
    out[0] = ltx2_value_object(obj);
    return LTX2_OK;
}

static const ltx2_node_type text_encoder_loader = LTX2_NODE_TYPE(
    "LTX2TextEncoderLoader", "Load LTX-2 Text Encoder", "ltx2/loaders", 0,
    "Maps Gemma 3 and the LTX-2 text projection/connectors and loads the SentencePiece tokenizer.",
    te_inputs, te_outputs, te_execute);

static const ltx2_node_type *const loader_types[] = {
    &checkpoint_loader,
    &upscaler_loader,
    &text_encoder_loader,
};

const ltx2_node_type *const *ltx2_nodes_loaders(size_t *count)
{
    *count = sizeof loader_types / sizeof loader_types[0];
    return loader_types;
}
