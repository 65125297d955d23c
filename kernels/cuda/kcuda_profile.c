/*
 * kcuda_profile.c — where a device's time goes, per op, without an external profiler:
 * with LTX2_CUDA_PROFILE=1 in the environment when the device is made, every op's
 * prologue (and any kcuda_prof_mark inside an op) records a CUDA event on the stream
 * with the op's name. The time between one event and the next is charged to the first
 * one's name, so the sum equals the stream's wall time, idle gaps where the GPU waited
 * for the host included (charged to the op before the gap). Off by default: one branch
 * per op.
 */
#include "kcuda_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROF_EVENTS 4096 /* events in flight before a drain (one sync) */
#define PROF_NAMES 128

struct kcuda_prof {
    cudaEvent_t ev[PROF_EVENTS];
    const char *at[PROF_EVENTS]; /* static strings (__func__ or literals) */
    int n;
    struct { const char *name; double ms; long calls; } tab[PROF_NAMES];
    int n_tab;
};

kcuda_prof *kcuda_prof_create(void)
{
    const char *env = getenv("LTX2_CUDA_PROFILE");
    if (!env || !env[0] || !strcmp(env, "0")) return NULL;
    kcuda_prof *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    for (int i = 0; i < PROF_EVENTS; i++)
        if (cudaEventCreate(&p->ev[i]) != cudaSuccess) { /* no profile rather than a failed device */
            while (i-- > 0) cudaEventDestroy(p->ev[i]);
            free(p);
            cudaGetLastError();
            return NULL;
        }
    return p;
}

void kcuda_prof_destroy(kcuda_prof *p)
{
    if (!p) return;
    for (int i = 0; i < PROF_EVENTS; i++) cudaEventDestroy(p->ev[i]);
    free(p);
}

static void charge(kcuda_prof *p, const char *name, double ms)
{
    int i = 0;
    while (i < p->n_tab && p->tab[i].name != name && strcmp(p->tab[i].name, name)) i++;
    if (i == PROF_NAMES) i = PROF_NAMES - 1; /* table full: lumped into the last row */
    if (i == p->n_tab) {
        p->tab[i].name = name;
        p->tab[i].ms = 0.0;
        p->tab[i].calls = 0;
        p->n_tab++;
    }
    p->tab[i].ms += ms;
    p->tab[i].calls++;
}

/* Charges every closed interval; the last event stays as the start of the next. */
static void drain(kcuda_prof *p)
{
    if (p->n < 2) return;
    cudaEventSynchronize(p->ev[p->n - 1]);
    for (int i = 0; i + 1 < p->n; i++) {
        float ms = 0.0f;
        if (cudaEventElapsedTime(&ms, p->ev[i], p->ev[i + 1]) == cudaSuccess) charge(p, p->at[i], ms);
    }
    cudaGetLastError();
    cudaEvent_t last = p->ev[p->n - 1];
    p->ev[p->n - 1] = p->ev[0];
    p->ev[0] = last;
    p->at[0] = p->at[p->n - 1];
    p->n = 1;
}

void kcuda_prof_mark(kcuda *d, const char *name)
{
    kcuda_prof *p = d->prof;
    if (!p) return;
    if (p->n == PROF_EVENTS) drain(p);
    cudaEventRecord(p->ev[p->n], d->stream);
    p->at[p->n++] = name;
}

/* A table of the ops by time, largest first, then resets the counts. */
size_t kcuda_profile_report(kcuda *d, char *buf, size_t len)
{
    kcuda_prof *p = d ? d->prof : NULL;
    if (!p || !buf || !len) return 0;
    if (kcuda_enter(d) != KS_OK) return 0;
    kcuda_prof_mark(d, "(end)");
    drain(p);
    double total = 0.0;
    for (int i = 0; i < p->n_tab; i++) total += p->tab[i].ms;
    size_t o = (size_t)snprintf(buf, len, "%-34s %10s %8s %6s\n", "op", "ms", "calls", "share");
    for (int done = 0; done < p->n_tab; done++) {
        int best = -1;
        for (int i = 0; i < p->n_tab; i++)
            if (p->tab[i].calls >= 0 && (best < 0 || p->tab[i].ms > p->tab[best].ms)) best = i;
        if (o < len)
            o += (size_t)snprintf(buf + o, len - o, "%-34s %10.2f %8ld %5.1f%%\n", p->tab[best].name, p->tab[best].ms,
                                  p->tab[best].calls, total > 0 ? 100.0 * p->tab[best].ms / total : 0.0);
        p->tab[best].calls = -1; /* printed */
    }
    if (o < len) o += (size_t)snprintf(buf + o, len - o, "%-34s %10.2f\n", "total", total);
    p->n_tab = 0;
    p->n = 0;
    return o < len ? o : len - 1;
}
