/* gemma3_memory.c — the memory one Gemma 3 run needs beside its weights
 * (ltx2_gemma3_workspace), derived from the allocations the code makes: the pass's
 * arena (gemma3.c scratch_alloc and embed_rows), generation's rows and logits
 * (gemma3_generate.c), the KV cache (ltx2_gemma3_kv_new) and the device scratch each
 * kernel asks for (kcuda_*_scratch). Keep it in step with them: the GPU stream test
 * compares it with the arena's and the device's measured peaks. */
#include "text/gemma3.h"

#include "cuda/kcuda.h"

#define ARENA_ALIGN 64 /* karena rounds every allocation up to this */

/* An arena allocation of b bytes. */
static size_t al(size_t b)
{
    b = b ? b : 1;
    return (b + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
}

static size_t max2(size_t a, size_t b) { return a > b ? a : b; }

/* scratch_alloc's twelve buffers and the ids embed_rows copies to a device. */
static size_t pass_arena(const ltx2_gemma3_config *g, int64_t n, bool device)
{
    const size_t D = (size_t)g->hidden, hq = (size_t)(g->n_heads * g->head_dim);
    const size_t hkv = (size_t)(g->n_kv_heads * g->head_dim), I = (size_t)g->intermediate, N = (size_t)n, f = 4;
    size_t b = 2 * al(N * D * f) + 2 * al(N * hq * f) + 2 * al(N * hkv * f) + 2 * al(N * I * f);
    b += 4 * al(N * hq / 2 * f); /* RoPE cos/sin, local and global */
    if (device) b += al(N * sizeof(int32_t));
    return b;
}

/* The KV cache's rows (sliding layers keep a ring of the window). */
static size_t kv_bytes(const ltx2_gemma3_config *g, int64_t capacity)
{
    if (capacity < 1) return 0;
    const size_t row = (size_t)(g->n_kv_heads * g->head_dim) * sizeof(float);
    size_t b = 0;
    for (int64_t i = 0; i < g->n_layers; ++i) {
        const int64_t rows = g->sliding[i] && g->sliding_window < capacity ? g->sliding_window : capacity;
        b += 2 * (size_t)rows * row;
    }
    return b;
}

/* The largest device scratch of a pass's kernels: the layer GEMMs over n rows, the
 * attention (prefill: n × n; decode: 1 × the cache), the LM head's one row. */
static size_t device_scratch(const ltx2_gemma3 *m, const kctx *kc, int64_t n, int64_t kv_capacity, int gen)
{
    const ltx2_gemma3_config *g = &m->cfg;
    const kcuda *d = kc->cuda;
    size_t mx = 0;
    for (int64_t i = 0; i < g->n_layers; ++i) {
        const ltx2_gemma3_layer *l = &m->layers[i];
        const kmat *w[] = {&l->q, &l->k, &l->v, &l->o, &l->gate, &l->up, &l->down};
        for (size_t j = 0; j < sizeof w / sizeof *w; ++j) {
            mx = max2(mx, kcuda_linear_scratch(d, kc->prec, n, w[j]));
            if (gen) mx = max2(mx, kcuda_linear_scratch(d, kc->prec, 1, w[j]));
        }
    }
    const int H = (int)g->n_heads, Hkv = (int)g->n_kv_heads, hd = (int)g->head_dim;
    mx = max2(mx, kcuda_attention_scratch(d, kc->prec, n, n, H, Hkv, hd));
    if (gen) {
        mx = max2(mx, kcuda_attention_scratch(d, kc->prec, 1, kv_capacity, H, Hkv, hd));
        mx = max2(mx, kcuda_linear_scratch(d, kc->prec, 1, &m->embed));
    }
    return mx ? kcuda_scratch_rounded(d, mx) : 0;
}

ltx2_gemma3_mem ltx2_gemma3_workspace(const ltx2_gemma3 *m, const kctx *kc, int64_t n, int64_t kv_capacity, int gen)
{
    const ltx2_gemma3_config *g = &m->cfg;
    const bool device = kc->backend != KB_CPU;
    ltx2_gemma3_mem r = {0};
    r.arena = pass_arena(g, n, device);
    if (gen) /* generate_body: the prompt's final rows under a pass, then (on a device) under
              * the logits row, which comes after the pass's arena is released */
        r.arena = al((size_t)(n * g->hidden) * sizeof(float)) +
                  max2(r.arena, device ? al((size_t)g->vocab * sizeof(float)) : 0);
    r.kv = kv_bytes(g, kv_capacity);
    r.scratch = kc->backend == KB_CUDA ? device_scratch(m, kc, n, kv_capacity, gen) : 0;
    r.total = r.arena + r.scratch + r.kv;
    r.fresh = (kc->arena ? k_arena_fresh_for(kc->arena, r.arena) : r.arena) + r.kv;
    if (kc->backend == KB_CUDA) {
        const size_t held = kcuda_scratch_held(kc->cuda);
        r.fresh += r.scratch > held ? r.scratch - held : 0;
    }
    return r;
}
