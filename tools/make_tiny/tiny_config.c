/* tiny_config.c — the JSON texts: the checkpoint's `config` metadata (sections
 * transformer, vae, audio_vae, vocoder, as in the release file), the upsampler
 * configs, and the Gemma folder's config.json. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include "tiny_config.h"

#define J_INT(v) json_object_new_int64(v)
#define J_DBL(v) json_object_new_double(v)
#define J_STR(v) json_object_new_string(v)
#define J_BOOL(v) json_object_new_boolean(v)

static struct json_object *int_array(int n, const int64_t *v)
{
    struct json_object *a = json_object_new_array();
    for (int i = 0; i < n; i++)
        json_object_array_add(a, J_INT(v[i]));
    return a;
}

static char *dump(struct json_object *o)
{
    const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *r = t ? strdup(t) : NULL;
    json_object_put(o);
    return r;
}

static struct json_object *transformer_section(const tiny_dims *d)
{
    struct json_object *t = json_object_new_object();
    json_object_object_add(t, "_class_name", J_STR("AVTransformer3DModel"));
    /* the keys the reference requires to have exactly these values */
    json_object_object_add(t, "dropout", J_DBL(0.0));
    json_object_object_add(t, "attention_bias", J_BOOL(1));
    json_object_object_add(t, "num_vector_embeds", NULL);
    json_object_object_add(t, "activation_fn", J_STR("gelu-approximate"));
    json_object_object_add(t, "num_embeds_ada_norm", J_INT(1000));
    json_object_object_add(t, "use_linear_projection", J_BOOL(0));
    json_object_object_add(t, "only_cross_attention", J_BOOL(0));
    json_object_object_add(t, "cross_attention_norm", J_BOOL(1));
    json_object_object_add(t, "double_self_attention", J_BOOL(0));
    json_object_object_add(t, "upcast_attention", J_BOOL(0));
    json_object_object_add(t, "standardization_norm", J_STR("rms_norm"));
    json_object_object_add(t, "norm_elementwise_affine", J_BOOL(0));
    json_object_object_add(t, "qk_norm", J_STR("rms_norm"));
    json_object_object_add(t, "positional_embedding_type", J_STR("rope"));
    json_object_object_add(t, "use_audio_video_cross_attention", J_BOOL(1));
    json_object_object_add(t, "share_ff", J_BOOL(0));
    json_object_object_add(t, "av_cross_ada_norm", J_BOOL(1));
    json_object_object_add(t, "use_middle_indices_grid", J_BOOL(1));
    /* the dims */
    json_object_object_add(t, "num_attention_heads", J_INT(d->heads));
    json_object_object_add(t, "attention_head_dim", J_INT(d->head_dim));
    json_object_object_add(t, "in_channels", J_INT(d->latent_ch));
    json_object_object_add(t, "out_channels", J_INT(d->latent_ch));
    json_object_object_add(t, "num_layers", J_INT(d->layers));
    json_object_object_add(t, "cross_attention_dim", J_INT(d->heads * d->head_dim));
    json_object_object_add(t, "norm_eps", J_DBL(1e-6));
    json_object_object_add(t, "attention_type", J_STR("default"));
    json_object_object_add(t, "caption_channels", J_INT(d->conn_heads * d->conn_head_dim));
    json_object_object_add(t, "positional_embedding_theta", J_DBL(10000.0));
    json_object_object_add(t, "positional_embedding_max_pos", int_array(3, (int64_t[]){20, 2048, 2048}));
    json_object_object_add(t, "timestep_scale_multiplier", J_INT(1000));
    json_object_object_add(t, "rope_type", J_STR("split"));
    json_object_object_add(t, "frequencies_precision", J_STR("float64"));
    json_object_object_add(t, "causal_temporal_positioning", J_BOOL(1));
    json_object_object_add(t, "audio_num_attention_heads", J_INT(d->audio_heads));
    json_object_object_add(t, "audio_attention_head_dim", J_INT(d->audio_head_dim));
    json_object_object_add(t, "audio_in_channels", J_INT(d->audio_latent_ch));
    json_object_object_add(t, "audio_out_channels", J_INT(d->audio_latent_ch));
    json_object_object_add(t, "audio_cross_attention_dim", J_INT(d->audio_heads * d->audio_head_dim));
    json_object_object_add(t, "audio_positional_embedding_max_pos", int_array(1, (int64_t[]){20}));
    json_object_object_add(t, "av_ca_timestep_scale_multiplier", J_INT(1000));
    /* text connectors (the release header carries these; the reference hard-codes them) */
    json_object_object_add(t, "use_embeddings_connector", J_BOOL(1));
    json_object_object_add(t, "connector_positional_embedding_max_pos", int_array(1, (int64_t[]){4096}));
    json_object_object_add(t, "connector_num_attention_heads", J_INT(d->conn_heads));
    json_object_object_add(t, "connector_attention_head_dim", J_INT(d->conn_head_dim));
    json_object_object_add(t, "connector_num_layers", J_INT(d->conn_layers));
    json_object_object_add(t, "connector_num_learnable_registers", J_INT(d->conn_registers));
    json_object_object_add(t, "connector_norm_output", J_BOOL(1));
    return t;
}

static struct json_object *block(const char *name, const char *k1, int64_t v1, const char *k2, struct json_object *v2)
{
    struct json_object *b = json_object_new_array(), *o = json_object_new_object();
    json_object_object_add(o, k1, J_INT(v1));
    if (k2)
        json_object_object_add(o, k2, v2);
    json_object_array_add(b, J_STR(name));
    json_object_array_add(b, o);
    return b;
}

static struct json_object *vae_section(const tiny_dims *d)
{
    struct json_object *v = json_object_new_object(), *enc = json_object_new_array(), *dec = json_object_new_array();
    json_object_object_add(v, "_class_name", J_STR("CausalVideoAutoencoder"));
    json_object_object_add(v, "dims", J_INT(3));
    json_object_object_add(v, "in_channels", J_INT(3));
    json_object_object_add(v, "out_channels", J_INT(3));
    json_object_object_add(v, "latent_channels", J_INT(d->latent_ch));
    static const char *const down[4] = {"compress_space_res", "compress_time_res", "compress_all_res",
                                        "compress_all_res"};
    json_object_array_add(enc, block("res_x", "num_layers", d->vae_res_layers, NULL, NULL));
    for (int i = 0; i < 4; i++) {
        json_object_array_add(enc, block(down[i], "multiplier", 2, NULL, NULL));
        json_object_array_add(enc, block("res_x", "num_layers", d->vae_res_layers, NULL, NULL));
    }
    json_object_object_add(v, "encoder_blocks", enc);
    json_object_array_add(dec, block("res_x", "num_layers", d->vae_res_layers, "inject_noise", J_BOOL(0)));
    for (int i = 0; i < 3; i++) {
        json_object_array_add(dec, block("compress_all", "multiplier", 2, "residual", J_BOOL(1)));
        json_object_array_add(dec, block("res_x", "num_layers", d->vae_res_layers, "inject_noise", J_BOOL(0)));
    }
    json_object_object_add(v, "decoder_blocks", dec);
    json_object_object_add(v, "scaling_factor", J_DBL(1.0));
    json_object_object_add(v, "norm_layer", J_STR("pixel_norm"));
    json_object_object_add(v, "patch_size", J_INT(4));
    json_object_object_add(v, "latent_log_var", J_STR("uniform"));
    json_object_object_add(v, "use_quant_conv", J_BOOL(0));
    json_object_object_add(v, "causal_decoder", J_BOOL(0));
    json_object_object_add(v, "timestep_conditioning", J_BOOL(0));
    json_object_object_add(v, "normalize_latent_channels", J_BOOL(0));
    json_object_object_add(v, "encoder_base_channels", J_INT(d->vae_base));
    json_object_object_add(v, "decoder_base_channels", J_INT(d->vae_base));
    json_object_object_add(v, "encoder_spatial_padding_mode", J_STR("zeros"));
    json_object_object_add(v, "decoder_spatial_padding_mode", J_STR("reflect"));
    return v;
}

static struct json_object *audio_vae_section(const tiny_dims *d)
{
    struct json_object *dd = json_object_new_object();
    json_object_object_add(dd, "double_z", J_BOOL(1));
    json_object_object_add(dd, "mel_bins", J_INT(d->a_mel));
    json_object_object_add(dd, "z_channels", J_INT(d->a_z));
    json_object_object_add(dd, "resolution", J_INT(256));
    json_object_object_add(dd, "downsample_time", J_BOOL(0));
    json_object_object_add(dd, "in_channels", J_INT(2));
    json_object_object_add(dd, "out_ch", J_INT(2));
    json_object_object_add(dd, "ch", J_INT(d->a_ch));
    json_object_object_add(dd, "ch_mult", int_array(3, (int64_t[]){1, 2, 4}));
    json_object_object_add(dd, "num_res_blocks", J_INT(d->a_res_blocks));
    json_object_object_add(dd, "attn_resolutions", json_object_new_array());
    json_object_object_add(dd, "dropout", J_DBL(0.0));
    json_object_object_add(dd, "mid_block_add_attention", J_BOOL(0));
    json_object_object_add(dd, "norm_type", J_STR("pixel"));
    json_object_object_add(dd, "causality_axis", J_STR("height"));
    struct json_object *params = json_object_new_object(), *model = json_object_new_object();
    json_object_object_add(params, "sampling_rate", J_INT(16000));
    json_object_object_add(params, "embed_dim", J_INT(d->a_z));
    json_object_object_add(params, "ddconfig", dd);
    json_object_object_add(model, "params", params);
    struct json_object *pre = json_object_new_object(), *au = json_object_new_object(), *stft = json_object_new_object(),
                       *mel = json_object_new_object();
    json_object_object_add(au, "sampling_rate", J_INT(16000));
    json_object_object_add(au, "max_wav_value", J_DBL(32768.0));
    json_object_object_add(au, "duration", J_DBL(5.12));
    json_object_object_add(au, "stereo", J_BOOL(1));
    json_object_object_add(au, "causal_padding", J_INT(3));
    json_object_object_add(stft, "filter_length", J_INT(1024));
    json_object_object_add(stft, "hop_length", J_INT(160));
    json_object_object_add(stft, "win_length", J_INT(1024));
    json_object_object_add(stft, "causal", J_BOOL(1));
    json_object_object_add(mel, "n_mel_channels", J_INT(d->a_mel));
    json_object_object_add(mel, "mel_fmin", J_INT(0));
    json_object_object_add(mel, "mel_fmax", J_INT(8000));
    json_object_object_add(pre, "audio", au);
    json_object_object_add(pre, "stft", stft);
    json_object_object_add(pre, "mel", mel);
    struct json_object *a = json_object_new_object();
    json_object_object_add(a, "model", model);
    json_object_object_add(a, "preprocessing", pre);
    return a;
}

static struct json_object *vocoder_section(const tiny_dims *d)
{
    struct json_object *v = json_object_new_object(), *dil = json_object_new_array();
    json_object_object_add(v, "resblock_kernel_sizes", int_array(3, (int64_t[]){3, 7, 11}));
    json_object_object_add(v, "upsample_rates", int_array(5, (int64_t[]){6, 5, 2, 2, 2}));
    json_object_object_add(v, "upsample_kernel_sizes", int_array(5, (int64_t[]){16, 15, 8, 4, 4}));
    for (int i = 0; i < 3; i++)
        json_object_array_add(dil, int_array(3, (int64_t[]){1, 3, 5}));
    json_object_object_add(v, "resblock_dilation_sizes", dil);
    json_object_object_add(v, "upsample_initial_channel", J_INT(d->voc_ch));
    json_object_object_add(v, "stereo", J_BOOL(1));
    json_object_object_add(v, "resblock", J_STR("1"));
    json_object_object_add(v, "output_sample_rate", J_INT(24000));
    return v;
}

char *tiny_checkpoint_config(const tiny_dims *d)
{
    struct json_object *c = json_object_new_object();
    json_object_object_add(c, "transformer", transformer_section(d));
    json_object_object_add(c, "vae", vae_section(d));
    json_object_object_add(c, "audio_vae", audio_vae_section(d));
    json_object_object_add(c, "vocoder", vocoder_section(d));
    return dump(c);
}

char *tiny_upscaler_config(const tiny_dims *d, int temporal)
{
    struct json_object *c = json_object_new_object();
    json_object_object_add(c, "_class_name", J_STR("LatentUpsampler"));
    json_object_object_add(c, "in_channels", J_INT(d->latent_ch));
    json_object_object_add(c, "mid_channels", J_INT(d->up_mid));
    json_object_object_add(c, "num_blocks_per_stage", J_INT(d->up_blocks));
    json_object_object_add(c, "dims", J_INT(3));
    json_object_object_add(c, "spatial_upsample", J_BOOL(!temporal));
    json_object_object_add(c, "temporal_upsample", J_BOOL(temporal));
    json_object_object_add(c, "spatial_scale", J_DBL(temporal ? 1.0 : 2.0));
    json_object_object_add(c, "rational_resampler", J_BOOL(0));
    return dump(c);
}

/* A Gemma3ForConditionalGeneration config.json (transformers 4 style) with the text
 * model in `text_config`. */
char *tiny_gemma_config(const tiny_dims *d)
{
    struct json_object *c = json_object_new_object(), *t = json_object_new_object(), *rs = json_object_new_object(),
                       *arch = json_object_new_array();
    json_object_array_add(arch, J_STR("Gemma3ForConditionalGeneration"));
    json_object_object_add(c, "architectures", arch);
    json_object_object_add(c, "model_type", J_STR("gemma3"));
    json_object_object_add(c, "torch_dtype", J_STR("bfloat16"));
    json_object_object_add(t, "model_type", J_STR("gemma3_text"));
    json_object_object_add(t, "vocab_size", J_INT(d->vocab));
    json_object_object_add(t, "hidden_size", J_INT(d->g_hidden));
    json_object_object_add(t, "intermediate_size", J_INT(d->g_inter));
    json_object_object_add(t, "num_hidden_layers", J_INT(d->g_layers));
    json_object_object_add(t, "num_attention_heads", J_INT(d->g_heads));
    json_object_object_add(t, "num_key_value_heads", J_INT(d->g_kv_heads));
    json_object_object_add(t, "head_dim", J_INT(d->g_head_dim));
    json_object_object_add(t, "query_pre_attn_scalar", J_INT(d->g_head_dim));
    json_object_object_add(t, "hidden_activation", J_STR("gelu_pytorch_tanh"));
    json_object_object_add(t, "rms_norm_eps", J_DBL(1e-6));
    json_object_object_add(t, "max_position_embeddings", J_INT(131072));
    json_object_object_add(t, "rope_theta", J_DBL(1000000.0));
    json_object_object_add(t, "rope_local_base_freq", J_DBL(10000.0));
    json_object_object_add(rs, "rope_type", J_STR("linear"));
    json_object_object_add(rs, "factor", J_DBL(8.0));
    json_object_object_add(t, "rope_scaling", rs);
    json_object_object_add(t, "sliding_window", J_INT(d->g_window));
    json_object_object_add(t, "sliding_window_pattern", J_INT(d->g_pattern));
    json_object_object_add(t, "attention_bias", J_BOOL(0));
    json_object_object_add(t, "pad_token_id", J_INT(0));
    json_object_object_add(t, "eos_token_id", J_INT(1));
    json_object_object_add(t, "bos_token_id", J_INT(2));
    json_object_object_add(c, "text_config", t);
    struct json_object *v = json_object_new_object();
    json_object_object_add(v, "model_type", J_STR("siglip_vision_model"));
    json_object_object_add(v, "hidden_size", J_INT(d->v_hidden));
    json_object_object_add(v, "intermediate_size", J_INT(d->v_inter));
    json_object_object_add(v, "num_hidden_layers", J_INT(d->v_layers));
    json_object_object_add(v, "num_attention_heads", J_INT(d->v_heads));
    json_object_object_add(v, "image_size", J_INT(d->v_image));
    json_object_object_add(v, "patch_size", J_INT(d->v_patch));
    json_object_object_add(v, "layer_norm_eps", J_DBL(1e-6));
    json_object_object_add(v, "hidden_act", J_STR("gelu_pytorch_tanh"));
    json_object_object_add(v, "vision_use_head", J_BOOL(0));
    json_object_object_add(c, "vision_config", v);
    json_object_object_add(c, "mm_tokens_per_image", J_INT(d->v_tokens));
    /* the soft tokens' id lies past the tokenizer's pieces, inside the embedding */
    json_object_object_add(c, "image_token_index", J_INT(d->vocab - 1));
    return dump(c);
}
