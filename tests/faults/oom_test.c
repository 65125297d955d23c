/* oom_test — out-of-memory fault injection along a small graph:
 *   LTX2CheckpointLoader(vocoder) + LoadTensors(mel) -> LTX2Vocoder
 * run once to count the allocations, then again with allocation N failing, for every N.
 * Each run must end in a clean error (a status and a message) or, where the code has a
 * fallback, in the very same waveform; never a crash or a wrong result. Leaks are caught
 * by LeakSanitizer in the sanitizer build.
 *
 * Linked against the static library with -Wl,--wrap=malloc,... so that every allocation
 * of the plugin and kernels goes through the counter below.
 *   oom_test FIXTURES_DIR */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltx2/ltx2_plugin.h"

/* ---------------------------------------------------------------- the injector */
/* Process-wide by necessity: the wrapped allocator has no context. */
static atomic_long alloc_count;
static atomic_long fail_at;     /* 0 = never */
static atomic_long failed;      /* allocations refused in this run */
static _Atomic(void *) failed_caller; /* where the refused allocation was asked for */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
char *__real_strdup(const char *s);

static bool refuse(void)
{
    long n = atomic_fetch_add(&alloc_count, 1) + 1;
    if (n != atomic_load(&fail_at))
        return false;
    atomic_fetch_add(&failed, 1);
    return true;
}

#define REFUSE() (refuse() ? (atomic_store(&failed_caller, __builtin_return_address(0)), true) : false)
void *__wrap_malloc(size_t n) { return REFUSE() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { return REFUSE() ? NULL : __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { return REFUSE() ? NULL : __real_realloc(p, n); }
void *__wrap_aligned_alloc(size_t a, size_t n) { return REFUSE() ? NULL : __real_aligned_alloc(a, n); }
char *__wrap_strdup(const char *s) { return REFUSE() ? NULL : __real_strdup(s); }

/* ---------------------------------------------------------------- a tiny host */
typedef struct host_ctx {
    ltx2_exec_ctx ctx;
    ltx2_status code;
    char msg[600];
} host_ctx;

static ltx2_status no_progress(ltx2_exec_ctx *c, double v, double m, const char *ph)
{
    (void)c, (void)v, (void)m, (void)ph;
    return LTX2_OK;
}
static void no_log(ltx2_exec_ctx *c, int32_t l, const char *m) { (void)c, (void)l, (void)m; }
static void keep_error(ltx2_exec_ctx *c, ltx2_status code, const char *in, const char *m)
{
    host_ctx *h = (host_ctx *)c;
    h->code = code;
    snprintf(h->msg, sizeof h->msg, "%s: %s", in ? in : "-", m ? m : "");
}

static const ltx2_node_type *find_type(const ltx2_plugin *p, const char *name)
{
    for (uint32_t i = 0; i < p->n_node_types; i++)
        if (!strcmp(p->node_types[i]->class_type, name))
            return p->node_types[i];
    return NULL;
}

/* Runs one node: NONE for the inputs not given. The outputs are the caller's. */
static ltx2_status run_node(const ltx2_plugin *p, const char *cls, const ltx2_value *given, int n_given,
                            ltx2_value *out, char *msg, size_t msg_size)
{
    const ltx2_node_type *t = find_type(p, cls);
    static const int32_t no_cancel = 0;
    host_ctx h = {.ctx = {.struct_size = sizeof(ltx2_exec_ctx), .node_id = "1", .class_type = cls,
                          .cancel_flag = &no_cancel, .progress = no_progress, .log = no_log,
                          .set_error = keep_error, .outputs_wanted = ~0ull}};
    if (!t) {
        snprintf(msg, msg_size, "%s not registered", cls);
        return LTX2_ERR_INTERNAL;
    }
    ltx2_value in[16] = {0};
    for (int i = 0; i < n_given && i < 16; i++)
        in[i] = given[i];
    for (uint32_t i = (uint32_t)n_given; i < t->n_inputs && i < 16; i++)
        if (t->inputs[i].def.kind != LTX2_V_NONE)
            in[i] = t->inputs[i].def;
    void *inst = NULL;
    ltx2_status st = t->init(p, t, &inst);
    if (st == LTX2_OK)
        st = t->execute(inst, &h.ctx, in, out);
    if (inst)
        t->free(inst);
    snprintf(msg, msg_size, "%s: %s", cls, h.msg);
    if (st != LTX2_OK && !h.msg[0])
        snprintf(msg, msg_size, "%s: status %d with no message", cls, (int)st);
    return st;
}

static ltx2_value str_value(const char *s) { return (ltx2_value){.kind = LTX2_V_STRING, .u = {.s = s}}; }

/* The graph once. *wave receives a malloc'd copy of the waveform on success. */
static ltx2_status run_graph(const char *fixtures, float **wave, size_t *n_wave, char *msg, size_t msg_size)
{
    char ckpt[4096], io[4096];
    snprintf(ckpt, sizeof ckpt, "%s/vocoder.weights.safetensors", fixtures);
    snprintf(io, sizeof io, "%s/vocoder.io.safetensors", fixtures);
    ltx2_host_api api = {.struct_size = sizeof api, .abi_major = LTX2_ABI_MAJOR, .abi_minor = LTX2_ABI_MINOR,
                         .host_name = "oom_test", .host_version = "1", .num_threads = 1};
    ltx2_plugin *p = NULL;
    char entry_err[256] = "";
    ltx2_status st = ltx2_plugin_entry(&api, &p, entry_err, sizeof entry_err);
    if (st != LTX2_OK) {
        snprintf(msg, msg_size, "entry: %s", entry_err[0] ? entry_err : "no message");
        return entry_err[0] ? st : LTX2_ERR_INTERNAL;
    }
    ltx2_value ck_out[4] = {0}, lt_out[4] = {0}, vo_out[2] = {0};
    ltx2_value ck_in[] = {str_value(ckpt)}, lt_in[] = {str_value(io), str_value("in.mel")};
    st = run_node(p, "LTX2CheckpointLoader", ck_in, 1, ck_out, msg, msg_size);
    if (st == LTX2_OK)
        st = run_node(p, "LoadTensors", lt_in, 2, lt_out, msg, msg_size);
    if (st == LTX2_OK) {
        ltx2_value vo_in[] = {ck_out[3], lt_out[1], str_value("exact")};
        st = run_node(p, "LTX2Vocoder", vo_in, 3, vo_out, msg, msg_size);
    }
    if (st == LTX2_OK) {
        ltx2_value w = p->object_get(vo_out[0].u.o, "waveform");
        ltx2_tensor_desc d = {.struct_size = sizeof d};
        p->tensor_describe(w.u.t, &d);
        size_t n = 1;
        for (int i = 0; i < d.ndim; i++)
            n *= (size_t)d.shape[i];
        *wave = __real_malloc(n * sizeof(float));
        if (*wave)
            memcpy(*wave, d.data, n * sizeof(float));
        *n_wave = n;
    }
    for (int i = 0; i < 4; i++) {
        p->value_release(&ck_out[i]);
        p->value_release(&lt_out[i]);
    }
    for (int i = 0; i < 2; i++)
        p->value_release(&vo_out[i]);
    p->unload(p);
    return st;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: oom_test FIXTURES_DIR\n");
        return 2;
    }
    char msg[700];
    float *ref = NULL;
    size_t n_ref = 0;
    atomic_store(&alloc_count, 0);
    ltx2_status st = run_graph(argv[1], &ref, &n_ref, msg, sizeof msg);
    long total = atomic_load(&alloc_count);
    if (st != LTX2_OK || !ref) {
        printf("FAIL: the graph does not run without injected failures: %s\n", msg);
        return 1;
    }
    printf("%ld allocations along the graph\n", total);
    /* Every allocation up to a bound that keeps the run short (a bigger graph samples). */
    const long bound = 700, step = total > bound ? total / bound + 1 : 1;
    int fails = 0, errors = 0, same = 0;
    for (long n = 1; n <= total; n += step) {
        atomic_store(&alloc_count, 0);
        atomic_store(&failed, 0);
        atomic_store(&fail_at, n);
        float *wave = NULL;
        size_t n_wave = 0;
        msg[0] = 0;
        st = run_graph(argv[1], &wave, &n_wave, msg, sizeof msg);
        atomic_store(&fail_at, 0);
        if (st != LTX2_OK) {
            errors++;
            if (!msg[0]) {
                printf("FAIL: allocation %ld: status %d with no message\n", n, (int)st);
                fails++;
            }
        } else if (atomic_load(&failed) && (n_wave != n_ref || memcmp(wave, ref, n_ref * sizeof *ref) != 0)) {
            printf("FAIL: allocation %ld (called from %p) failed, yet the graph succeeded with a different "
                   "waveform\n", n, atomic_load(&failed_caller));
            fails++;
        } else {
            same++;
        }
        free(wave);
    }
    free(ref);
    printf("%d clean errors, %d runs with the reference result (a fallback), %d failures\n", errors, same, fails);
    return fails ? 1 : 0;
}
