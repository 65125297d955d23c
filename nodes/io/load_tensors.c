/* LoadTensors: every tensor of a safetensors file (or sharded checkpoint) as one
 * TENSORS object, mapped in place in its stored dtype, with the file's metadata;
 * optionally one tensor picked by name as a second output. */
#include "io_internal.h"
#include "node.h"
#include "store/store.h"

enum { IN_PATH, IN_NAME };

static ltx2_status load_tensors(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    const char *path = ltx2_in_string(in, IN_PATH), *name = ltx2_in_string(in, IN_NAME);
    if (!path[0])
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "path", "no file given");
    ltx2_checkpoint *c = NULL;
    ltx2_error err = {0};
    if (ltx2_checkpoint_open(ltx2_node_runtime(inst)->store, path, &c, &err) != LTX2_OK)
        return ltx2_fail_err(ctx, "path", &err);
    ltx2_object *o = ltx2_object_new("TENSORS");
    ltx2_status st = o ? ltx2_object_set_metadata(o, ltx2_checkpoint_meta_json(c)) : LTX2_ERR_OOM;
    size_t n = ltx2_checkpoint_count(c);
    for (size_t i = 0; i < n && st == LTX2_OK; i++) {
        const char *key = ltx2_checkpoint_at(c, i)->name;
        ltx2_tensor *t = ltx2_checkpoint_tensor(c, key);
        st = t ? ltx2_object_set_tensor(o, key, t) : LTX2_ERR_OOM;
        ltx2_tensor_release(t);
    }
    ltx2_tensor *picked = NULL;
    if (st == LTX2_OK && name[0] && !(picked = ltx2_checkpoint_tensor(c, name)))
        st = ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "name", "%s has no tensor '%s'", path, name);
    else if (st != LTX2_OK)
        st = ltx2_fail(ctx, st, "path", "out of memory loading %s", path);
    ltx2_checkpoint_release(c); /* the tensors keep the mapping alive */
    if (st != LTX2_OK) {
        ltx2_object_release(o);
        return st;
    }
    out[0] = ltx2_value_object(o);
    if (picked)
        out[1] = ltx2_value_tensor(picked);
    return LTX2_OK;
}

static const ltx2_port inputs[] = {
    LTX2_PORT_STRING("path", "", LTX2_PORT_FILE,
                     "A .safetensors file, a *.safetensors.index.json or a folder holding one."),
    LTX2_PORT_STRING("name", "", LTX2_PORT_OPTIONAL,
                     "Optional: one tensor of the file to output on its own."),
};
static const ltx2_port outputs[] = {
    LTX2_PORT("tensors", "TENSORS", 0, "All named tensors of the file (mapped, in their dtype) + metadata."),
    LTX2_PORT("tensor", "TENSOR", 0, "The tensor selected by `name` (unset when no name is given)."),
};
const ltx2_node_type ltx2_node_load_tensors =
    LTX2_NODE_TYPE("LoadTensors", "Load Tensors", "ltx2/io", 0,
                   "Loads a safetensors file: every tensor stays memory-mapped in its stored dtype.",
                   inputs, outputs, load_tensors);
