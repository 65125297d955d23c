/* arena.c — the per-pass workspace: a bump allocator over chunks of backend memory.
 * Marks rewind it; chunks are kept for the next pass, so a steady-state forward
 * allocates nothing. */
#include <stdlib.h>

#include "kbackend.h"

#define ARENA_ALIGN 64

typedef struct chunk {
    char *base;
    size_t size;
} chunk;

struct karena {
    kctx owner;     /* backend and device the chunks come from */
    size_t chunk_bytes, limit, held, used_total, peak;
    chunk *chunks;
    int n_chunks, cap_chunks;
    int cur;        /* chunk being bumped */
    size_t off;     /* bytes used in chunks[cur] */
    size_t used_before; /* bytes used in chunks [0, cur) */
};

kstatus k_arena_create(const kctx *ctx, size_t chunk_bytes, size_t limit_bytes, karena **out)
{
    *out = NULL;
    karena *a = calloc(1, sizeof *a);
    if (!a)
        return KS_OOM;
    a->owner = *ctx;
    a->owner.arena = NULL;
    a->chunk_bytes = chunk_bytes;
    a->limit = limit_bytes;
    *out = a;
    return KS_OK;
}

void k_arena_destroy(karena *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->n_chunks; i++)
        k_free(&a->owner, a->chunks[i].base);
    free(a->chunks);
    free(a);
}

kmark k_arena_mark(const karena *a)
{
    return (kmark){a->cur, a->off, a->used_before};
}

void k_arena_release(karena *a, kmark m)
{
    a->cur = m.chunk;
    a->off = m.off;
    a->used_before = m.used_before;
}

void k_arena_reset(karena *a)
{
    k_arena_release(a, (kmark){0, 0, 0});
}

size_t k_arena_peak(const karena *a) { return a->peak; }
size_t k_arena_held(const karena *a) { return a->held; }

/* Replaces chunk i (unused: it lies past the bump point) by one of at least `bytes`. */
static kstatus chunk_make(karena *a, int i, size_t bytes)
{
    size_t size = bytes > a->chunk_bytes ? bytes : a->chunk_bytes;
    size = (size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    size_t old = i < a->n_chunks ? a->chunks[i].size : 0;
    if (a->limit && a->held - old + size > a->limit)
        return KS_OOM;
    if (i == a->cap_chunks) {
        int cap = a->cap_chunks ? 2 * a->cap_chunks : 8;
        chunk *c = realloc(a->chunks, (size_t)cap * sizeof *c);
        if (!c)
            return KS_OOM;
        a->chunks = c;
        a->cap_chunks = cap;
    }
    /* the old chunk goes first, so a device never holds both (an empty slot of size 0
     * stays when the new one cannot be had: any later request replaces it) */
    if (i < a->n_chunks) {
        k_free(&a->owner, a->chunks[i].base);
        a->chunks[i] = (chunk){NULL, 0};
        a->held -= old;
    } else {
        a->chunks[a->n_chunks++] = (chunk){NULL, 0};
    }
    void *p = NULL;
    kstatus st = k_alloc(&a->owner, size, &p);
    if (st != KS_OK)
        return st;
    a->held += size;
    a->chunks[i] = (chunk){p, size};
    return KS_OK;
}

/* The chunk the next allocation of `bytes` lands in, and whether it fits there now. */
static int chunk_for(const karena *a, size_t bytes, int *fits)
{
    if (a->cur < a->n_chunks && a->chunks[a->cur].size - a->off >= bytes) {
        *fits = 1;
        return a->cur;
    }
    int next = a->cur < a->n_chunks && a->off > 0 ? a->cur + 1 : a->cur;
    *fits = next < a->n_chunks && a->chunks[next].size >= bytes;
    return next;
}

size_t k_arena_fresh_for(const karena *a, size_t bytes)
{
    int fits;
    bytes = (bytes + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    const int i = chunk_for(a, bytes, &fits);
    if (fits)
        return 0;
    const size_t size = bytes > a->chunk_bytes ? bytes : a->chunk_bytes;
    const size_t old = i < a->n_chunks ? a->chunks[i].size : 0;
    return size > old ? size - old : 0;
}

kstatus k_arena_reserve(karena *a, size_t bytes)
{
    const kmark m = k_arena_mark(a);
    const size_t peak = a->peak; /* a reservation is not use */
    void *p = NULL;
    kstatus st = k_arena_alloc(a, bytes, &p);
    k_arena_release(a, m);
    a->peak = peak;
    return st;
}

kstatus k_arena_alloc(karena *a, size_t bytes, void **out)
{
    *out = NULL;
    bytes = (bytes + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    if (bytes == 0)
        bytes = ARENA_ALIGN;
    int fits;
    const int next = chunk_for(a, bytes, &fits);
    if (next != a->cur || !fits) {
        /* the next chunk (or a new one); chunks past the bump point are all free */
        if (!fits) {
            kstatus st = chunk_make(a, next, bytes);
            if (st != KS_OK)
                return st;
        }
        if (next != a->cur)
            a->used_before += a->off;
        a->cur = next;
        a->off = 0;
    }
    *out = a->chunks[a->cur].base + a->off;
    a->off += bytes;
    if (a->used_before + a->off > a->peak)
        a->peak = a->used_before + a->off;
    return KS_OK;
}

void k_scratch_open(const kctx *ctx, kscratch *s)
{
    s->arena = ctx->arena;
    s->mark = s->arena ? k_arena_mark(s->arena) : (kmark){0, 0, 0};
    s->blocks = NULL;
    s->n_dev = 0;
    s->owner = *ctx;
}

kstatus k_scratch(kscratch *s, size_t bytes, void **out)
{
    if (s->arena)
        return k_arena_alloc(s->arena, bytes, out);
    /* no arena: one block per request (what the ops did before arenas). CPU blocks are
     * linked through their first bytes; device blocks cannot be read from here, so their
     * pointers are kept in the scratch itself. */
    *out = NULL;
    void *b = NULL;
    if (s->owner.backend != KB_CPU) {
        if (s->n_dev == K_SCRATCH_DEV_BLOCKS)
            return KS_UNSUPPORTED;
        kstatus st = k_alloc(&s->owner, bytes, &b);
        if (st == KS_OK)
            s->dev[s->n_dev++] = *out = b;
        return st;
    }
    kstatus st = k_alloc(&s->owner, ARENA_ALIGN + bytes, &b);
    if (st != KS_OK)
        return st;
    *(void **)b = s->blocks;
    s->blocks = b;
    *out = (char *)b + ARENA_ALIGN;
    return KS_OK;
}

void k_scratch_close(kscratch *s)
{
    if (s->arena)
        k_arena_release(s->arena, s->mark);
    while (s->blocks) {
        void *prev = *(void **)s->blocks;
        k_free(&s->owner, s->blocks);
        s->blocks = prev;
    }
    while (s->n_dev > 0)
        k_free(&s->owner, s->dev[--s->n_dev]);
    s->arena = NULL;
}
