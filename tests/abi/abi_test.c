/* abi_test — the plugin seen from a host that compiles against the public header
 * only: ABI negotiation, the table it returns, tensor refcounting through the
 * table, and object entry enumeration.
 *
 *   abi_test negotiation | descriptors | tensors | objects FIXTURES_DIR
 *
 * Leaks and double frees are caught by the sanitizer build (LSan at exit). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi_devices.h"
#include "ltx2/ltx2_plugin.h"

#define CHECK(fails, cond, ...)                          \
    do {                                                 \
        if (!(cond)) {                                   \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                \
            fputc('\n', stderr);                         \
            (*(fails))++;                                \
        }                                                \
    } while (0)

static ltx2_host_api host_api(uint16_t major, uint16_t minor)
{
    return (ltx2_host_api){.struct_size = sizeof(ltx2_host_api), .abi_major = major, .abi_minor = minor,
                           .host_name = "abi_test", .host_version = "1", .num_threads = 1};
}

static ltx2_plugin *load(int *fails)
{
    ltx2_host_api api = host_api(LTX2_ABI_MAJOR, LTX2_ABI_MINOR);
    ltx2_plugin *p = NULL;
    char err[256] = "";
    ltx2_status st = ltx2_plugin_entry(&api, &p, err, sizeof err);
    CHECK(fails, st == LTX2_OK && p, "entry refused a matching host: %d %s", (int)st, err);
    return st == LTX2_OK ? p : NULL;
}

/* ---------------------------------------------------------------- negotiation */
/* A host of a later minor: same prefix, extra fields appended. */
typedef struct newer_host_api {
    ltx2_host_api base;
    void *added_in_a_later_minor[4];
} newer_host_api;

static int test_negotiation(void)
{
    int fails = 0;
    char err[256];
    ltx2_plugin *p;

    ltx2_host_api v2 = host_api(LTX2_ABI_MAJOR + 1, 0);
    p = (ltx2_plugin *)0x1;
    err[0] = 0;
    ltx2_status st = ltx2_plugin_entry(&v2, &p, err, sizeof err);
    CHECK(&fails, st == LTX2_ERR_VERSION, "major+1 host: status %d, expected LTX2_ERR_VERSION", (int)st);
    CHECK(&fails, p == NULL, "major+1 host: *out not cleared");
    char want[32];
    snprintf(want, sizeof want, "%u.0", LTX2_ABI_MAJOR + 1);
    CHECK(&fails, strstr(err, want) && strstr(err, "major"), "major+1 host: unclear message '%s'", err);
    printf("major %u refused: %s\n", LTX2_ABI_MAJOR + 1, err);

    ltx2_host_api v0 = host_api(0, 9);
    p = NULL;
    st = ltx2_plugin_entry(&v0, &p, err, sizeof err);
    CHECK(&fails, st == LTX2_ERR_VERSION && !p, "major 0 host accepted (%d)", (int)st);

    /* a tiny error buffer is truncated, not overrun (ASan would see it) */
    char tiny[6];
    st = ltx2_plugin_entry(&v2, &p, tiny, sizeof tiny);
    CHECK(&fails, st == LTX2_ERR_VERSION && strlen(tiny) < sizeof tiny, "tiny error buffer mishandled");

    newer_host_api newer = {.base = host_api(LTX2_ABI_MAJOR, LTX2_ABI_MINOR + 3)};
    newer.base.struct_size = sizeof newer;
    p = NULL;
    st = ltx2_plugin_entry(&newer.base, &p, err, sizeof err);
    CHECK(&fails, st == LTX2_OK && p, "newer minor host refused: %d %s", (int)st, err);
    if (p) {
        CHECK(&fails, p->abi_major == LTX2_ABI_MAJOR, "plugin answers major %u", p->abi_major);
        p->unload(p);
    }

    ltx2_host_api older = host_api(LTX2_ABI_MAJOR, 0);
    p = NULL;
    st = ltx2_plugin_entry(&older, &p, err, sizeof err);
    CHECK(&fails, st == LTX2_OK && p, "minor 0 host refused: %d %s", (int)st, err);
    if (p)
        p->unload(p);

    ltx2_host_api small = host_api(LTX2_ABI_MAJOR, LTX2_ABI_MINOR);
    small.struct_size = 2; /* cannot even hold the version fields */
    p = NULL;
    st = ltx2_plugin_entry(&small, &p, err, sizeof err);
    CHECK(&fails, st != LTX2_OK && !p, "struct_size 2 accepted");

    p = NULL;
    st = ltx2_plugin_entry(NULL, &p, err, sizeof err);
    CHECK(&fails, st != LTX2_OK && !p, "NULL host accepted");

    /* two instances are independent and unload separately */
    ltx2_plugin *a = load(&fails), *b = load(&fails);
    CHECK(&fails, a && b && a != b, "two entries returned the same instance");
    if (a)
        a->unload(a);
    if (b) {
        CHECK(&fails, b->n_node_types > 0 && b->node_types[0]->class_type, "second instance unusable after the first unloaded");
        b->unload(b);
    }
    return fails;
}

/* ---------------------------------------------------------------- the table */
static int test_descriptors(void)
{
    int fails = 0;
    ltx2_plugin *p = load(&fails);
    if (!p)
        return fails;
    CHECK(&fails, p->struct_size >= sizeof(ltx2_plugin), "plugin struct_size %u < %zu", p->struct_size,
          sizeof(ltx2_plugin));
    CHECK(&fails, LTX2_HAS_FIELD(p, ltx2_plugin, value_release), "LTX2_HAS_FIELD(value_release) false");
    CHECK(&fails, p->abi_major == LTX2_ABI_MAJOR, "abi major %u", p->abi_major);
    CHECK(&fails, p->plugin_id && p->plugin_id[0] && p->plugin_version && p->plugin_version[0], "no id/version");
    CHECK(&fails, p->n_node_types > 0 && p->node_types, "no node types");
    CHECK(&fails, p->unload && p->tensor_create && p->tensor_release && p->object_entry && p->value_release,
          "table has NULL functions");
    for (uint32_t i = 0; i < p->n_node_types; i++) {
        const ltx2_node_type *t = p->node_types[i];
        CHECK(&fails, t && t->struct_size >= sizeof(ltx2_node_type), "type %u: struct_size", i);
        if (!t)
            continue;
        CHECK(&fails, t->class_type && t->class_type[0] && t->init && t->execute && t->free, "type %u incomplete", i);
        for (uint32_t j = 0; j < i; j++)
            CHECK(&fails, strcmp(p->node_types[j]->class_type, t->class_type) != 0, "duplicate class %s",
                  t->class_type);
        for (uint32_t k = 0; k < t->n_inputs; k++) {
            const ltx2_port *pt = &t->inputs[k];
            CHECK(&fails, pt->struct_size >= sizeof(ltx2_port) && pt->name && pt->type, "%s input %u malformed",
                  t->class_type, k);
            if (pt->type && !strcmp(pt->type, "COMBO"))
                CHECK(&fails, pt->options && pt->options[0], "%s.%s: COMBO without options", t->class_type, pt->name);
        }
        for (uint32_t k = 0; k < t->n_outputs; k++)
            CHECK(&fails, t->outputs[k].name && t->outputs[k].type, "%s output %u malformed", t->class_type, k);
    }
    printf("%u node types\n", p->n_node_types);
    p->unload(p);
    return fails;
}

/* ---------------------------------------------------------------- tensors */
static int test_tensors(void)
{
    int fails = 0;
    ltx2_plugin *p = load(&fails);
    if (!p)
        return fails;
    float src[24];
    for (int i = 0; i < 24; i++)
        src[i] = (float)i * 0.5f - 3.0f;
    int64_t shape[3] = {2, 3, 4};
    ltx2_tensor *t = NULL;
    ltx2_status st = p->tensor_create(LTX2_F32, 3, shape, src, &t);
    CHECK(&fails, st == LTX2_OK && t, "tensor_create F32 failed: %d", (int)st);
    if (t) {
        ltx2_tensor_desc d = {.struct_size = sizeof d};
        p->tensor_describe(t, &d);
        CHECK(&fails, d.dtype == LTX2_F32 && d.ndim == 3 && d.device == LTX2_DEVICE_CPU, "describe: dtype/ndim/device");
        CHECK(&fails, d.shape[0] == 2 && d.shape[1] == 3 && d.shape[2] == 4, "describe: shape");
        CHECK(&fails, d.strides[0] == 12 && d.strides[1] == 4 && d.strides[2] == 1, "describe: strides not contiguous");
        CHECK(&fails, d.data && memcmp(d.data, src, sizeof src) == 0, "data not copied");
        CHECK(&fails, d.data != (void *)src, "data aliases the caller's buffer");
        /* refcount: 1 + 3 retains, 4 releases; ASan reports a leak or a use after free */
        for (int i = 0; i < 3; i++)
            p->tensor_retain(t);
        for (int i = 0; i < 3; i++) {
            p->tensor_release(t);
            ltx2_tensor_desc d2 = {.struct_size = sizeof d2};
            p->tensor_describe(t, &d2); /* still alive */
            CHECK(&fails, d2.data == d.data, "tensor changed while still referenced");
        }
        p->tensor_release(t);
    }
    /* every dtype, zero-filled when data == NULL */
    for (int dt = 0; dt < LTX2_DTYPE_COUNT; dt++) {
        int64_t s[2] = {3, 5};
        ltx2_tensor *z = NULL;
        st = p->tensor_create(dt, 2, s, NULL, &z);
        CHECK(&fails, st == LTX2_OK && z, "tensor_create dtype %d failed", dt);
        if (!z)
            continue;
        ltx2_tensor_desc d = {.struct_size = sizeof d};
        p->tensor_describe(z, &d);
        CHECK(&fails, d.dtype == dt && d.owner == LTX2_OWNER_HEAP, "dtype %d: describe", dt);
        const unsigned char *b = d.data;
        size_t esize = dt == LTX2_F32 || dt == LTX2_I32 ? 4 : dt == LTX2_I64 ? 8 : dt <= LTX2_BF16 ? 2 : 1;
        int zero = 1;
        for (size_t i = 0; i < 15 * esize; i++)
            zero &= b[i] == 0;
        CHECK(&fails, zero, "dtype %d: not zero-filled", dt);
        /* a value holding the tensor is released through value_release */
        ltx2_value v = {.kind = LTX2_V_TENSOR, .u = {.t = z}};
        p->value_release(&v);
        CHECK(&fails, v.kind == LTX2_V_NONE, "value_release did not reset the value");
    }
    /* bad requests are refused, not crashed on */
    ltx2_tensor *bad = NULL;
    int64_t s9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    CHECK(&fails, p->tensor_create(LTX2_F32, 9, s9, NULL, &bad) != LTX2_OK && !bad, "9 dims accepted");
    CHECK(&fails, p->tensor_create(LTX2_DTYPE_COUNT, 1, s9, NULL, &bad) != LTX2_OK && !bad, "bad dtype accepted");
    int64_t neg[1] = {-4};
    CHECK(&fails, p->tensor_create(LTX2_F32, 1, neg, NULL, &bad) != LTX2_OK && !bad, "negative dim accepted");
    p->unload(p);
    return fails;
}

/* ---------------------------------------------------------------- objects */
typedef struct err_ctx {
    ltx2_exec_ctx ctx;
    char msg[512];
} err_ctx;

static ltx2_status no_progress(ltx2_exec_ctx *c, double v, double m, const char *ph)
{
    (void)c, (void)v, (void)m, (void)ph;
    return LTX2_OK;
}
static void no_log(ltx2_exec_ctx *c, int32_t l, const char *m) { (void)c, (void)l, (void)m; }
static void keep_error(ltx2_exec_ctx *c, ltx2_status code, const char *in, const char *m)
{
    err_ctx *e = (err_ctx *)c;
    snprintf(e->msg, sizeof e->msg, "%d %s: %s", (int)code, in ? in : "-", m ? m : "");
}

/* The smallest .safetensors of the fixtures folder (not an LFS pointer). */
static int smallest_fixture(const char *dir, char *out, size_t size)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    long best = -1;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 12 || strcmp(e->d_name + n - 12, ".safetensors"))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        fseek(f, 0, SEEK_END);
        long sz = ftell(f);
        fclose(f);
        if (sz > 200 && (best < 0 || sz < best)) {
            best = sz;
            snprintf(out, size, "%s", path);
        }
    }
    closedir(d);
    return best < 0 ? -1 : 0;
}

static int test_objects(const char *fixtures)
{
    int fails = 0;
    char path[4096];
    if (!fixtures || smallest_fixture(fixtures, path, sizeof path)) {
        printf("FAIL: no fixtures under %s (CI always has them)\n", fixtures ? fixtures : "(none)");
        return 1;
    }
    ltx2_plugin *p = load(&fails);
    if (!p)
        return fails;
    const ltx2_node_type *lt = NULL;
    for (uint32_t i = 0; i < p->n_node_types; i++)
        if (!strcmp(p->node_types[i]->class_type, "LoadTensors"))
            lt = p->node_types[i];
    if (!lt) {
        printf("FAIL: LoadTensors not registered\n");
        p->unload(p);
        return 1;
    }
    static const int32_t no_cancel = 0;
    err_ctx ec = {.ctx = {.struct_size = sizeof(ltx2_exec_ctx), .node_id = "1", .class_type = "LoadTensors",
                          .cancel_flag = &no_cancel, .progress = no_progress, .log = no_log,
                          .set_error = keep_error}};
    void *inst = NULL;
    CHECK(&fails, lt->init(p, lt, &inst) == LTX2_OK, "LoadTensors init failed");
    ltx2_value in[8] = {0}, out[8] = {0};
    in[0] = (ltx2_value){.kind = LTX2_V_STRING, .u = {.s = path}};
    ltx2_status st = lt->execute(inst, &ec.ctx, in, out);
    CHECK(&fails, st == LTX2_OK && out[0].kind == LTX2_V_OBJECT, "LoadTensors %s: %d %s", path, (int)st, ec.msg);
    if (st == LTX2_OK && out[0].kind == LTX2_V_OBJECT) {
        ltx2_object *o = out[0].u.o;
        CHECK(&fails, !strcmp(p->object_type(o), "TENSORS"), "object type %s", p->object_type(o));
        uint32_t n = p->object_count(o);
        CHECK(&fails, n > 0, "no entries in %s", path);
        for (uint32_t i = 0; i < n; i++) {
            const char *key = NULL;
            ltx2_value v = {0};
            CHECK(&fails, p->object_entry(o, i, &key, &v) == LTX2_OK && key && key[0], "entry %u", i);
            if (!key)
                continue;
            CHECK(&fails, v.kind == LTX2_V_TENSOR, "entry %s is not a tensor", key);
            ltx2_value g = p->object_get(o, key);
            CHECK(&fails, g.kind == v.kind && g.u.t == v.u.t, "object_get(%s) differs from entry %u", key, i);
            for (uint32_t j = 0; j < i; j++) {
                const char *k2 = NULL;
                ltx2_value v2;
                if (p->object_entry(o, j, &k2, &v2) == LTX2_OK && k2)
                    CHECK(&fails, strcmp(k2, key) != 0, "key %s twice", key);
            }
        }
        const char *key = NULL;
        ltx2_value v = {0};
        CHECK(&fails, p->object_entry(o, n, &key, &v) != LTX2_OK, "entry past the end accepted");
        CHECK(&fails, p->object_get(o, "no such key, surely").kind == LTX2_V_NONE, "absent key has a value");
        const char *meta = p->object_metadata(o);
        CHECK(&fails, meta && meta[0] == '{', "metadata is not a JSON object: %s", meta ? meta : "NULL");
        /* a host keeping a borrowed entry retains it; it outlives the object */
        ltx2_value first = {0};
        p->object_entry(o, 0, &key, &first);
        if (first.kind == LTX2_V_TENSOR) {
            p->tensor_retain(first.u.t);
            p->object_retain(o);
            p->object_release(o);
        }
        for (int i = 0; i < 8; i++)
            p->value_release(&out[i]);
        if (first.kind == LTX2_V_TENSOR) {
            ltx2_tensor_desc d = {.struct_size = sizeof d};
            p->tensor_describe(first.u.t, &d);
            CHECK(&fails, d.ndim >= 0 && d.ndim <= LTX2_MAX_DIMS, "retained entry unusable after the object went");
            p->tensor_release(first.u.t);
        }
        printf("%s: %u entries enumerated\n", path, n);
    }
    lt->free(inst);
    p->unload(p);
    return fails;
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    int fails;
    if (!strcmp(which, "negotiation"))
        fails = test_negotiation();
    else if (!strcmp(which, "descriptors"))
        fails = test_descriptors();
    else if (!strcmp(which, "tensors"))
        fails = test_tensors();
    else if (!strcmp(which, "layout"))
        fails = abi_test_layout();
    else if (!strcmp(which, "devices"))
        fails = abi_test_devices_cpu();
    else if (!strcmp(which, "devices_gpu"))
        return abi_test_devices_gpu();
    else if (!strcmp(which, "objects"))
        fails = test_objects(argc > 2 ? argv[2] : NULL);
    else {
        fprintf(stderr, "usage: abi_test negotiation|descriptors|tensors|layout|devices|devices_gpu|objects [FIXTURES]\n");
        return 2;
    }
    if (fails)
        fprintf(stderr, "%d failure(s)\n", fails);
    return fails ? 1 : 0;
}
