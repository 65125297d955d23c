/* test_stream_plan.c — the residency policy (which mode, how many slots and resident
 * units, the bytes uploaded per pass, the refusal's words), the ring of slots on the CPU
 * backend (each acquired slot holds its unit's image over passes that run to their end,
 * whose uploads go on into the next, and after one that stops early; out-of-order use
 * is refused) and
 * k_arena_reserve / k_arena_fresh_for, and the device note's one entry per model. Sizes are drawn at random per run (seed printed). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/stream.h"

static int failures;
#define CHECK(c, ...) do { if (!(c)) { failures++; printf("FAIL: " __VA_ARGS__); printf("\n"); } } while (0)

static uint64_t rng;
static int64_t draw(int64_t lo, int64_t hi)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (int64_t)((rng >> 33) % (uint64_t)(hi - lo + 1));
}

static lx_mem_ask ask_of(int n, size_t *units, size_t unit, size_t fixed, size_t ws)
{
    for (int i = 0; i < n; i++)
        units[i] = unit;
    return (lx_mem_ask){"transformer", "block", fixed, n, units, ws, ws, "6144 video + 126 audio tokens"};
}

static lx_room room_of(size_t bytes)
{
    lx_room r = {bytes, true, ""};
    snprintf(r.why, sizeof r.why, "budget %zu", bytes);
    return r;
}

static void check_policy(void)
{
    size_t units[64];
    const int n = (int)draw(8, 64);
    const size_t unit = (size_t)draw(1000, 100000) * 256, fixed = (size_t)draw(1, 1000) * 4096;
    const size_t ws = (size_t)draw(1, 1000) * 65536;
    const lx_mem_ask a = ask_of(n, units, unit, fixed, ws);
    const size_t all = fixed + ws + (size_t)n * unit;
    ltx2_error err = {0};
    lx_plan p;

    /* everything fits (exactly, and with no budget at all): resident */
    lx_room r = room_of(all);
    CHECK(lx_plan_make(&a, &r, &p, &err) == LTX2_OK && p.mode == LX_RESIDENT && p.resident_units == n &&
              p.weights == fixed + (size_t)n * unit && p.upload_per_pass == 0,
          "resident at the exact size: mode %d", p.mode);
    lx_room unlimited = {SIZE_MAX, false, "no budget"};
    CHECK(lx_plan_make(&a, &unlimited, &p, &err) == LTX2_OK && p.mode == LX_RESIDENT, "no budget: resident");
    for (int i = 0; i < n; i++)
        CHECK(lx_plan_unit_resident(&p, i), "resident plan: unit %d not resident", i);

    /* k units fit beside fixed + workspace: slots = min(k, max), the rest resident */
    for (int k = LX_STREAM_MIN_SLOTS; k < n; k++) {
        r = room_of(fixed + ws + (size_t)k * unit + (size_t)draw(0, (int64_t)unit - 1));
        CHECK(lx_plan_make(&a, &r, &p, &err) == LTX2_OK, "%d units fit: %s", k, err.msg);
        const int slots = k < LX_STREAM_MAX_SLOTS ? k : LX_STREAM_MAX_SLOTS;
        CHECK(p.mode == LX_STREAMED && p.slots == slots && p.resident_units == k - slots && p.slot_bytes == unit,
              "%d units fit: mode %d, %d slots, %d resident", k, p.mode, p.slots, p.resident_units);
        CHECK(p.weights == fixed + (size_t)k * unit && p.weights + ws <= r.bytes, "%d units: weights %zu", k,
              p.weights);
        int resident = 0, longest_gap = 0, gap = 0;
        for (int i = 0; i < n; i++) {
            const int res = lx_plan_unit_resident(&p, i);
            resident += res;
            gap = res ? 0 : gap + 1;
            longest_gap = gap > longest_gap ? gap : longest_gap;
        }
        CHECK(resident == p.resident_units, "%d resident units marked, plan says %d", resident, p.resident_units);
        /* spread: no run of streamed units longer than an even share */
        const int share = p.resident_units ? (n - p.resident_units + p.resident_units - 1) / p.resident_units + 1 : n;
        CHECK(longest_gap <= share, "%d resident of %d: %d streamed units in a row", p.resident_units, n,
              longest_gap);
        CHECK(p.upload_per_pass == (size_t)(n - p.resident_units) * unit, "upload per pass %zu",
              p.upload_per_pass);
    }

    /* fewer than two slots: refused, naming what needs the memory and the bytes */
    r = room_of(fixed + ws + 2 * unit - 1);
    memset(&err, 0, sizeof err);
    CHECK(lx_plan_make(&a, &r, &p, &err) == LTX2_ERR_OOM, "two slots do not fit: not refused");
    char need[32];
    snprintf(need, sizeof need, "%zu bytes", fixed + ws + 2 * unit);
    CHECK(strstr(err.msg, "transformer") && strstr(err.msg, "2 block slots") && strstr(err.msg, need) &&
              strstr(err.msg, "6144 video + 126 audio tokens") && strstr(err.msg, r.why),
          "refusal words: \"%s\"", err.msg);
    printf("refusal: %s\n", err.msg);

    /* a later run's workspace beside placed weights */
    lx_mem_ask later = a;
    later.workspace_new = ws;
    r = room_of(ws);
    CHECK(lx_plan_check_workspace(&p, &later, &r, &err) == LTX2_OK, "workspace that fits refused");
    r = room_of(ws - 1);
    memset(&err, 0, sizeof err);
    CHECK(lx_plan_check_workspace(&p, &later, &r, &err) == LTX2_ERR_OOM && strstr(err.msg, "tokens") &&
              strstr(err.msg, "transformer"),
          "workspace refusal: \"%s\"", err.msg);
}

/* The ring on the CPU: units with distinct images, some resident; each acquired slot
 * holds its unit's bytes; two passes; wrong order refused. */
static void check_ring(void)
{
    const kctx cpu = kctx_default(NULL);
    enum { N = 9 };
    const int slots = (int)draw(2, 4);
    void *host[N] = {0};
    size_t bytes[N];
    const size_t slot_bytes = 4096;
    for (int i = 0; i < N; i++) {
        bytes[i] = (size_t)draw(1, 4096);
        if (i % 4 == 1)
            continue; /* resident */
        CHECK(k_pinned_alloc(&cpu, bytes[i], &host[i]) == KS_OK, "pinned");
        memset(host[i], 'A' + i, bytes[i]);
    }
    lx_ring *r = NULL;
    CHECK(lx_ring_create(&cpu, slots, slot_bytes, N, host, bytes, &r) == KS_OK, "ring");
    /* pass 1 stops after its second streamed unit (a cancel): pass 2 starts over */
    for (int pass = 0; r && pass < 4; pass++) {
        CHECK(lx_ring_begin(r) == KS_OK, "begin");
        for (int i = 0, streamed = 0; i < N && !(pass == 1 && streamed == 2); i++) {
            void *base = NULL;
            if (!host[i]) {
                CHECK(lx_ring_acquire(r, i, &base) == KS_BAD_ARG, "resident unit %d acquired", i);
                continue;
            }
            CHECK(lx_ring_acquire(r, i, &base) == KS_OK && base, "acquire %d", i);
            size_t bad = 0;
            for (size_t b = 0; base && b < bytes[i]; b++)
                bad += ((unsigned char *)base)[b] != 'A' + i;
            CHECK(bad == 0, "pass %d unit %d: %zu bytes of its slot are not its image", pass, i, bad);
            CHECK(lx_ring_release(r, i) == KS_OK, "release %d", i);
            streamed++;
        }
    }
    if (r) { /* out of order: a unit further ahead than the slots was never queued */
        void *base = NULL;
        CHECK(lx_ring_begin(r) == KS_OK, "begin");
        CHECK(lx_ring_acquire(r, N - 1, &base) == KS_BAD_ARG, "unit %d acquired before its upload", N - 1);
    }
    lx_ring_destroy(r);
    size_t big = slot_bytes + 1;
    void *img = NULL;
    CHECK(k_pinned_alloc(&cpu, big, &img) == KS_OK, "pinned");
    void *h1[1] = {img};
    r = NULL;
    CHECK(lx_ring_create(&cpu, 2, slot_bytes + 1, 1, h1, &big, &r) == KS_OK, "a unit as large as its slot");
    lx_ring_destroy(r);
    big = slot_bytes + 512;
    r = NULL;
    CHECK(lx_ring_create(&cpu, 2, slot_bytes, 1, h1, &big, &r) == KS_BAD_ARG && !r, "a unit larger than a slot");
    k_pinned_free(&cpu, img);
    for (int i = 0; i < N; i++)
        k_pinned_free(&cpu, host[i]);
}

/* k_arena_reserve: allocations up to the reserved total then make no chunk. */
static void check_reserve(void)
{
    const kctx cpu = kctx_default(NULL);
    karena *a = NULL;
    CHECK(k_arena_create(&cpu, 4096, 0, &a) == KS_OK, "arena");
    void *p = NULL;
    CHECK(k_arena_alloc(a, 100, &p) == KS_OK, "small alloc");
    const size_t want = (size_t)draw(5, 50) * 4096;
    CHECK(k_arena_fresh_for(a, want) == want, "fresh for %zu: %zu", want, k_arena_fresh_for(a, want));
    CHECK(k_arena_reserve(a, want) == KS_OK, "reserve");
    const size_t held = k_arena_held(a), peak = k_arena_peak(a);
    CHECK(peak == 128, "a reservation counted as use: peak %zu", peak);
    CHECK(k_arena_fresh_for(a, want) == 0, "reserved yet fresh %zu", k_arena_fresh_for(a, want));
    size_t used = 0;
    while (used + 64 * 7 <= want) {
        CHECK(k_arena_alloc(a, 64 * 7 - (size_t)draw(0, 63), &p) == KS_OK, "alloc");
        used += 64 * 7;
    }
    CHECK(k_arena_held(a) == held, "allocations within the reservation grew the arena %zu -> %zu", held,
          k_arena_held(a));
    k_arena_destroy(a);
}

/* The device note keeps one entry per model: a model's new plan replaces its own entry
 * (not one whose name only starts the same), others stay in order, and it is cut to size. */
static void check_note(void)
{
    char out[256];
    lx_note_merge("", "transformer", "resident, 35.18 GiB of weights", out, sizeof out);
    CHECK(!strcmp(out, "transformer resident, 35.18 GiB of weights"), "first note \"%s\"", out);
    lx_note_merge(out, "Gemma 3 text model", "streamed: 8 of 48 layers resident", out + 128, 128);
    CHECK(!strcmp(out + 128, "transformer resident, 35.18 GiB of weights; Gemma 3 text model streamed: 8 of 48 layers "
                             "resident"),
          "two models \"%s\"", out + 128);
    char again[256];
    lx_note_merge(out + 128, "transformer", "streamed: 4 slots", again, sizeof again);
    CHECK(!strcmp(again, "Gemma 3 text model streamed: 8 of 48 layers resident; transformer streamed: 4 slots"),
          "replaced \"%s\"", again);
    lx_note_merge("transformers resident", "transformer", "x", again, sizeof again);
    CHECK(!strcmp(again, "transformers resident; transformer x"), "prefix only \"%s\"", again);
    char small[16];
    lx_note_merge("transformer resident, 35.18 GiB", "Gemma", "resident", small, sizeof small);
    CHECK(strlen(small) == sizeof small - 1, "cut to size \"%s\"", small);
}

int main(void)
{
    rng = (uint64_t)time(NULL);
    printf("seed %llu\n", (unsigned long long)rng);
    for (int rep = 0; rep < 20; rep++)
        check_policy();
    check_ring();
    check_reserve();
    check_note();
    printf("%d failures\n", failures);
    return failures ? 1 : 0;
}
