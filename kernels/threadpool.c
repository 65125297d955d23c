/* threadpool.c — persistent worker threads dealing chunks through one atomic counter.
 * Threads are created once in kpool_create; kpool_for wakes them, the caller works as
 * thread 0, and returns when every chunk ran. Concurrent kpool_for calls from different
 * host threads are serialised by call_mu. */
#include "kernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

struct kpool {
    int n_threads;
    pthread_t *threads;
    pthread_mutex_t call_mu; /* one kpool_for at a time */
    pthread_mutex_t mu;
    pthread_cond_t cv_start, cv_done;
    uint64_t generation; /* bumped for every job; workers wait for a change */
    int stop;
    int busy_workers; /* workers still inside the current job */
    /* the current job */
    kpool_task fn;
    void *arg;
    int64_t n, chunk, n_chunks;
    const volatile int32_t *cancel;
    atomic_int_fast64_t next_chunk;
    atomic_int skipped; /* a chunk was left undone because of cancel */
};

static int cancel_requested(const volatile int32_t *cancel) {
    return cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED) != 0;
}

typedef struct worker_arg {
    kpool *pool;
    int id;
} worker_arg;

static void run_chunks(kpool *p, int id) {
    for (;;) {
        int64_t c = atomic_fetch_add_explicit(&p->next_chunk, 1, memory_order_relaxed);
        if (c >= p->n_chunks) break;
        if (cancel_requested(p->cancel)) {
            atomic_store_explicit(&p->skipped, 1, memory_order_relaxed);
            break;
        }
        int64_t b = c * p->chunk;
        int64_t e = b + p->chunk < p->n ? b + p->chunk : p->n;
        p->fn(p->arg, b, e, id);
    }
}

static void *worker_main(void *varg) {
    worker_arg wa = *(worker_arg *)varg;
    free(varg);
    kpool *p = wa.pool;
    uint64_t seen = 0;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->generation == seen && !p->stop) pthread_cond_wait(&p->cv_start, &p->mu);
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        run_chunks(p, wa.id);
        pthread_mutex_lock(&p->mu);
        if (--p->busy_workers == 0) pthread_cond_signal(&p->cv_done);
        pthread_mutex_unlock(&p->mu);
    }
}

kpool *kpool_create(int n_threads) {
    if (n_threads <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n_threads = c > 0 ? (int)c : 1;
    }
    kpool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n_threads = n_threads;
    pthread_mutex_init(&p->call_mu, NULL);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv_start, NULL);
    pthread_cond_init(&p->cv_done, NULL);
    atomic_init(&p->next_chunk, 0);
    atomic_init(&p->skipped, 0);
    if (n_threads > 1) {
        p->threads = calloc((size_t)n_threads - 1, sizeof *p->threads);
        if (!p->threads) {
            kpool_destroy(p);
            return NULL;
        }
        for (int i = 1; i < n_threads; i++) {
            worker_arg *wa = malloc(sizeof *wa);
            if (wa) {
                wa->pool = p;
                wa->id = i;
            }
            if (!wa || pthread_create(&p->threads[i - 1], NULL, worker_main, wa) != 0) {
                free(wa);
                p->n_threads = i; /* only threads 1..i-1 exist */
                kpool_destroy(p);
                return NULL;
            }
        }
    }
    return p;
}

void kpool_destroy(kpool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv_start);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n_threads && p->threads; i++) pthread_join(p->threads[i - 1], NULL);
    free(p->threads);
    pthread_cond_destroy(&p->cv_start);
    pthread_cond_destroy(&p->cv_done);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->call_mu);
    free(p);
}

int kpool_threads(const kpool *p) { return p ? p->n_threads : 1; }

/* With a cancel flag, loops are dealt in at least this many chunks per thread (or
 * `grain`-sized ones, whichever are larger): a request then waits for at most one
 * chunk, about 1/64 of the kernel's time per thread, instead of a quarter of it. */
#define CANCEL_CHUNKS 64

/* Inline run: one call when nothing can cancel it, else CANCEL_CHUNKS chunks with a
 * check before each (the same bound as the threaded path). */
static int run_inline(const volatile int32_t *cancel, int64_t n, int64_t grain, kpool_task fn, void *arg) {
    if (!cancel) {
        fn(arg, 0, n, 0);
        return 0;
    }
    int64_t chunk = (n + CANCEL_CHUNKS - 1) / CANCEL_CHUNKS;
    if (chunk < grain) chunk = grain;
    for (int64_t b = 0; b < n; b += chunk) {
        if (cancel_requested(cancel)) return 1;
        fn(arg, b, b + chunk < n ? b + chunk : n, 0);
    }
    return 0;
}

int kpool_for(kpool *p, const volatile int32_t *cancel, int64_t n, int64_t grain, kpool_task fn, void *arg) {
    if (n <= 0) return cancel_requested(cancel);
    if (grain < 1) grain = 1;
    if (cancel_requested(cancel)) return 1;
    if (!p || p->n_threads == 1 || n <= grain) return run_inline(cancel, n, grain, fn, arg);
    /* About four chunks per thread balances load without many atomic increments. */
    int64_t per = (cancel ? CANCEL_CHUNKS : 4) * (int64_t)p->n_threads;
    int64_t chunk = (n + per - 1) / per;
    if (chunk < grain) chunk = grain;
    pthread_mutex_lock(&p->call_mu);
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->n = n;
    p->chunk = chunk;
    p->n_chunks = (n + chunk - 1) / chunk;
    p->cancel = cancel;
    atomic_store_explicit(&p->next_chunk, 0, memory_order_relaxed);
    atomic_store_explicit(&p->skipped, 0, memory_order_relaxed);
    p->busy_workers = p->n_threads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->cv_start);
    pthread_mutex_unlock(&p->mu);
    run_chunks(p, 0);
    pthread_mutex_lock(&p->mu);
    while (p->busy_workers > 0) pthread_cond_wait(&p->cv_done, &p->mu);
    int skipped = atomic_load_explicit(&p->skipped, memory_order_relaxed);
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_unlock(&p->call_mu);
    return skipped;
}
