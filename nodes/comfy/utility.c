/* utility.c — small nodes of other packs that the official workflows use:
 * ComfyMath's CM_FloatToInt and Impact Pack's ImpactExecutionOrderController. */
#include <math.h>

#include "comfy/comfy_call.h"
#include "comfy/comfy_types.h"

static const ltx2_port fi_inputs[] = {LTX2_PORT_FLOAT("a", 0.0, -1e308, 1e308, 0.01, 0, NULL)};
static const ltx2_port fi_outputs[] = {LTX2_PORT("INT", "INT", 0, NULL)};
static ltx2_status fi_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    const double a = ltx2_in_float(in, 0);
    if (!(fabs(a) < 9.2e18))
        return ltx2_fail(ctx, LTX2_ERR_BAD_INPUT, "a", "%g does not fit an INT", a);
    out[0] = (ltx2_value){.kind = LTX2_V_INT, .u = {.i = (int64_t)a}}; /* Python int(): toward zero */
    return LTX2_OK;
}
const ltx2_node_type comfy_float_to_int = LTX2_NODE_TYPE("CM_FloatToInt", "FloatToInt", "math/conversion", 0,
                                                         "A FLOAT truncated toward zero.", fi_inputs, fi_outputs,
                                                         fi_execute);

/* Passes both values through: the link from signal only orders execution. */
static const ltx2_port eo_inputs[] = {
    LTX2_PORT("signal", "*", 0, NULL),
    LTX2_PORT("value", "*", 0, NULL),
};
static const ltx2_port eo_outputs[] = {
    LTX2_PORT("signal", "*", 0, NULL),
    LTX2_PORT("value", "*", 0, NULL),
};
static ltx2_status eo_execute(void *inst, ltx2_exec_ctx *ctx, const ltx2_value *in, ltx2_value *out)
{
    (void)inst;
    (void)ctx;
    for (int i = 0; i < 2; i++) {
        out[i] = in[i];
        if (in[i].kind == LTX2_V_TENSOR)
            ltx2_tensor_retain(in[i].u.t);
        else if (in[i].kind == LTX2_V_OBJECT)
            ltx2_object_retain(in[i].u.o);
        else if (in[i].kind == LTX2_V_STRING)
            out[i] = ltx2_value_string(in[i].u.s);
    }
    return LTX2_OK;
}
const ltx2_node_type comfy_execution_order =
    LTX2_NODE_TYPE("ImpactExecutionOrderController", "Execution Order Controller", "ImpactPack/Util", 0,
                   "Runs after `signal` is ready; passes signal and value through.", eo_inputs, eo_outputs,
                   eo_execute);
