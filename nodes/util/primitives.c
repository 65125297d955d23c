/* Primitive nodes (ComfyUI's PrimitiveInt/Float/String/StringMultiline/Boolean):
 * one widget value out as an output, so several nodes can share it. */
#include "node.h"
#include "util/util.h"

ltx2_value ltx2_util_value_copy(const ltx2_value *v)
{
    switch (v->kind) {
    case LTX2_V_TENSOR: ltx2_tensor_retain(v->u.t); return *v;
    case LTX2_V_OBJECT: ltx2_object_retain(v->u.o); return *v;
    case LTX2_V_STRING: return ltx2_value_string(v->u.s);
    default: return *v;
    }
}

/* Passes input 0 through; a string copy can fail. */
static ltx2_status pass_through(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    out[0] = ltx2_util_value_copy(&in[0]);
    if (in[0].kind == LTX2_V_STRING && out[0].kind == LTX2_V_NONE)
        return ltx2_fail(ctx, LTX2_ERR_OOM, "value", "out of memory copying the string");
    return LTX2_OK;
}

#define INT_LIMIT 9007199254740991LL /* 2^53 - 1: what a JSON number holds exactly */

static const ltx2_port int_in[] = {
    LTX2_PORT_INT("value", 0, -INT_LIMIT, INT_LIMIT, 1, 0, "The integer to output."),
};
static const ltx2_port int_out[] = {LTX2_PORT("INT", "INT", 0, NULL)};
const ltx2_node_type ltx2_node_primitive_int =
    LTX2_NODE_TYPE("PrimitiveInt", "Int", "utils/primitive", 0, "Outputs an integer.", int_in, int_out,
                   pass_through);

static const ltx2_port float_in[] = {
    LTX2_PORT_FLOAT("value", 0.0, -1e308, 1e308, 0.01, 0, "The number to output."),
};
static const ltx2_port float_out[] = {LTX2_PORT("FLOAT", "FLOAT", 0, NULL)};
const ltx2_node_type ltx2_node_primitive_float =
    LTX2_NODE_TYPE("PrimitiveFloat", "Float", "utils/primitive", 0, "Outputs a floating-point number.",
                   float_in, float_out, pass_through);

static const ltx2_port string_in[] = {LTX2_PORT_STRING("value", "", 0, "The text to output.")};
static const ltx2_port string_ml_in[] = {
    LTX2_PORT_STRING("value", "", LTX2_PORT_MULTILINE, "The text to output."),
};
static const ltx2_port string_out[] = {LTX2_PORT("STRING", "STRING", 0, NULL)};
const ltx2_node_type ltx2_node_primitive_string =
    LTX2_NODE_TYPE("PrimitiveString", "String", "utils/primitive", 0, "Outputs a string.", string_in,
                   string_out, pass_through);
const ltx2_node_type ltx2_node_primitive_string_multiline =
    LTX2_NODE_TYPE("PrimitiveStringMultiline", "String (Multiline)", "utils/primitive", 0,
                   "Outputs a multi-line string.", string_ml_in, string_out, pass_through);

static const ltx2_port bool_in[] = {LTX2_PORT_BOOL("value", 0, 0, "The boolean to output.")};
static const ltx2_port bool_out[] = {LTX2_PORT("BOOLEAN", "BOOLEAN", 0, NULL)};
const ltx2_node_type ltx2_node_primitive_boolean =
    LTX2_NODE_TYPE("PrimitiveBoolean", "Boolean", "utils/primitive", 0, "Outputs a boolean.", bool_in,
                   bool_out, pass_through);
