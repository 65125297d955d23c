/* device_boundary_test.c — the execute boundary every node type of the plugin table
 * goes through (plugin/src/node_exec.c).
 *   host: host values pass through ltx2_value_to_host / ltx2_object_to_host and the
 *         boundary untouched (same pointers, no copy); a CPU kctx carries no arena.
 *   gpu:  device tensors and objects holding them reach CPU nodes (LTX2Delay,
 *         SaveTensors) as host copies with the same bytes, the inputs stay on the
 *         device; a CUDA node sees its device inputs as they are and borrows the same
 *         device arena on every execute; a device OOM names node, input and bytes.
 *         Exits 77 where no CUDA device is usable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/kcuda.h"
#include "node.h"

static int fails;
#define CHECK(cond, ...)                                         \
    do {                                                         \
        if (!(cond)) {                                           \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                        \
            fputc('\n', stderr);                                 \
            fails++;                                             \
        }                                                        \
    } while (0)

/* ---------------------------------------------------------------- a host */
typedef struct host_ctx {
    ltx2_exec_ctx ctx; /* first */
    int32_t cancel;
    ltx2_status code;
    char input[64], msg[1024];
} host_ctx;

static void host_set_error(ltx2_exec_ctx *ctx, ltx2_status code, const char *input, const char *message)
{
    host_ctx *h = (host_ctx *)ctx; /* the host must get its own ctx back */
    h->code = code;
    snprintf(h->input, sizeof h->input, "%s", input ? input : "");
    snprintf(h->msg, sizeof h->msg, "%s", message ? message : "");
}

static void host_init(host_ctx *h, int32_t device)
{
    memset(h, 0, sizeof *h);
    h->ctx = (ltx2_exec_ctx){.struct_size = sizeof h->ctx, .node_id = "7", .class_type = "?",
                             .cancel_flag = &h->cancel, .set_error = host_set_error,
                             .outputs_wanted = ~0ull, .device = device};
}

static ltx2_plugin *load(uint64_t vram_budget)
{
    ltx2_host_api api = {.struct_size = sizeof api, .abi_major = LTX2_ABI_MAJOR, .abi_minor = LTX2_ABI_MINOR,
                         .host_name = "device_boundary_test", .host_version = "1", .num_threads = 1,
                         .vram_budget = vram_budget};
    ltx2_plugin *p = NULL;
    char err[256];
    if (ltx2_plugin_entry(&api, &p, err, sizeof err) != LTX2_OK) {
        fprintf(stderr, "plugin: %s\n", err);
        return NULL;
    }
    return p;
}

static const ltx2_node_type *find_type(const ltx2_plugin *p, const char *cls)
{
    for (uint32_t i = 0; i < p->n_node_types; i++)
        if (!strcmp(p->node_types[i]->class_type, cls))
            return p->node_types[i];
    return NULL;
}

/* Runs one node of the plugin table as a host does; outputs land in out. */
static ltx2_status run_node(const ltx2_plugin *p, const ltx2_node_type *t, host_ctx *h, const ltx2_value *in,
                            ltx2_value *out)
{
    void *inst = NULL;
    if (t->init(p, t, &inst) != LTX2_OK)
        return LTX2_ERR_INTERNAL;
    for (uint32_t i = 0; i < t->n_outputs; i++)
        out[i].kind = LTX2_V_NONE;
    h->ctx.class_type = t->class_type;
    ltx2_status st = t->execute(inst, &h->ctx, in, out);
    t->free(inst);
    return st;
}

static ltx2_tensor *host_f32(int64_t n, float base)
{
    ltx2_tensor *t = ltx2_tensor_new_f32(1, {n});
    for (int64_t i = 0; t && i < n; i++)
        ltx2_tensor_f32(t)[i] = base + 0.25f * (float)i;
    return t;
}

static bool same_bytes(const ltx2_tensor *a, const ltx2_tensor *b)
{
    return ltx2_tensor_same_shape(a, b) && a->dtype == b->dtype &&
           memcmp(a->data, b->data, ltx2_tensor_nbytes(a)) == 0;
}

/* ---------------------------------------------------------------- host */
static int test_host(const char *dir)
{
    (void)dir;
    ltx2_tensor *a = host_f32(6, 1), *b = host_f32(4, -3);
    ltx2_object *inner = ltx2_object_new("CONDITIONING"), *o = ltx2_object_new("LATENT");
    CHECK(a && b && inner && o, "setup");
    if (!a || !b || !inner || !o)
        return 1;
    CHECK(ltx2_object_set_tensor(inner, "video", b) == LTX2_OK, "set");
    CHECK(ltx2_object_set_tensor(o, "samples", a) == LTX2_OK && ltx2_object_set_object(o, "cond", inner) == LTX2_OK &&
              ltx2_object_set_int(o, "frames", 9) == LTX2_OK,
          "set");

    /* conversions: host values are returned as they are, retained */
    ltx2_error err = {0};
    CHECK(ltx2_object_on_host(o), "host object reported off the host");
    ltx2_object *oh = NULL;
    CHECK(ltx2_object_to_host(o, &oh, &err) == LTX2_OK && oh == o, "host object copied (%p vs %p)", (void *)oh,
          (void *)o);
    ltx2_object_release(oh);
    ltx2_value tv = ltx2_value_tensor(a), th;
    CHECK(ltx2_value_on_host(&tv), "host tensor reported off the host");
    CHECK(ltx2_value_to_host(&tv, &th, &err) == LTX2_OK && th.u.t == a, "host tensor copied");
    ltx2_value_release(&th);
    ltx2_value iv = {.kind = LTX2_V_INT, .u = {.i = 3}}, ih;
    CHECK(ltx2_value_on_host(&iv), "a scalar is on the host");
    CHECK(ltx2_value_to_host(&iv, &ih, &err) == LTX2_ERR_BAD_INPUT && ih.kind == LTX2_V_NONE, "scalar converted");

    /* the boundary: a CPU node gets the very objects and tensors the host passed */
    ltx2_plugin *p = load(0);
    CHECK(p != NULL, "plugin");
    const ltx2_node_type *delay = p ? find_type(p, "LTX2Delay") : NULL;
    CHECK(delay != NULL, "LTX2Delay not registered");
    if (delay) {
        host_ctx h;
        host_init(&h, LTX2_DEVICE_CPU);
        ltx2_value in[2] = {{.kind = LTX2_V_FLOAT, .u = {.f = 0}}, ltx2_value_object(o)}, out[1];
        CHECK(run_node(p, delay, &h, in, out) == LTX2_OK, "delay: %s", h.msg);
        CHECK(out[0].kind == LTX2_V_OBJECT && out[0].u.o == o, "host object copied through the boundary");
        ltx2_value_release(&out[0]);
        in[1] = ltx2_value_tensor(a);
        CHECK(run_node(p, delay, &h, in, out) == LTX2_OK, "delay: %s", h.msg);
        CHECK(out[0].kind == LTX2_V_TENSOR && out[0].u.t == a, "host tensor copied through the boundary");
        ltx2_value_release(&out[0]);

        /* a CPU kctx (CUDA asked, the node not flagged) borrows no device arena */
        void *inst = NULL;
        CHECK(delay->init(p, delay, &inst) == LTX2_OK, "init");
        host_init(&h, LTX2_DEVICE_CUDA);
        kctx k;
        CHECK(ltx2_node_kctx_get(inst, &h.ctx, 0, &k) == LTX2_OK && k.backend == KB_CPU && !k.arena,
              "CPU node got a device kctx or an arena");
        CHECK(!((ltx2_node *)inst)->exec_arena, "CPU node borrowed an arena");
        delay->free(inst);
    }
    if (p)
        p->unload(p);
    ltx2_object_release(o);
    ltx2_object_release(inner);
    ltx2_tensor_release(a);
    ltx2_tensor_release(b);
    return fails ? 1 : 0;
}

/* ---------------------------------------------------------------- gpu */
/* A CUDA node for the test: checks that its input stayed on the device, takes scratch
 * from the borrowed arena, and allocates the bytes asked by input 1 (the OOM case). */
typedef struct probe_seen {
    karena *arena;
    size_t held;
    const ltx2_tensor *input;
} probe_seen; /* hung on the probe instance's state by the test */

static ltx2_status probe_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)out;
    probe_seen *seen = ((ltx2_node *)inst)->state;
    kctx k;
    ltx2_status st = ltx2_node_kctx_get(inst, ctx, 0, &k);
    if (st != LTX2_OK)
        return st;
    seen->input = in[0].kind == LTX2_V_TENSOR ? in[0].u.t : NULL;
    seen->arena = k.arena;
    void *scratch = NULL;
    if (!k.arena || k_arena_alloc(k.arena, (size_t)3 << 20, &scratch) != KS_OK)
        return ltx2_fail(ctx, LTX2_ERR_FAILED, NULL, "no device arena");
    seen->held = k_arena_held(k.arena);
    int64_t want = in[1].kind == LTX2_V_INT ? in[1].u.i : 0;
    if (want > 0) {
        ltx2_tensor *big = ltx2_tensor_new_on(&k, LTX2_F32, 1, (int64_t[]){want / 4});
        if (!big)
            return ltx2_fail(ctx, LTX2_ERR_OOM, "frames", "frame buffer of %lld bytes", (long long)want);
        ltx2_tensor_release(big);
    }
    return LTX2_OK;
}

static const ltx2_port probe_in[] = {
    LTX2_PORT("frames", "TENSOR", 0, "a device tensor"),
    LTX2_PORT_INT("bytes", 0, 0, 1ll << 40, 1, LTX2_PORT_OPTIONAL, "bytes to allocate"),
};
static const ltx2_port probe_out[] = {LTX2_PORT("none", "INT", 0, NULL)};
static const ltx2_node_type probe_type = LTX2_NODE_TYPE("TestCudaProbe", "probe", "test", LTX2_NODE_CUDA, "probe",
                                                        probe_in, probe_out, probe_execute);

static ltx2_tensor *to_device(ltx2_plugin *p, ltx2_tensor *t)
{
    kcuda *d = NULL;
    ltx2_error err = {0};
    ltx2_tensor *dev = NULL;
    if (ltx2_runtime_cuda(ltx2_runtime_of(p), 0, &d, &err) != LTX2_OK ||
        ltx2_tensor_copy_to(t, LTX2_DEVICE_CUDA, 0, d, &dev, &err) != LTX2_OK)
        fprintf(stderr, "to_device: %s\n", err.msg);
    return dev;
}

static void gpu_delay(ltx2_plugin *p, ltx2_tensor *a, ltx2_tensor *b, ltx2_tensor *da, ltx2_tensor *db)
{
    const ltx2_node_type *delay = find_type(p, "LTX2Delay");
    CHECK(delay != NULL, "LTX2Delay not registered");
    if (!delay)
        return;
    ltx2_object *inner = ltx2_object_new("CONDITIONING"), *o = ltx2_object_new("LATENT");
    CHECK(inner && o && ltx2_object_set_tensor(inner, "video", db) == LTX2_OK &&
              ltx2_object_set_tensor(o, "samples", da) == LTX2_OK && ltx2_object_set_tensor(o, "mask", b) == LTX2_OK &&
              ltx2_object_set_object(o, "cond", inner) == LTX2_OK && ltx2_object_set_int(o, "frames", 9) == LTX2_OK,
          "setup");
    host_ctx h;
    host_init(&h, LTX2_DEVICE_CUDA); /* CUDA asked: LTX2Delay is not a CUDA node, so it runs on the CPU */
    ltx2_value in[2] = {{.kind = LTX2_V_FLOAT, .u = {.f = 0}}, ltx2_value_tensor(da)}, out[1];
    CHECK(run_node(p, delay, &h, in, out) == LTX2_OK, "delay tensor: %s", h.msg);
    CHECK(out[0].kind == LTX2_V_TENSOR && ltx2_tensor_on_host(out[0].u.t) && same_bytes(out[0].u.t, a),
          "device tensor did not reach the CPU node as its host copy");
    ltx2_value_release(&out[0]);

    in[1] = ltx2_value_object(o);
    CHECK(run_node(p, delay, &h, in, out) == LTX2_OK, "delay object: %s", h.msg);
    ltx2_object *c = out[0].kind == LTX2_V_OBJECT ? out[0].u.o : NULL;
    CHECK(c && c != o && ltx2_object_on_host(c) && ltx2_object_is(c, "LATENT"), "object not converted");
    if (c) {
        ltx2_tensor *cs = ltx2_object_tensor(c, "samples");
        ltx2_object *ci = ltx2_object_object(c, "cond");
        CHECK(cs && same_bytes(cs, a), "samples bytes");
        CHECK(ltx2_object_tensor(c, "mask") == b, "host tensor of the object copied");
        CHECK(ltx2_object_int(c, "frames", 0) == 9, "scalar lost");
        CHECK(ci && ci != inner && same_bytes(ltx2_object_tensor(ci, "video"), b), "nested object bytes");
    }
    CHECK(ltx2_object_tensor(o, "samples") == da && !ltx2_object_on_host(o), "the input object changed");
    ltx2_value_release(&out[0]);
    ltx2_object_release(o);
    ltx2_object_release(inner);
}

static void gpu_save(ltx2_plugin *p, const char *dir, ltx2_tensor *a, ltx2_tensor *b, ltx2_tensor *da,
                     ltx2_tensor *db)
{
    const ltx2_node_type *save = find_type(p, "SaveTensors"), *load_t = find_type(p, "LoadTensors");
    CHECK(save && load_t, "SaveTensors / LoadTensors not registered");
    if (!save || !load_t)
        return;
    ltx2_object *tensors = ltx2_object_new("TENSORS");
    CHECK(tensors && ltx2_object_set_tensor(tensors, "from_object", db) == LTX2_OK, "setup");
    char path[1024];
    snprintf(path, sizeof path, "%s/device_boundary.safetensors", dir);
    ltx2_value in[18] = {{0}}, out[2];
    in[0] = (ltx2_value){.kind = LTX2_V_STRING, .u = {.s = path}};
    in[1] = ltx2_value_object(tensors);
    in[2] = (ltx2_value){.kind = LTX2_V_STRING, .u = {.s = "from_tensor"}};
    in[3] = ltx2_value_tensor(da);
    host_ctx h;
    host_init(&h, LTX2_DEVICE_CUDA);
    CHECK(run_node(p, save, &h, in, out) == LTX2_OK, "SaveTensors: %s", h.msg);
    ltx2_object_release(tensors);

    ltx2_value lin[2] = {{.kind = LTX2_V_STRING, .u = {.s = path}}, {.kind = LTX2_V_STRING, .u = {.s = ""}}};
    host_init(&h, LTX2_DEVICE_CPU);
    CHECK(run_node(p, load_t, &h, lin, out) == LTX2_OK, "LoadTensors: %s", h.msg);
    ltx2_object *back = out[0].kind == LTX2_V_OBJECT ? out[0].u.o : NULL;
    ltx2_tensor *t1 = back ? ltx2_object_tensor(back, "from_tensor") : NULL;
    ltx2_tensor *t2 = back ? ltx2_object_tensor(back, "from_object") : NULL;
    CHECK(t1 && same_bytes(t1, a), "device tensor saved with other bytes");
    CHECK(t2 && same_bytes(t2, b), "device tensor of an object saved with other bytes");
    ltx2_value_release(&out[0]);
    ltx2_value_release(&out[1]);
    remove(path);
}

/* A CUDA node: device inputs as they are; the same arena on every execute, reset in
 * between (held bytes do not grow); an OOM worded by the boundary. */
static void gpu_cuda_node(ltx2_plugin *p, ltx2_tensor *da)
{
    void *inst = NULL;
    CHECK(ltx2_node_init_default(p, &probe_type, &inst) == LTX2_OK, "init");
    if (!inst)
        return;
    probe_seen seen = {0};
    ((ltx2_node *)inst)->state = &seen; /* no free_state: the test owns it */
    host_ctx h;
    host_init(&h, LTX2_DEVICE_CUDA);
    h.ctx.class_type = probe_type.class_type;
    ltx2_value in[2] = {ltx2_value_tensor(da), {.kind = LTX2_V_INT, .u = {.i = 0}}}, out[1];
    /* what the plugin table's execute runs for this type (registry.c) */
    CHECK(ltx2_node_execute_boundary(&probe_type, inst, &h.ctx, in, out) == LTX2_OK, "probe: %s", h.msg);
    CHECK(seen.input == da, "a CUDA node's device input was copied");
    CHECK(seen.arena != NULL && !((ltx2_node *)inst)->exec_arena, "arena not borrowed / not given back");
    const karena *first = seen.arena;
    const size_t held = seen.held;
    CHECK(ltx2_node_execute_boundary(&probe_type, inst, &h.ctx, in, out) == LTX2_OK, "probe again: %s", h.msg);
    CHECK(seen.arena == first && seen.held == held, "repeated execute re-allocated its arena (%zu -> %zu bytes)",
          held, seen.held);

    in[1].u.i = (int64_t)1 << 30; /* 1 GiB past a 256 MiB budget */
    ltx2_status st = ltx2_node_execute_boundary(&probe_type, inst, &h.ctx, in, out);
    CHECK(st == LTX2_ERR_OOM && h.code == LTX2_ERR_OOM, "OOM status %d / %d", (int)st, (int)h.code);
    CHECK(!strcmp(h.input, "frames"), "OOM input '%s'", h.input);
    CHECK(strstr(h.msg, "out of device memory on cuda:0") && strstr(h.msg, "TestCudaProbe") &&
              strstr(h.msg, "input 'frames'") && strstr(h.msg, "budget") && strstr(h.msg, "1073741824"),
          "OOM message: %s", h.msg);
    printf("OOM message: %s\n", h.msg);
    CHECK(!((ltx2_node *)inst)->exec_arena, "arena kept after a failed execute");
    ltx2_node_free_default(inst);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s host|gpu DIR\n", argv[0]);
        return 2;
    }
    if (!strcmp(argv[1], "host"))
        return test_host(argv[2]);
    if (strcmp(argv[1], "gpu"))
        return 2;
    char why[256] = "";
    if (kcuda_available(why, sizeof why) == 0) {
        printf("SKIP: no usable CUDA device: %s\n", why);
        return 77;
    }
    ltx2_plugin *p = load((uint64_t)256 << 20); /* 256 MiB: the OOM case asks for more */
    if (!p)
        return 1;
    ltx2_tensor *a = host_f32(1000, 1), *b = host_f32(77, -5);
    ltx2_tensor *da = to_device(p, a), *db = to_device(p, b);
    CHECK(da && db && !ltx2_tensor_on_host(da), "device tensors");
    if (da && db) {
        gpu_delay(p, a, b, da, db);
        gpu_save(p, argv[2], a, b, da, db);
        gpu_cuda_node(p, da);
    }
    ltx2_tensor_release(da);
    ltx2_tensor_release(db);
    ltx2_tensor_release(a);
    ltx2_tensor_release(b);
    p->unload(p);
    printf("%s\n", fails ? "FAILED" : "ok");
    return fails ? 1 : 0;
}
