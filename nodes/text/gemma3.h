/* gemma3.h — the Gemma 3 text model as the LTX-2 text encoder uses it: token ids →
 * all hidden states (embeddings, each layer's output, the final norm of the last).
 * Weights stay mapped in their stored dtype (kmat); dims come from the config. On a
 * device context the weights are placed on the first run under the device budget
 * (nodes/common/stream.h): all resident when they fit, else the embedding table and
 * final norm stay on the device with as many layers as fit, and the other layers stream
 * from pinned host memory through a ring of device slots on every pass; refused before
 * any work when not even two layer slots fit. Activations, the KV cache and every buffer
 * a pass reads or writes live in the device's memory. */
#ifndef LTX2_TEXT_GEMMA3_H
#define LTX2_TEXT_GEMMA3_H
#include <stdint.h>
#include "common/weights.h"
#include "error.h"
#include "kernels.h"
#include "store/store.h"

struct json_object;

typedef struct ltx2_gemma3_config {
    int64_t vocab, hidden, intermediate, n_layers, n_heads, n_kv_heads, head_dim;
    double rms_eps;
    double query_pre_attn_scalar; /* attention scale = this^-0.5 */
    int64_t sliding_window;
    int64_t sliding_pattern; /* without layer_types: layer i is global iff (i+1) % pattern == 0 */
    double theta_global, factor_global; /* linear RoPE scaling: inv_freq / factor */
    double theta_local, factor_local;
    double final_softcap; /* > 0: logits = cap * tanh(logits / cap) (final_logit_softcapping) */
    uint8_t *sliding; /* [n_layers]: 1 = sliding-window layer (malloc'd) */
} ltx2_gemma3_config;

/* Fills cfg from a Hugging Face Gemma 3 config (a text config, or a multimodal one
 * with "text_config"; transformers 4 `rope_theta`/`rope_scaling` or 5
 * `rope_parameters` forms). json may be NULL: then every field keeps the Gemma 3 12B
 * value and the dims are taken from the weights by ltx2_gemma3_load. */
ltx2_status ltx2_gemma3_config_parse(struct json_object *json, ltx2_gemma3_config *cfg,
                                     ltx2_error *err);
void ltx2_gemma3_config_free(ltx2_gemma3_config *cfg);

/* One decoder layer's weights: the unit a device upload walks (and a later weight
 * streamer would move ahead of use). */
typedef struct ltx2_gemma3_layer {
    kmat q, k, v, o, gate, up, down;
    float *ln_in, *ln_post_attn, *ln_pre_ff, *ln_post_ff, *q_norm, *k_norm;
} ltx2_gemma3_layer;

typedef struct ltx2_gemma3 ltx2_gemma3;
struct ltx2_gemma3 {
    ltx2_gemma3_config cfg;
    ltx2_checkpoint *ckpt; /* retained: the kmats point into its mapping */
    kmat embed;            /* [vocab][hidden] (also the tied LM head) */
    float *final_norm;
    ltx2_gemma3_layer *layers;
    lx_resident resident;  /* the weights on a device, after the first device pass */
    const ltx2_gemma3 *base; /* a view over base's weights (ltx2_gemma3_repeat_layers), or NULL */
};

/* Builds the model over a checkpoint holding `<prefix>embed_tokens.weight` etc. for one
 * of the prefixes "language_model.model.", "model.language_model.", "model.", "".
 * Takes ownership of *cfg (cleared). */
ltx2_status ltx2_gemma3_load(ltx2_checkpoint *ckpt, ltx2_gemma3_config *cfg, ltx2_gemma3 **out,
                             ltx2_error *err);
void ltx2_gemma3_free(ltx2_gemma3 *m); /* NULL-safe; frees the device weights too */

/* A model over m's weights whose layers are m's repeated to n_layers (layer i is m's
 * layer i mod m's count): tests make a tiny model long enough to stream. m must outlive
 * it; freed with ltx2_gemma3_free (which leaves m's weights alone). */
ltx2_status ltx2_gemma3_repeat_layers(const ltx2_gemma3 *m, int64_t n_layers, ltx2_gemma3 **out, ltx2_error *err);

/* The memory one run needs beside the weights (gemma3_memory.c), derived from the
 * allocations the code makes: the pass's arena (activations of n rows, the ids), with
 * generation's rows and logits when gen is set; the device scratch of the kernels
 * (CUDA); the KV cache of kv_capacity positions (0: none, or one already allocated). */
typedef struct ltx2_gemma3_mem {
    size_t arena, scratch, kv;
    size_t total; /* arena + scratch + kv */
    size_t fresh; /* the part not yet held (kc's arena spare room and the scratch held are reused) */
} ltx2_gemma3_mem;
ltx2_gemma3_mem ltx2_gemma3_workspace(const ltx2_gemma3 *m, const kctx *kc, int64_t n, int64_t kv_capacity, int gen);
/* Bytes of the weights on a device: fixed (embedding table, final norm) and the largest layer. */
void ltx2_gemma3_weight_bytes(const ltx2_gemma3 *m, size_t *fixed, size_t *layer_max);

/* Places the weights on kc's device for a run of n tokens (and a KV cache of
 * kv_capacity positions, gen: generation's rows and logits) before any work: resident,
 * streamed, or LTX2_ERR_OOM naming "Gemma 3 text model", what needs the memory and the
 * bytes. Later calls only check that their workspace fits beside the placed weights.
 * Nothing to do on the CPU without a budget (kc->budget). */
ltx2_status ltx2_gemma3_prepare(const ltx2_gemma3 *m, const kctx *kc, int64_t n, int64_t kv_capacity, int gen,
                                ltx2_error *err);
/* The placement decided by the first prepare, or NULL before it. */
const lx_plan *ltx2_gemma3_plan(const ltx2_gemma3 *m);

/* The model as kc's backend reads it: m itself on the CPU without a budget; else the
 * mirror whose weights live on the device (placed by ltx2_gemma3_prepare, or here for a
 * run needing no workspace). A streamed layer's slots in the mirror are valid only
 * inside a pass (ltx2_gemma3_run brackets each layer). */
ltx2_status ltx2_gemma3_on(const ltx2_gemma3 *m, const kctx *kc, const ltx2_gemma3 **out, ltx2_error *err);
/* Walks (sizes, then uploads) one layer's weights: the per-layer unit of residency. */
void ltx2_gemma3_layer_upload(lx_upload *u, ltx2_gemma3_layer *l, const ltx2_gemma3_config *g);

/* Called after each layer (and once before the first with done = 0); a nonzero
 * status (LTX2_CANCELLED) stops the forward and is returned. */
typedef ltx2_status (*ltx2_layer_progress)(void *user, int64_t done, int64_t total);

/* Keys and values of earlier positions, for generation. Global layers hold `capacity`
 * rows (row = position); sliding layers a ring of min(window, capacity) rows (row =
 * position mod rows), since they never look further back. */
typedef struct ltx2_gemma3_kv {
    int64_t n_layers, capacity;
    int64_t len;      /* positions filled */
    int64_t *rows;    /* [n_layers] */
    float **k, **v;   /* [n_layers] -> [rows][n_kv_heads * head_dim] f32 in mem's memory */
    kctx mem;         /* the backend (and device) that holds k and v */
} ltx2_gemma3_kv;
/* The cache in ctx's memory (host, or the device of a CUDA context). */
ltx2_status ltx2_gemma3_kv_new(const kctx *ctx, const ltx2_gemma3_config *g, int64_t capacity, ltx2_gemma3_kv **out,
                               ltx2_error *err);
void ltx2_gemma3_kv_free(ltx2_gemma3_kv *kv); /* NULL-safe */

/* Positions [begin, end) that attend to each other both ways (an image's soft tokens). */
typedef struct ltx2_gemma3_span {
    int64_t begin, end;
} ltx2_gemma3_span;

/* One pass over n tokens. Without kv: positions 0..n-1, nothing kept. With kv: positions
 * kv->len.., the keys/values stored; the first pass (kv->len == 0) may hold any number
 * of tokens (the prefill), later ones exactly one (decode). ids and bidir are host
 * memory; soft, hidden and out are in ctx's memory (the device's on a CUDA context). */
typedef struct ltx2_gemma3_pass {
    const int32_t *ids;
    int64_t n;
    const float *soft;  /* rows [count of soft_id in ids][hidden] replacing the soft_id tokens' embeddings; NULL none */
    int32_t soft_id;
    const ltx2_gemma3_span *bidir; /* prefill only */
    int64_t n_bidir;
    ltx2_gemma3_kv *kv;
    float *hidden;      /* [n_layers + 1][n][hidden] every state (as ltx2_gemma3_forward), or NULL */
    float *out;         /* [n][hidden] the final norm's output, or NULL (one of the two is needed) */
    ltx2_layer_progress progress;
    void *user;
} ltx2_gemma3_pass;
ltx2_status ltx2_gemma3_run(const kctx *ctx, const ltx2_gemma3 *m, const ltx2_gemma3_pass *p, ltx2_error *err);

/* Runs the n tokens ids[0..n) at positions 0..n-1 with causal attention.
 * hidden: [n_layers + 1][n][hidden] f32: [0] = scaled embeddings, [i] = output of
 * layer i-1, [n_layers] = final norm of the last layer's output. */
ltx2_status ltx2_gemma3_forward(const kctx *ctx, const ltx2_gemma3 *m, const int32_t *ids,
                                int64_t n, float *hidden, ltx2_layer_progress progress,
                                void *user, ltx2_error *err);

#endif
