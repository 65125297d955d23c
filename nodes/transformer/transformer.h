/* transformer.h — the LTX-2 audio+video diffusion transformer (DiT): its config (read
 * from the checkpoint's `config` metadata, section "transformer"), the weights (kernel
 * matrices over the checkpoint mapping), one forward pass, and the position helpers the
 * sampler needs. The MODEL object's payload (kind LTX2_DIT_PAYLOAD) is an ltx2_dit.
 *
 * Typical use from a sampler:
 *   const ltx2_dit *m = ltx2_dit_of(model_object);          // NULL if not a transformer
 *   float *vpos = malloc(3 * nv * 2 * sizeof(float));
 *   ltx2_dit_video_positions(F, H, W, fps, 1, vpos);        // [3][nv][2]
 *   ltx2_dit_stream v = {.n = nv, .latent = tokens, .sigma = per_token_sigma,
 *                        .positions = vpos, .context = ctx, .n_ctx = L, .velocity = out};
 *   ltx2_dit_forward(m, &kc, &v, &a, NULL, NULL, &err);
 */
#ifndef LTX2_TRANSFORMER_H
#define LTX2_TRANSFORMER_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "error.h"
#include "common/geometry.h"
#include "common/layers.h"
#include "common/stream.h"
#include "common/weights.h"
#include "kernels.h"
#include "object.h"
#include "store/store.h"

#define LTX2_DIT_PAYLOAD "ltx2.transformer"
/* Key prefix of the transformer in a combined checkpoint. */
#define LTX2_DIT_PREFIX "model.diffusion_model."

typedef enum ltx2_rope_type { LTX2_ROPE_INTERLEAVED = 0, LTX2_ROPE_SPLIT = 1 } ltx2_rope_type;

/* Everything comes from the checkpoint (config JSON + tensor shapes). */
typedef struct ltx2_dit_config {
    bool has_video, has_audio; /* AV model: both (the A<->V cross attention exists) */
    int num_layers;
    /* video stream */
    int v_heads, v_head_dim, v_dim;  /* v_dim = heads * head_dim */
    int v_in, v_out;                 /* latent channels per token */
    int v_ctx_dim;                   /* cross_attention_dim (projected text width) */
    double v_max_pos[3];             /* positional_embedding_max_pos (t, y, x) */
    /* audio stream */
    int a_heads, a_head_dim, a_dim;
    int a_in, a_out;
    int a_ctx_dim;                   /* audio_cross_attention_dim: also the A<->V inner width */
    double a_max_pos[1];             /* audio_positional_embedding_max_pos */
    /* shared */
    int caption_channels;            /* text context width before caption projection */
    double theta;                    /* positional_embedding_theta */
    double timestep_scale;           /* timestep_scale_multiplier (sigma -> t) */
    double av_ca_timestep_scale;     /* av_ca_timestep_scale_multiplier (A<->V gates) */
    double cross_max_pos;            /* max(v_max_pos[0], a_max_pos[0]) */
    float norm_eps;
    ltx2_rope_type rope_type;
    bool rope_f64;                   /* frequencies_precision == "float64" */
    bool middle_indices;             /* use_middle_indices_grid */
    ltx2_latent_geom geom;           /* of this checkpoint's VAEs (config vae, audio_vae) */
} ltx2_dit_config;

/* One attention module: q/k/v/out projections with biases and q/k RMSNorm weights. */
/* The shared attention and feed-forward (nodes/common/layers.h); ff: net.0.proj
 * [hidden][dim], net.2 [dim][hidden]. */
typedef lx_attn ltx2_dit_attn;
typedef lx_ff ltx2_dit_ff;

typedef struct ltx2_dit_block {
    ltx2_dit_attn attn1, attn2, audio_attn1, audio_attn2, a2v, v2a;
    ltx2_dit_ff ff, audio_ff;
    float *sst, *audio_sst;          /* [6][dim] */
    float *sst_a2v_video, *sst_a2v_audio; /* [5][dim] */
} ltx2_dit_block;

/* AdaLayerNormSingle: 256 -> dim -> dim timestep MLP, then linear dim -> coef*dim. */
typedef struct ltx2_dit_adaln {
    kmat l1, l2, lin;
    float *b1, *b2, *blin;
    int dim, coef;
} ltx2_dit_adaln;

/* Per-modality top-level weights. */
typedef struct ltx2_dit_io {
    kmat patchify, cap1, cap2, proj_out;
    float *b_patchify, *b_cap1, *b_cap2, *b_proj_out;
    float *sst_out; /* [2][dim]: row 0 shift, row 1 scale */
    ltx2_dit_adaln adaln;      /* coef 6 */
    ltx2_dit_adaln cross_ss;   /* coef 4 (AV only) */
    ltx2_dit_adaln cross_gate; /* coef 1 (AV only) */
} ltx2_dit_io;

/* A LoRA applied to a model (kept so that chained applies fuse like the reference:
 * all deltas summed first, then added to the base weight once). */
typedef struct ltx2_dit_lora {
    ltx2_checkpoint *ckpt; /* retained */
    float strength;
} ltx2_dit_lora;

typedef struct ltx2_dit ltx2_dit;
struct ltx2_dit {
    atomic_int refs;
    ltx2_dit_config cfg;
    ltx2_dit_io video, audio;
    ltx2_dit_block *blocks; /* [num_layers] */
    ltx2_checkpoint *ckpt;  /* retained: the mapping the kmats point into */
    /* A LoRA-fused model shares the base's vectors and untouched matrices: base is
     * retained and owns them; this model owns only `fused` buffers. */
    ltx2_dit *base;
    ltx2_dit_lora *loras;   /* all LoRAs in application order */
    int n_loras;
    bool fused_f32;         /* fused matrices stored in f32 instead of the base dtype */
    void **fused;           /* owned buffers of the fused matrices */
    char **fused_names;     /* their checkpoint keys (without prefix) */
    kmat **fused_slots;     /* the kmat in this struct each one replaces */
    int n_fused;
    /* Device copy of the weights (a mirror ltx2_dit), made by the first forward on a
     * device context and freed with the model; mutable behind a const model. */
    lx_resident resident;
};

/* ---------------------------------------------------------------- building */
/* Parses cfg from the checkpoint: LTX2_OK with *present = false when it has neither a
 * "transformer" config section nor transformer keys. Errors name the field. */
ltx2_status ltx2_dit_config_read(const ltx2_checkpoint *ckpt, ltx2_dit_config *cfg, bool *present,
                                 ltx2_error *err);
/* Builds the model (weights mapped, not copied). *out = NULL with LTX2_OK when absent. */
ltx2_status ltx2_dit_load(ltx2_checkpoint *ckpt, ltx2_dit **out, ltx2_error *err);
void ltx2_dit_retain(ltx2_dit *m);
void ltx2_dit_release(ltx2_dit *m); /* NULL-safe */
/* The weights as kc's backend reads them: m itself on a CPU context without a budget,
 * else a mirror of m placed under kc's budget on the first call (nodes/common/stream.h):
 * resident when the weights and the workspace (this run's activations and scratch from
 * ltx2_dit_workspace: workspace, workspace_new and workspace_for of the ask) fit, else
 * streamed (the blocks
 * in pinned host memory, uploaded through a ring of device slots during each pass).
 * A run that cannot fit is LTX2_ERR_OOM naming what needs the memory and the bytes;
 * later calls check their workspace beside the placed weights. The mirror lives as long
 * as m. */
ltx2_status ltx2_dit_on(const ltx2_dit *m, const kctx *kc, const lx_mem_ask *workspace, const ltx2_dit **out,
                        ltx2_error *err);
/* Device bytes of m's weights outside the blocks and of its largest block, as a plan
 * counts them (0 when out of host memory). */
void ltx2_dit_weight_bytes(const ltx2_dit *m, size_t *fixed, size_t *block_max);
/* The residency plan of m's mirror (NULL before the first planned ltx2_dit_on). */
const lx_plan *ltx2_dit_plan(const ltx2_dit *m);
/* A pass over the blocks of m (the model, not its mirror): begin/end bracket it (one
 * streamed pass at a time per model), block_begin makes block i's weights usable in the
 * mirror (a streamed block: the compute queue waits for its upload), block_end lets
 * its slot take the next upload. Nothing to do for resident weights. Call end after a
 * successful begin, whatever happened between. */
kstatus ltx2_dit_pass_begin(const ltx2_dit *m);
kstatus ltx2_dit_block_begin(const ltx2_dit *m, int i);
kstatus ltx2_dit_block_end(const ltx2_dit *m, int i);
void ltx2_dit_pass_end(const ltx2_dit *m);

/* Device memory of one forward beside the weights: the forward's arena at its peak
 * (activations, per-layer temporaries, op scratch taken from the arena on a device) and
 * the device's op scratch (GEMM operands in bf16, cuBLASLt workspace, attention inputs),
 * derived from the allocations the forward and the kernels make for these token counts
 * (nu_*: distinct sigmas of each stream). */
typedef struct ltx2_dit_mem {
    size_t arena;   /* bytes in use at once in the pass's arena (the forward reserves them) */
    size_t scratch; /* the device op scratch at its largest, as kcuda rounds it (0 on the CPU) */
    size_t total;   /* arena + scratch */
    size_t fresh;   /* what the device must still allocate: beyond kc->arena's chunk at its
                     * bump point and the scratch it holds */
} ltx2_dit_mem;
/* One stream's token counts for the estimate (n = 0: absent). */
typedef struct ltx2_dit_tokens {
    int64_t n, n_ctx;
    int nu;    /* distinct sigmas */
    bool mask; /* a context mask is given */
} ltx2_dit_tokens;
ltx2_dit_mem ltx2_dit_workspace(const ltx2_dit *m, const kctx *kc, const ltx2_dit_tokens *video,
                                const ltx2_dit_tokens *audio);
/* The pre-run memory check of a run of forwards with these token counts (video or audio
 * may be NULL): places m's weights on kc's backend under its budget as the first forward
 * would (ltx2_dit_on), so a run that cannot fit is refused before any of its work. Every
 * forward checks again with its own counts. */
ltx2_status ltx2_dit_prepare(const ltx2_dit *m, const kctx *kc, const ltx2_dit_tokens *video,
                             const ltx2_dit_tokens *audio, ltx2_error *err);
/* Sets up the residency state of a newly allocated model (loaders, LoRA). */
void ltx2_dit_init_resident(ltx2_dit *m);
/* The transformer inside a MODEL object, or NULL. */
ltx2_dit *ltx2_dit_of(const ltx2_object *model);
/* A new MODEL object holding m (takes a reference of its own). */
ltx2_status ltx2_dit_wrap(ltx2_dit *m, ltx2_object **out, ltx2_error *err);
/* The kmat slot of a weight key (without prefix, e.g. "transformer_blocks.3.attn1.to_q.weight"),
 * or NULL when the model has no such matrix. */
kmat *ltx2_dit_find_mat(ltx2_dit *m, const char *key);

/* ---------------------------------------------------------------- forward */
/* One modality's inputs and output for a forward pass. n = 0 (or a NULL stream) means the
 * modality is absent from this pass. Every array is memory of the forward's context
 * (device memory on a CUDA context); the small ones (sigma, positions, context_mask) are
 * copied to the host once per forward for the tables built there. */
typedef struct ltx2_dit_stream {
    int64_t n;                 /* tokens */
    const float *latent;       /* [n][in_channels] patchified tokens */
    const float *sigma;        /* [n] per-token sigma (= denoise_mask * sigma), NOT *1000 */
    const float *positions;    /* video [3][n][2], audio [1][n][2]: [start, end) per axis
                                * (video: t in seconds, y/x in pixels; audio: seconds) */
    const float *context;      /* [n_ctx][caption_channels] text context (before projection) */
    int64_t n_ctx;
    const float *context_mask; /* [n_ctx] 1 = attend, 0 = padding; NULL = all valid */
    float *velocity;           /* [n][out_channels] output */
} ltx2_dit_stream;

/* A set of blocks: `all` = every block, else the n listed indices. */
typedef struct ltx2_dit_blocks {
    bool all;
    const int *idx;
    int n;
} ltx2_dit_blocks;

/* Perturbations of a pass (reference PerturbationType): STG skips self-attention in
 * some blocks, modality isolation skips the A<->V cross attention. */
typedef struct ltx2_dit_perturb {
    ltx2_dit_blocks skip_video_self; /* SKIP_VIDEO_SELF_ATTN */
    ltx2_dit_blocks skip_audio_self; /* SKIP_AUDIO_SELF_ATTN */
    ltx2_dit_blocks skip_a2v;        /* SKIP_A2V_CROSS_ATTN */
    ltx2_dit_blocks skip_v2a;        /* SKIP_V2A_CROSS_ATTN */
} ltx2_dit_perturb;
bool ltx2_dit_blocks_has(const ltx2_dit_blocks *b, int block);
/* Parses a block list: "" = none, "all" = every block, else integers separated by
 * commas/spaces; a negative index counts from the end (-1 = last block). idx (cap
 * entries, caller storage) receives the indices; errors name the bad entry. */
ltx2_status ltx2_dit_blocks_parse(const char *s, int num_layers, int *idx, int cap, ltx2_dit_blocks *out,
                                  ltx2_error *err);

/* Optional observers. tick is called before each block (return nonzero to cancel:
 * the forward then returns LTX2_CANCELLED). dump receives named intermediates
 * ("video_x_in", "block0_video_x", "video_adaln_timestep", ...; rows x cols f32). */
typedef struct ltx2_dit_hooks {
    int (*tick)(void *arg, int block, int n_blocks);
    void (*dump)(void *arg, const char *name, const float *data, int64_t rows, int64_t cols);
    void *arg;
} ltx2_dit_hooks;

/* Runs the model once. video/audio may be NULL (absent). perturb and hooks may be NULL.
 * kc->prec selects exact (f32) or fast (bf16) arithmetic. Writes stream->velocity. */
ltx2_status ltx2_dit_forward(const ltx2_dit *m, const kctx *kc, const ltx2_dit_stream *video,
                             const ltx2_dit_stream *audio, const ltx2_dit_perturb *perturb,
                             const ltx2_dit_hooks *hooks, ltx2_error *err);

/* ---------------------------------------------------------------- positions */
/* Video token bounds for a latent grid (tokens (f,h,w) row-major) as the reference
 * computes them: pixel units with the VAE scale factors of g (time scale_t, space
 * scale_s), causal first-frame fix when causal, time divided by fps. out: [3][F*H*W][2]. */
void ltx2_dit_video_positions(const ltx2_latent_geom *g, int64_t frames, int64_t height, int64_t width,
                              double fps, bool causal, float *out);
/* Same with explicit scale factors (keyframes / reference latents use other offsets). */
void ltx2_dit_video_positions_ex(int64_t frames, int64_t height, int64_t width, int scale_t,
                                 int scale_h, int scale_w, bool causal, double fps, float *out);
/* Audio token bounds in seconds: mel frames audio_down * i (causal shift) times
 * audio_hop / audio_rate of g. out: [1][n][2]. */
void ltx2_dit_audio_positions(const ltx2_latent_geom *g, int64_t n, float *out);

/* ---------------------------------------------------------------- pieces (tests) */
/* RoPE tables for one attention: n tokens, positions [n_axes][n][2], inner width dim over
 * heads, all in kc's memory. Layout as k_rope wants: SPLIT cos/sin [n][dim/2] (slot
 * h*(head_dim/2)+j), INTERLEAVED [n][dim/2] (one value per rotated pair); round_bf16 in
 * fast precision. */
kstatus ltx2_dit_rope_tables(const kctx *kc, const ltx2_dit_config *cfg, int64_t n, int n_axes,
                             const float *positions, const double *max_pos, int dim, bool round_bf16, float *cos,
                             float *sin);

#endif
