/* Thread pool: every index of [0, n) is visited exactly once, for many calls, odd and
 * tiny sizes, pools of 1 and several threads, and the NULL (inline) pool. */
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
        kpool_for(p, n, grain, mark, &v);
        for (int64_t i = 0; i < n; i++) CHECK(atomic_load(&hits[i]) == 1, "n=%lld index %lld visited %d times", (long long)n, (long long)i, atomic_load(&hits[i]));
        CHECK(atomic_load(&v.bad_tid) == 0, "thread id out of range");
        CHECK(atomic_load(&v.bad_chunk) == 0, "chunk out of range or below grain (n=%lld grain=%lld)", (long long)n, (long long)grain);
        free(hits);
    }
}

int main(void) {
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
