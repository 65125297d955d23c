/* Statuses of the ops: bad shapes are KS_BAD_ARG (RoPE never degrades to identity), a
 * scratch arena that cannot grow gives KS_OOM (the output is not silently skipped), a set
 * cancel flag gives KS_CANCELLED, a backend without the op KS_UNSUPPORTED; and the
 * workspace arena and memory API behave (alignment, marks, reuse without growth). */
#include "ops_check.h"

#include <string.h>

static void expect(kcheck *k, kstatus got, kstatus want, const char *what)
{
    if (got != want)
        fprintf(stderr, "  %s: got %s, want %s\n", what, k_status_name(got), k_status_name(want));
    check_true(k, got == want, what);
}

/* Sizes of the ops run below, with every buffer large enough for all of them. */
enum { M = 96, K = 160, N = 96, T = 3, H = 9, W = 7, C = 16 };

typedef struct bufs {
    float *x, *y, *w, *cs, *sn;
    kmat wm;
    kconvw *cw;
} bufs;

static void bufs_make(kcheck *k, krng *r, bufs *b)
{
    b->x = rand_buf(r, M * K, 1.0f);
    b->y = poisoned(M * K);
    b->w = rand_buf(r, N * K, 0.1f);
    b->cs = rand_buf(r, M * K, 1.0f);
    b->sn = rand_buf(r, M * K, 1.0f);
    b->wm = (kmat){.dtype = KD_F32, .data = b->w, .rows = N, .cols = K, .ld = K, .scale = 1.0f};
    kctx pc = kctx_default(NULL);
    kmat cm = {.dtype = KD_F32, .data = b->w, .rows = C, .cols = C * 27, .ld = C * 27, .scale = 1.0f};
    b->cw = NULL;
    expect(k, k_convw_pack(&pc, &cm, C, 3, 3, 3, &b->cw), KS_OK, "convw pack");
}

static void bufs_free(bufs *b)
{
    free(b->x), free(b->y), free(b->w), free(b->cs), free(b->sn);
    k_convw_free(b->cw);
}

static kstatus run_linear(const kctx *c, bufs *b) { return k_linear(c, M, b->x, K, &b->wm, NULL, NULL, b->y, N, 0); }

static kstatus run_attention(const kctx *c, bufs *b)
{
    kattn a = {.nq = M, .nkv = M, .n_heads = 4, .n_kv_heads = 2, .head_dim = 32, .q = b->x, .ldq = K,
               .k = b->x, .ldk = K, .v = b->x, .ldv = K, .out = b->y, .ldo = K, .scale = 0.2f};
    return k_attention(c, &a);
}

static kstatus run_conv(const kctx *c, bufs *b)
{
    kconv v = {.t = T, .h = H, .w = W, .cin = C, .cout = C, .kt = 3, .kh = 3, .kw = 3, .st = 1, .sh = 1,
               .sw = 1, .dt = 1, .dh = 1, .dw = 1, .pt0 = 1, .pt1 = 1, .ph0 = 1, .ph1 = 1, .pw0 = 1, .pw1 = 1,
               .x = b->x, .weights = b->cw, .y = b->y};
    return k_conv(c, &v);
}

static kstatus run_groupnorm(const kctx *c, bufs *b) { return k_groupnorm(c, M, C, 4, b->x, NULL, NULL, 1e-5f, b->y); }
static kstatus run_add(const kctx *c, bufs *b) { return k_add(c, b->x, b->x, b->y, M * K); }

typedef kstatus (*op_fn)(const kctx *c, bufs *b);
static const struct {
    const char *name;
    op_fn fn;
    int scratch; /* takes scratch memory */
} ops[] = {{"linear", run_linear, 1}, {"attention", run_attention, 1}, {"conv", run_conv, 1},
           {"groupnorm", run_groupnorm, 1}, {"add", run_add, 0}};
#define N_OPS (int)(sizeof ops / sizeof ops[0])

static void bad_args(const kctx *c, krng *r, kcheck *k)
{
    bufs b;
    bufs_make(k, r, &b);
    kmat short_ld = b.wm;
    short_ld.ld = K - 1;
    expect(k, k_linear(c, M, b.x, K, &short_ld, NULL, NULL, b.y, N, 0), KS_BAD_ARG, "linear: weight ld < cols");
    expect(k, k_linear(c, M, b.x, K - 1, &b.wm, NULL, NULL, b.y, N, 0), KS_BAD_ARG, "linear: ldx < k");
    expect(k, k_linear(c, -1, b.x, K, &b.wm, NULL, NULL, b.y, N, 0), KS_BAD_ARG, "linear: m < 0");
    expect(k, k_linear(c, 0, NULL, K, &b.wm, NULL, NULL, NULL, N, 0), KS_OK, "linear: m = 0 is no work");
    expect(k, k_sgemm(c, 0, 0, M, N, K, 1.0f, b.x, K, b.w, N - 1, 0.0f, b.y, N), KS_BAD_ARG, "sgemm: ldb < n");
    kattn a = {.nq = M, .nkv = M, .n_heads = 3, .n_kv_heads = 2, .head_dim = 32, .q = b.x, .ldq = K, .k = b.x,
               .ldk = K, .v = b.x, .ldv = K, .out = b.y, .ldo = K, .scale = 1.0f};
    expect(k, k_attention(c, &a), KS_BAD_ARG, "attention: heads not a multiple of kv heads");
    a.n_heads = 4;
    a.ldq = 64;
    expect(k, k_attention(c, &a), KS_BAD_ARG, "attention: ldq < heads*head_dim");
    /* RoPE: an odd width or a head width that does not divide it is refused, not skipped */
    expect(k, k_rope(c, KROPE_INTERLEAVED, M, 31, 0, b.x, K, b.cs, b.sn, 16), KS_BAD_ARG, "rope: odd dim");
    expect(k, k_rope(c, KROPE_SPLIT, M, 96, 36, b.x, K, b.cs, b.sn, 48), KS_BAD_ARG, "rope: head_dim !| dim");
    expect(k, k_rope(c, KROPE_SPLIT, M, 96, 32, b.x, K, NULL, b.sn, 48), KS_BAD_ARG, "rope: no cos table");
    expect(k, k_groupnorm(c, M, C, 5, b.x, NULL, NULL, 1e-5f, b.y), KS_BAD_ARG, "groupnorm: groups !| c");
    expect(k, k_rmsnorm(c, M, K, b.x, K - 1, NULL, 0, 1e-6f, b.y, K), KS_BAD_ARG, "rmsnorm: ldx < dim");
    expect(k, k_add(c, b.x, NULL, b.y, 5), KS_BAD_ARG, "add: no second operand");
    kconv v = {.t = T, .h = H, .w = W, .cin = C + 1, .cout = C, .kt = 3, .kh = 3, .kw = 3, .st = 1, .sh = 1,
               .sw = 1, .dt = 1, .dh = 1, .dw = 1, .x = b.x, .weights = b.cw, .y = b.y};
    expect(k, k_conv(c, &v), KS_BAD_ARG, "conv: cin differs from the weights");
    v.cin = C;
    v.st = 0;
    expect(k, k_conv(c, &v), KS_BAD_ARG, "conv: stride 0");
    expect(k, k_depth_to_space3d(c, 1, 2, 2, 4, 0, 2, 2, b.x, b.y), KS_BAD_ARG, "depth_to_space: factor 0");
    kconvw *cw = NULL;
    kmat cm = {.dtype = KD_F32, .data = b.w, .rows = C, .cols = C * 26, .ld = C * 26, .scale = 1.0f};
    expect(k, k_convw_pack(c, &cm, C, 3, 3, 3, &cw), KS_BAD_ARG, "convw_pack: cols != cin*taps");
    check_true(k, cw == NULL, "convw_pack: no weights on failure");
    bufs_free(&b);
}

/* A capped arena: every op that needs scratch reports KS_OOM and gives back what it took. */
static void scratch_failure(const kctx *c0, krng *r, kcheck *k)
{
    bufs b;
    bufs_make(k, r, &b);
    for (int i = 0; i < N_OPS; i++) {
        kctx c = *c0;
        karena *tiny = NULL;
        expect(k, k_arena_create(&c, 64, 64, &tiny), KS_OK, "arena create");
        c.arena = tiny;
        void *hold = NULL;
        expect(k, k_arena_alloc(tiny, 64, &hold), KS_OK, "arena: room for 64 bytes");
        kmark before = k_arena_mark(tiny);
        char what[64];
        snprintf(what, sizeof what, "%s with a full arena", ops[i].name);
        expect(k, ops[i].fn(&c, &b), ops[i].scratch ? KS_OOM : KS_OK, what);
        kmark after = k_arena_mark(tiny);
        snprintf(what, sizeof what, "%s gives its scratch back", ops[i].name);
        check_true(k, before.chunk == after.chunk && before.off == after.off, what);
        k_arena_destroy(tiny);
    }
    bufs_free(&b);
}

/* With the run's cancel flag set, pooled ops stop before their first chunk. */
static void cancelled(const kctx *c0, krng *r, kcheck *k)
{
    bufs b;
    bufs_make(k, r, &b);
    static const volatile int32_t stop = 1;
    kctx c = *c0;
    c.cancel = &stop;
    for (int i = 0; i < N_OPS; i++) {
        char what[64];
        snprintf(what, sizeof what, "%s after cancel", ops[i].name);
        expect(k, ops[i].fn(&c, &b), KS_CANCELLED, what);
    }
    bufs_free(&b);
}

/* Results through an arena equal the private-scratch results; a second pass reuses the
 * chunks (no growth), and the ops leave the bump point where they found it. */
static void arena_reuse(const kctx *c0, krng *r, kcheck *k)
{
    bufs b;
    bufs_make(k, r, &b);
    float *ref = poisoned(M * K);
    kctx c = *c0;
    karena *ar = NULL;
    expect(k, k_arena_create(&c, 1 << 16, 0, &ar), KS_OK, "arena create");
    for (int i = 0; i < N_OPS; i++) {
        c.arena = NULL;
        for (int64_t j = 0; j < M * K; j++) b.y[j] = NAN;
        KOK(ops[i].fn(&c, &b));
        memcpy(ref, b.y, sizeof(float) * M * K);
        c.arena = ar;
        for (int pass = 0; pass < 2; pass++) {
            size_t held = k_arena_held(ar);
            for (int64_t j = 0; j < M * K; j++) b.y[j] = NAN;
            KOK(ops[i].fn(&c, &b));
            char what[64];
            snprintf(what, sizeof what, "%s: same output through the arena", ops[i].name);
            int64_t bad = -1;
            for (int64_t j = 0; j < M * K && bad < 0; j++)
                if (!(isnan(ref[j]) && isnan(b.y[j])) && !(fabsf(ref[j] - b.y[j]) <= 1e-6f * fabsf(ref[j])))
                    bad = j; /* pooled reductions may sum in another order */
            if (bad >= 0) fprintf(stderr, "  [%lld] %.9g vs %.9g\n", (long long)bad, ref[bad], b.y[bad]);
            check_true(k, bad < 0, what);
            snprintf(what, sizeof what, "%s: no growth on a repeated pass", ops[i].name);
            if (pass == 1) check_true(k, k_arena_held(ar) == held, what);
            kmark m = k_arena_mark(ar);
            check_true(k, m.off == 0 && m.used_before == 0, "op leaves the arena empty");
        }
    }
    check_true(k, k_arena_peak(ar) > 0, "arena peak counts the scratch");
    k_arena_destroy(ar);
    free(ref);
    bufs_free(&b);
}

static void arena_basics(kcheck *k)
{
    kctx c = kctx_default(NULL);
    karena *a = NULL;
    KOK(k_arena_create(&c, 1000, 0, &a));
    void *p1, *p2, *p3, *big;
    KOK(k_arena_alloc(a, 10, &p1));
    kmark m = k_arena_mark(a);
    KOK(k_arena_alloc(a, 100, &p2));
    KOK(k_arena_alloc(a, 5000, &big)); /* larger than a chunk: a chunk of its own */
    check_true(k, ((uintptr_t)p1 | (uintptr_t)p2 | (uintptr_t)big) % 64 == 0, "arena: 64-byte aligned");
    check_true(k, (char *)p2 >= (char *)p1 + 64, "arena: allocations do not overlap");
    memset(big, 1, 5000);
    k_arena_release(a, m);
    KOK(k_arena_alloc(a, 100, &p3));
    check_true(k, p3 == p2, "arena: release rewinds to the mark");
    check_true(k, k_arena_peak(a) >= 64 + 128 + 5000, "arena: peak");
    k_arena_reset(a);
    KOK(k_arena_alloc(a, 10, &p3));
    check_true(k, p3 == p1, "arena: reset rewinds to the start");
    k_arena_destroy(a);

    float *h = NULL, *d = NULL;
    KOK(k_alloc(&c, 64 * sizeof(float), (void **)&h));
    KOK(k_alloc(&c, 64 * sizeof(float), (void **)&d));
    for (int i = 0; i < 64; i++) h[i] = (float)i;
    KOK(k_copy(&c, d, h, 64 * sizeof(float), K_H2D));
    KOK(k_memset0(&c, h, 64 * sizeof(float)));
    KOK(k_copy(&c, h, d, 32 * sizeof(float), K_D2H));
    KOK(k_sync(&c));
    check_true(k, h[31] == 31.0f && h[32] == 0.0f, "memory API: copy and memset0");
    check_true(k, k_copy(&c, NULL, h, 4, K_D2D) == KS_BAD_ARG, "memory API: copy to NULL");
    k_free(&c, h);
    k_free(&c, d);

#ifndef LTX2_CUDA
    /* a CUDA context in a build without the backend: every op refuses */
    kctx cu = kctx_default(NULL);
    cu.backend = KB_CUDA;
    float x[4] = {0}, y[4];
    check_true(k, k_add(&cu, x, x, y, 4) == KS_UNSUPPORTED, "no CUDA backend: op unsupported");
    void *p = NULL;
    check_true(k, k_alloc(&cu, 16, &p) == KS_UNSUPPORTED && !p, "no CUDA backend: alloc unsupported");
#endif
}

int main(void)
{
    kcheck k = {0};
    arena_basics(&k);
    for_each_ctx(bad_args, &k);
    for_each_ctx(scratch_failure, &k);
    for_each_ctx(arena_reuse, &k);
    /* cancel: with a pool and inline (the inline path is chunked when a flag is given) */
    kpool *pool = kpool_create(2);
    for (int pi = 0; pi < 2; pi++) {
        kctx c = kctx_default(pi ? pool : NULL);
        krng r = {0x1234567ull + (uint64_t)pi};
        cancelled(&c, &r, &k);
    }
    kpool_destroy(pool);
    return check_report(&k, "kernels_ops_status");
}
