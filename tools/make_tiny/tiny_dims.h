/* tiny_dims.h — every size of the tiny model in one place. The engine never sees these:
 * it reads the `config` metadata and the tensor shapes, as with the release files. */
#ifndef LTX2_TINY_DIMS_H
#define LTX2_TINY_DIMS_H
#include <stdint.h>

typedef struct tiny_dims tiny_dims;

struct tiny_dims {
    /* transformer */
    int64_t heads, head_dim, audio_heads, audio_head_dim, layers, latent_ch, audio_latent_ch, ff_mult;
    /* text: Gemma 3 and the LTX side (projection, connectors) */
    int64_t vocab, g_hidden, g_inter, g_layers, g_heads, g_kv_heads, g_head_dim, g_window, g_pattern;
    int64_t conn_heads, conn_head_dim, conn_layers, conn_registers;
    /* Gemma 3's SigLIP vision tower and projector (prompt enhancement with an image) */
    int64_t v_hidden, v_inter, v_layers, v_heads, v_image, v_patch, v_tokens;
    /* video VAE: base width and res blocks per stage */
    int64_t vae_base, vae_res_layers;
    /* audio VAE */
    int64_t a_ch, a_z, a_mel, a_res_blocks;
    /* vocoder */
    int64_t voc_ch;
    /* upsamplers */
    int64_t up_mid, up_blocks;
    /* LoRA */
    int64_t lora_rank;
};

/* The dims the generator writes: the real 19B block structure at toy widths. */
static inline struct tiny_dims tiny_default_dims(void)
{
    struct tiny_dims d = {
        .heads = 4, .head_dim = 32, .audio_heads = 4, .audio_head_dim = 16, .layers = 2,
        .latent_ch = 128, .audio_latent_ch = 128, .ff_mult = 4,
        .vocab = 1024, .g_hidden = 64, .g_inter = 128, .g_layers = 6, .g_heads = 4, .g_kv_heads = 2,
        .g_head_dim = 16, .g_window = 8, .g_pattern = 3,
        .conn_heads = 4, .conn_head_dim = 16, .conn_layers = 2, .conn_registers = 128,
        .v_hidden = 32, .v_inter = 64, .v_layers = 1, .v_heads = 2, .v_image = 28, .v_patch = 7, .v_tokens = 4,
        .vae_base = 8, .vae_res_layers = 1,
        .a_ch = 16, .a_z = 8, .a_mel = 64, .a_res_blocks = 1,
        .voc_ch = 64,
        .up_mid = 32, .up_blocks = 4,
        .lora_rank = 4,
    };
    return d;
}

#endif
