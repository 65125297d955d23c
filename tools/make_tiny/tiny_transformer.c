/* tiny_transformer.c — the AV transformer (`model.diffusion_model.*`), the two text
 * connectors and the Gemma feature projection, with the 19B key names and block layout. */
#include <stdio.h>
#include "tiny.h"
#include "tiny_dims.h"

#define DM "model.diffusion_model."

static void key(char *k, size_t n, const char *a, const char *b)
{
    snprintf(k, n, "%s%s", a, b);
}

/* Attention with q/k RMSNorm weights: q [inner, q_in], k/v [inner, kv_in], out [out, inner]. */
static void attention(tiny_set *s, const char *p, int64_t inner, int64_t q_in, int64_t kv_in, int64_t out)
{
    char k[512];
    key(k, sizeof k, p, ".to_q"), tiny_linear(s, k, inner, q_in, 1);
    key(k, sizeof k, p, ".to_k"), tiny_linear(s, k, inner, kv_in, 1);
    key(k, sizeof k, p, ".to_v"), tiny_linear(s, k, inner, kv_in, 1);
    key(k, sizeof k, p, ".to_out.0"), tiny_linear(s, k, out, inner, 1);
    key(k, sizeof k, p, ".q_norm.weight"), tiny_around(s, k, 1.0, 0.1, SHAPE(inner));
    key(k, sizeof k, p, ".k_norm.weight"), tiny_around(s, k, 1.0, 0.1, SHAPE(inner));
}

static void feed_forward(tiny_set *s, const char *p, int64_t dim, int64_t hidden)
{
    char k[512];
    key(k, sizeof k, p, ".net.0.proj"), tiny_linear(s, k, hidden, dim, 1);
    key(k, sizeof k, p, ".net.2"), tiny_linear(s, k, dim, hidden, 1);
}

/* AdaLN-single: sinusoidal(256) → Linear → SiLU → Linear → SiLU → Linear(n·dim). */
static void adaln(tiny_set *s, const char *p, int64_t dim, int64_t n)
{
    char k[512];
    key(k, sizeof k, p, ".emb.timestep_embedder.linear_1"), tiny_linear(s, k, dim, 256, 1);
    key(k, sizeof k, p, ".emb.timestep_embedder.linear_2"), tiny_linear(s, k, dim, dim, 1);
    /* a small gain keeps the modulation (1 + scale) near 1 so random blocks stay stable */
    char w[512], b[512];
    snprintf(w, sizeof w, "%s.linear.weight", p);
    snprintf(b, sizeof b, "%s.linear.bias", p);
    tiny_weight(s, w, (double)dim, 0.3, SHAPE(n * dim, dim));
    tiny_around(s, b, 0.0, 0.02, SHAPE(n * dim));
}

void tiny_build_transformer(tiny_set *s, const tiny_dims *d)
{
    const int64_t D = d->heads * d->head_dim, A = d->audio_heads * d->audio_head_dim;
    const int64_t cap = d->conn_heads * d->conn_head_dim;
    char p[256], k[512];
    tiny_linear(s, DM "patchify_proj", D, d->latent_ch, 1);
    tiny_linear(s, DM "audio_patchify_proj", A, d->audio_latent_ch, 1);
    adaln(s, DM "adaln_single", D, 6);
    adaln(s, DM "audio_adaln_single", A, 6);
    adaln(s, DM "av_ca_video_scale_shift_adaln_single", D, 4);
    adaln(s, DM "av_ca_audio_scale_shift_adaln_single", A, 4);
    adaln(s, DM "av_ca_a2v_gate_adaln_single", D, 1);
    adaln(s, DM "av_ca_v2a_gate_adaln_single", A, 1);
    tiny_linear(s, DM "caption_projection.linear_1", D, cap, 1);
    tiny_linear(s, DM "caption_projection.linear_2", D, D, 1);
    tiny_linear(s, DM "audio_caption_projection.linear_1", A, cap, 1);
    tiny_linear(s, DM "audio_caption_projection.linear_2", A, A, 1);
    for (int64_t i = 0; i < d->layers; i++) {
        snprintf(p, sizeof p, DM "transformer_blocks.%lld.", (long long)i);
        key(k, sizeof k, p, "attn1"), attention(s, k, D, D, D, D);
        key(k, sizeof k, p, "attn2"), attention(s, k, D, D, D, D);
        key(k, sizeof k, p, "audio_attn1"), attention(s, k, A, A, A, A);
        key(k, sizeof k, p, "audio_attn2"), attention(s, k, A, A, A, A);
        key(k, sizeof k, p, "audio_to_video_attn"), attention(s, k, A, D, A, D);
        key(k, sizeof k, p, "video_to_audio_attn"), attention(s, k, A, A, D, A);
        key(k, sizeof k, p, "ff"), feed_forward(s, k, D, d->ff_mult * D);
        key(k, sizeof k, p, "audio_ff"), feed_forward(s, k, A, d->ff_mult * A);
        key(k, sizeof k, p, "scale_shift_table"), tiny_around(s, k, 0.0, 0.1, SHAPE(6, D));
        key(k, sizeof k, p, "audio_scale_shift_table"), tiny_around(s, k, 0.0, 0.1, SHAPE(6, A));
        key(k, sizeof k, p, "scale_shift_table_a2v_ca_video"), tiny_around(s, k, 0.0, 0.1, SHAPE(5, D));
        key(k, sizeof k, p, "scale_shift_table_a2v_ca_audio"), tiny_around(s, k, 0.0, 0.1, SHAPE(5, A));
    }
    tiny_around(s, DM "scale_shift_table", 0.0, 0.1, SHAPE(2, D));
    tiny_around(s, DM "audio_scale_shift_table", 0.0, 0.1, SHAPE(2, A));
    tiny_linear(s, DM "proj_out", d->latent_ch, D, 1);
    tiny_linear(s, DM "audio_proj_out", d->audio_latent_ch, A, 1);
}

static void connector(tiny_set *s, const char *p, const tiny_dims *d)
{
    const int64_t C = d->conn_heads * d->conn_head_dim;
    char k[512];
    key(k, sizeof k, p, "learnable_registers"), tiny_around(s, k, 0.0, 1.0, SHAPE(d->conn_registers, C));
    for (int64_t i = 0; i < d->conn_layers; i++) {
        char b[400];
        snprintf(b, sizeof b, "%stransformer_1d_blocks.%lld.", p, (long long)i);
        key(k, sizeof k, b, "attn1"), attention(s, k, C, C, C, C);
        key(k, sizeof k, b, "ff"), feed_forward(s, k, C, 4 * C);
    }
}

void tiny_build_text_parts(tiny_set *s, const tiny_dims *d)
{
    const int64_t C = d->conn_heads * d->conn_head_dim;
    connector(s, DM "video_embeddings_connector.", d);
    connector(s, DM "audio_embeddings_connector.", d);
    /* features are normalised to about ±8·0.5 per entry; keep the projection's output O(1) */
    tiny_weight(s, "text_embedding_projection.aggregate_embed.weight", (double)(d->g_hidden * (d->g_layers + 1)), 0.5,
                SHAPE(C, d->g_hidden * (d->g_layers + 1)));
}
