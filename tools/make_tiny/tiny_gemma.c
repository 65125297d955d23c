/* tiny_gemma.c — a Gemma 3 text model (`language_model.model.*`, Hugging Face layout,
 * no biases, RMSNorm weights stored as offsets from 1) and a LoRA for the transformer. */
#include <stdio.h>
#include "tiny.h"
#include "tiny_dims.h"

#define GM "language_model.model."

void tiny_build_gemma(tiny_set *s, const tiny_dims *d)
{
    const int64_t H = d->g_hidden, q = d->g_heads * d->g_head_dim, kv = d->g_kv_heads * d->g_head_dim;
    char k[512];
    /* the model multiplies embeddings by sqrt(hidden): store them at 1/sqrt(hidden) */
    tiny_weight(s, GM "embed_tokens.weight", (double)H, 1.0, SHAPE(d->vocab, H));
    for (int64_t i = 0; i < d->g_layers; i++) {
        const char *names[] = {"input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                               "post_feedforward_layernorm"};
        for (int n = 0; n < 4; n++) {
            snprintf(k, sizeof k, GM "layers.%lld.%s.weight", (long long)i, names[n]);
            tiny_around(s, k, 0.0, 0.1, SHAPE(H));
        }
        snprintf(k, sizeof k, GM "layers.%lld.self_attn.q_proj", (long long)i);
        tiny_linear(s, k, q, H, 0);
        snprintf(k, sizeof k, GM "layers.%lld.self_attn.k_proj", (long long)i);
        tiny_linear(s, k, kv, H, 0);
        snprintf(k, sizeof k, GM "layers.%lld.self_attn.v_proj", (long long)i);
        tiny_linear(s, k, kv, H, 0);
        snprintf(k, sizeof k, GM "layers.%lld.self_attn.o_proj", (long long)i);
        tiny_linear(s, k, H, q, 0);
        snprintf(k, sizeof k, GM "layers.%lld.self_attn.q_norm.weight", (long long)i);
        tiny_around(s, k, 0.0, 0.1, SHAPE(d->g_head_dim));
        snprintf(k, sizeof k, GM "layers.%lld.self_attn.k_norm.weight", (long long)i);
        tiny_around(s, k, 0.0, 0.1, SHAPE(d->g_head_dim));
        snprintf(k, sizeof k, GM "layers.%lld.mlp.gate_proj", (long long)i);
        tiny_linear(s, k, d->g_inter, H, 0);
        snprintf(k, sizeof k, GM "layers.%lld.mlp.up_proj", (long long)i);
        tiny_linear(s, k, d->g_inter, H, 0);
        snprintf(k, sizeof k, GM "layers.%lld.mlp.down_proj", (long long)i);
        tiny_linear(s, k, H, d->g_inter, 0);
    }
    tiny_around(s, GM "norm.weight", 0.0, 0.1, SHAPE(H));
    tiny_build_gemma_vision(s, d);
}

#define VM "vision_tower.vision_model."

/* SigLIP encoder + multimodal projector, the keys of the Gemma folder beside the text model. */
void tiny_build_gemma_vision(tiny_set *s, const tiny_dims *d)
{
    const int64_t V = d->v_hidden, side = d->v_image / d->v_patch;
    char k[512];
    tiny_conv(s, VM "embeddings.patch_embedding", V, 3, d->v_patch, 2);
    tiny_weight(s, VM "embeddings.position_embedding.weight", 1.0, 0.5, SHAPE(side * side, V));
    for (int64_t i = 0; i < d->v_layers; i++) {
        static const char *const lin[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                                          "self_attn.out_proj"};
        for (int n = 0; n < 4; n++) {
            snprintf(k, sizeof k, VM "encoder.layers.%lld.%s", (long long)i, lin[n]);
            tiny_linear(s, k, V, V, 1);
        }
        snprintf(k, sizeof k, VM "encoder.layers.%lld.mlp.fc1", (long long)i);
        tiny_linear(s, k, d->v_inter, V, 1);
        snprintf(k, sizeof k, VM "encoder.layers.%lld.mlp.fc2", (long long)i);
        tiny_linear(s, k, V, d->v_inter, 1);
        for (int n = 1; n <= 2; n++) {
            snprintf(k, sizeof k, VM "encoder.layers.%lld.layer_norm%d.weight", (long long)i, n);
            tiny_around(s, k, 1.0, 0.1, SHAPE(V));
            snprintf(k, sizeof k, VM "encoder.layers.%lld.layer_norm%d.bias", (long long)i, n);
            tiny_around(s, k, 0.0, 0.1, SHAPE(V));
        }
    }
    tiny_around(s, VM "post_layernorm.weight", 1.0, 0.1, SHAPE(V));
    tiny_around(s, VM "post_layernorm.bias", 0.0, 0.1, SHAPE(V));
    tiny_around(s, "multi_modal_projector.mm_soft_emb_norm.weight", 0.0, 0.1, SHAPE(V));
    /* [vision][text]: the projector multiplies from the right, no Linear layout */
    tiny_weight(s, "multi_modal_projector.mm_input_projection_weight", (double)V, 1.0, SHAPE(V, d->g_hidden));
}

/* PEFT layout, "diffusion_model." prefix, no alpha: the update is strength·(B @ A). */
void tiny_build_lora(tiny_set *s, const tiny_dims *d)
{
    const int64_t D = d->heads * d->head_dim, r = d->lora_rank;
    static const char *const targets[] = {"attn1.to_q", "attn1.to_k", "attn1.to_v", "attn1.to_out.0",
                                          "attn2.to_q", "ff.net.0.proj"};
    char k[512];
    for (int64_t i = 0; i < d->layers; i++)
        for (size_t t = 0; t < sizeof targets / sizeof *targets; t++) {
            int64_t out = t == 5 ? d->ff_mult * D : D;
            snprintf(k, sizeof k, "diffusion_model.transformer_blocks.%lld.%s.lora_A.weight", (long long)i,
                     targets[t]);
            tiny_weight(s, k, (double)D, 1.0, SHAPE(r, D));
            snprintf(k, sizeof k, "diffusion_model.transformer_blocks.%lld.%s.lora_B.weight", (long long)i,
                     targets[t]);
            tiny_weight(s, k, (double)r, 0.2, SHAPE(out, r));
        }
}
