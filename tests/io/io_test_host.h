/* io_test_host.h — a minimal host for driving nodes through the public entry point:
 * loads the plugin, finds node types by class name, runs one execute with a
 * context that records the error and can cancel after a number of progress calls. */
#ifndef IO_TEST_HOST_H
#define IO_TEST_HOST_H
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ltx2/ltx2_plugin.h"

typedef struct test_ctx {
    ltx2_exec_ctx ctx;
    volatile int32_t cancel;
    int progress_calls;
    int cancel_after; /* cancel on this progress call (0 = never) */
    ltx2_status err_code;
    char err_input[64];
    char err_msg[512];
} test_ctx;

static int g_failures;
#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            g_failures++;                                                                  \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);       \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
        }                                                                                  \
    } while (0)

static ltx2_status th_progress(ltx2_exec_ctx *c, double v, double max, const char *phase)
{
    test_ctx *t = (test_ctx *)c;
    (void)v, (void)max, (void)phase;
    if (t->cancel_after && ++t->progress_calls >= t->cancel_after)
        t->cancel = 1;
    return t->cancel ? LTX2_CANCELLED : LTX2_OK;
}

static void th_log(ltx2_exec_ctx *c, int32_t level, const char *m) { (void)c, (void)level, (void)m; }

static void th_set_error(ltx2_exec_ctx *c, ltx2_status code, const char *input, const char *msg)
{
    test_ctx *t = (test_ctx *)c;
    t->err_code = code;
    snprintf(t->err_input, sizeof t->err_input, "%s", input ? input : "");
    snprintf(t->err_msg, sizeof t->err_msg, "%s", msg ? msg : "");
}

static void th_ctx_init(test_ctx *t, const char *class_type)
{
    memset(t, 0, sizeof *t);
    t->ctx.struct_size = sizeof t->ctx;
    t->ctx.node_id = "1";
    t->ctx.class_type = class_type;
    t->ctx.cancel_flag = &t->cancel;
    t->ctx.progress = th_progress;
    t->ctx.log = th_log;
    t->ctx.set_error = th_set_error;
}

static ltx2_plugin *th_load(void)
{
    ltx2_host_api host = {0};
    host.struct_size = sizeof host;
    host.abi_major = LTX2_ABI_MAJOR;
    host.abi_minor = LTX2_ABI_MINOR;
    host.host_name = "io-test";
    host.host_version = "0";
    host.num_threads = 1;
    ltx2_plugin *p = NULL;
    char err[256] = "";
    if (ltx2_plugin_entry(&host, &p, err, sizeof err) != LTX2_OK) {
        fprintf(stderr, "plugin entry failed: %s\n", err);
        return NULL;
    }
    return p;
}

static const ltx2_node_type *th_type(const ltx2_plugin *p, const char *class_type)
{
    for (uint32_t i = 0; i < p->n_node_types; i++)
        if (!strcmp(p->node_types[i]->class_type, class_type))
            return p->node_types[i];
    fprintf(stderr, "node type %s not registered\n", class_type);
    return NULL;
}

/* Index of a named input of a type (-1 when absent). */
static int th_input(const ltx2_node_type *t, const char *name)
{
    for (uint32_t i = 0; i < t->n_inputs; i++)
        if (!strcmp(t->inputs[i].name, name))
            return (int)i;
    return -1;
}

/* Runs one node: inputs given as (name, value) pairs; the rest NONE. */
static ltx2_status th_run(const ltx2_plugin *p, const ltx2_node_type *t, test_ctx *tc,
                          const char *const *names, const ltx2_value *values, int n,
                          ltx2_value *outputs)
{
    ltx2_value in[32] = {0};
    for (int i = 0; i < n; i++) {
        int k = th_input(t, names[i]);
        if (k < 0) {
            fprintf(stderr, "%s has no input %s\n", t->class_type, names[i]);
            return LTX2_ERR_INTERNAL;
        }
        in[k] = values[i];
    }
    void *inst = NULL;
    ltx2_status st = t->init(p, t, &inst);
    if (st != LTX2_OK)
        return st;
    st = t->execute(inst, &tc->ctx, in, outputs);
    t->free(inst);
    return st;
}

static ltx2_value th_str(const char *s)
{
    ltx2_value v = {.kind = LTX2_V_STRING};
    v.u.s = s;
    return v;
}

/* Number of entries of dir whose name contains `needle` (NULL: any but . and ..). */
static int th_count_files(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && (!needle || strstr(e->d_name, needle)))
            n++;
    if (d)
        closedir(d);
    return n;
}

/* rm -r of a test folder (flat or one level deep is all the tests make). */
static void th_rmtree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (e->d_type == DT_DIR)
            th_rmtree(p);
        else
            remove(p);
    }
    if (d)
        closedir(d);
    remove(dir);
}

#endif
