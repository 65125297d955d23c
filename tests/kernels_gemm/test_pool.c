/* Thread pool: every index of [0, n) is visited exactly once, for many calls, odd and
 * tiny sizes, pools of 1 and several threads, and the NULL (inline) pool; with a cancel
 * flag, a request made inside the first chunk stops the loop within a chunk per thread
 * and the call says so, while an untouched flag changes nothing. */
#include "check.h"
#include "kernels.h"

#include <stdatomic.h>

typedef struct visit {
    atomic_int *hits;
    int n_threads;
    atomic_int bad_tid;
    int64_t grain;
    atomic_int bad_chunk;
    int64_t n;
} visit;

static void mark(void *arg, int64_t b, int64_t e, int tid) {
    visit *v = arg;
    if (tid < 0 || tid >= v->n_threads) atomic_store(&v->bad_tid, 1);
    if (b < 0 || e > v->n || b >= e || (e - b < v->grain && e != v->n)) atomic_store(&v->bad_chunk, 1);
    for (int64_t i = b; i < e; i++) atomic_fetch_add(&v->hits[i], 1);
}

static void run_pool(kpool *p, int expect_threads) {
    CHECK(kpool_threads(p) == expect_threads, "threads %d vs %d", kpool_threads(p), expect_threads);
    static const int64_t sizes[] = {0, 1, 2, 3, 7, 31, 100, 1001, 4097};
    static const int64_t grains[] = {1, 3, 64};
    for (int rep = 0; rep < 200; rep++) {
        int64_t n = sizes[rep % 9];
        int64_t grain = grains[(rep / 9) % 3];
        atomic_int *hits = calloc((size_t)(n + 1), sizeof *hits);
        CHECK(hits != NULL, "alloc");
        visit v = {.hits = hits, .n_threads = expect_threads, .grain = grain, .n = n};
        atomic_init(&v.bad_tid, 0);
        atomic_init(&v.bad_chunk, 0);
        const volatile int32_t never = 0;
        CHECK(kpool_for(p, (rep & 1) ? &never : NULL, n, grain, mark, &v) == 0, "no cancel: all ran");
        for (int64_t i = 0; i < n; i++) CHECK(atomic_load(&hits[i]) == 1, "n=%lld index %lld visited %d times", (long long)n, (long long)i, atomic_load(&hits[i]));
        CHECK(atomic_load(&v.bad_tid) == 0, "thread id out of range");
        CHECK(atomic_load(&v.bad_chunk) == 0, "chunk out of range or below grain (n=%lld grain=%lld)", (long long)n, (long long)grain);
        free(hits);
    }
}

typedef struct stopper {
    volatile int32_t flag;
    atomic_int chunks;
} stopper;

static void stop_at_first(void *arg, int64_t b, int64_t e, int tid) {
    (void)b;
    (void)e;
    (void)tid;
    stopper *s = arg;
    atomic_fetch_add(&s->chunks, 1);
    __atomic_store_n(&s->flag, 1, __ATOMIC_RELAXED);
}

static void run_cancel(kpool *p) {
    stopper s = {.flag = 0};
    atomic_init(&s.chunks, 0);
    int r = kpool_for(p, &s.flag, 100000, 1, stop_at_first, &s);
    int ran = atomic_load(&s.chunks);
    CHECK(r == 1, "cancelled loop returns 1 (got %d)", r);
    /* every thread may have started one chunk before it saw the flag */
    CHECK(ran >= 1 && ran <= kpool_threads(p), "chunks after cancel: %d", ran);
    /* a flag already set runs nothing */
    atomic_store(&s.chunks, 0);
    CHECK(kpool_for(p, &s.flag, 10, 1, stop_at_first, &s) == 1 && atomic_load(&s.chunks) == 0, "pre-set flag");
}

int main(void) {
    run_cancel(NULL);
    for (int t = 1; t <= 4; t += 3) {
        kpool *pc = kpool_create(t);
        CHECK(pc != NULL, "create %d", t);
        run_cancel(pc);
        kpool_destroy(pc);
    }
    run_pool(NULL, 1);
    kpool *p1 = kpool_create(1);
    CHECK(p1 != NULL, "create 1");
    run_pool(p1, 1);
    kpool_destroy(p1);
    for (int t = 2; t <= 5; t += 3) {
        kpool *p = kpool_create(t);
        CHECK(p != NULL, "create %d", t);
        run_pool(p, t);
        kpool_destroy(p);
    }
    kpool *pd = kpool_create(0);
    CHECK(pd != NULL && kpool_threads(pd) >= 1, "default pool");
    run_pool(pd, kpool_threads(pd));
    kpool_destroy(pd);
    kpool_destroy(NULL);
    return 0;
}
