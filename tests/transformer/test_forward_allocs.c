/* test_forward_allocs.c — heap allocations of one transformer forward (argv: fixtures
 * dir, case), counted by wrapping the allocator at link time (-Wl,--wrap=...). A forward
 * on a warm workspace arena (the second pass of a sampler) must allocate next to
 * nothing: far fewer blocks than a forward without an arena, and no more than a first
 * pass on the same arena. Prints the counts (docs/PERFORMANCE.md quotes them). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fixture_backend.h"

static atomic_long n_allocs;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t s);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
int __real_posix_memalign(void **p, size_t a, size_t n);
void *__wrap_malloc(size_t n) { atomic_fetch_add(&n_allocs, 1); return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t s) { atomic_fetch_add(&n_allocs, 1); return __real_calloc(n, s); }
void *__wrap_realloc(void *p, size_t n) { atomic_fetch_add(&n_allocs, 1); return __real_realloc(p, n); }
void *__wrap_aligned_alloc(size_t a, size_t n) { atomic_fetch_add(&n_allocs, 1); return __real_aligned_alloc(a, n); }
int __wrap_posix_memalign(void **p, size_t a, size_t n) { atomic_fetch_add(&n_allocs, 1); return __real_posix_memalign(p, a, n); }

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s FIXTURES_DIR CASE\n", argv[0]);
        return 2;
    }
    ltx2_error err = {0};
    ltx2_store *store = ltx2_store_new();
    ltx2_checkpoint *w = NULL, *io = NULL;
    ltx2_dit *m = NULL;
    if (fb_open_dit_case(store, argv[1], argv[2], &w, &io, &m))
        return 1;
    const ltx2_dit_config *cfg = &m->cfg;
    int64_t nv_el = 0, na_el = 0, nctx_el = 0;
    float *vlat = fb_io_f32(io, "in.video_latent", &nv_el), *vsig = fb_io_f32(io, "in.video_timesteps", NULL);
    float *vpos = fb_io_f32(io, "in.video_positions", NULL), *vctx = fb_io_f32(io, "in.video_context", &nctx_el);
    float *alat = fb_io_f32(io, "in.audio_latent", &na_el), *asig = fb_io_f32(io, "in.audio_timesteps", NULL);
    float *apos = fb_io_f32(io, "in.audio_positions", NULL), *actx = fb_io_f32(io, "in.audio_context", NULL);
    float *mask = fb_io_f32(io, "in.context_mask", NULL);
    const int64_t nv = nv_el / cfg->v_in, n_ctx = nctx_el / cfg->caption_channels;
    const int64_t na = alat ? na_el / cfg->a_in : 0;
    float *vout = malloc((size_t)(nv * cfg->v_out) * sizeof(float));
    float *aout = na ? malloc((size_t)(na * cfg->a_out) * sizeof(float)) : NULL;
    ltx2_dit_stream v = {nv, vlat, vsig, vpos, vctx, n_ctx, mask, vout};
    ltx2_dit_stream a = {na, alat, asig, apos, actx, n_ctx, mask, aout};

    kpool *pool = kpool_create(2);
    kctx kc = kctx_default(pool);
    long counts[3];
    karena *arena = NULL;
    int ok = k_arena_create(&kc, (size_t)1 << 20, 0, &arena) == KS_OK;
    for (int pass = 0; ok && pass < 3; pass++) {
        kctx c = kc;
        c.arena = pass ? arena : NULL; /* 0: no arena, 1: cold arena, 2: warm arena */
        long before = atomic_load(&n_allocs);
        ok = ltx2_dit_forward(m, &c, &v, na ? &a : NULL, NULL, NULL, &err) == LTX2_OK;
        counts[pass] = atomic_load(&n_allocs) - before;
    }
    int failures = !ok;
    if (ok) {
        printf("%s: %d blocks, allocations per forward: %ld without an arena, %ld on a cold arena, %ld on a warm one\n",
               argv[2], cfg->num_layers, counts[0], counts[1], counts[2]);
        if (!(counts[2] * 10 <= counts[0]) || counts[2] > counts[1]) {
            printf("FAIL: a warm arena should leave next to no allocations\n");
            failures++;
        }
    } else {
        printf("FAIL: forward: %s\n", err.msg);
    }
    k_arena_destroy(arena);
    kpool_destroy(pool);
    free(vout), free(aout), free(vlat), free(vsig), free(vpos), free(vctx), free(alat), free(asig), free(apos);
    free(actx), free(mask);
    ltx2_dit_release(m);
    ltx2_checkpoint_release(w);
    ltx2_checkpoint_release(io);
    ltx2_store_free(store);
    return failures ? 1 : 0;
}
