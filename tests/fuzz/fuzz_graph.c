/* fuzz_graph — libFuzzer target for host-sim's graph JSON loader and validator.
 *
 * Self-contained: it compiles host-sim's parser (graph.c), binder/validator
 * (graph_bind.c) and planner (plan.c) in directly, and validates against a small
 * built-in set of node descriptors that covers every port kind (INT/FLOAT with
 * ranges, BOOLEAN, STRING, COMBO, "*", object types, optional ports, an output
 * node, a validate hook), named after the util nodes so that the host-sim test
 * graphs make a useful seed corpus. No plugin is loaded and nothing executes.
 * Needs: plugin/include on the include path, json-c linked; -fsanitize=fuzzer.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iplugin/include \
 *         tests/fuzz/fuzz_graph.c $(pkg-config --cflags --libs json-c) -lm -o fuzz_graph
 *   ./fuzz_graph -max_total_time=60 tests/hostsim/graphs tests/hostsim/bad
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../host-sim/graph.c"
#include "../../host-sim/comfy_packages.c"
#include "../../host-sim/graph_bind.c"
#include "../../host-sim/plan.c"

static ltx2_status fz_init(const ltx2_plugin *p, const ltx2_node_type *t, void **out)
{
    (void)p, (void)t;
    *out = NULL;
    return LTX2_OK;
}
static ltx2_status fz_execute(void *i, ltx2_exec_ctx *c, const ltx2_value *in, ltx2_value *out)
{
    (void)i, (void)c, (void)in, (void)out;
    return LTX2_ERR_INTERNAL; /* never called: the fuzzer only validates */
}
static void fz_free(void *i) { (void)i; }

/* Rejects seconds == 13 when the value is a literal, to exercise the hook path. */
static ltx2_status fz_validate(const ltx2_node_type *t, ltx2_exec_ctx *ctx, const ltx2_value *in)
{
    (void)t;
    if (in[0].kind == LTX2_V_FLOAT && in[0].u.f == 13.0) {
        ctx->set_error(ctx, LTX2_ERR_BAD_INPUT, "seconds", "unlucky");
        return LTX2_ERR_BAD_INPUT;
    }
    return LTX2_OK;
}

#define P(n, t, f) {.struct_size = sizeof(ltx2_port), .flags = (f), .name = (n), .type = (t)}
#define V_I(x) {.kind = LTX2_V_INT, .u = {.i = (x)}}
#define V_F(x) {.kind = LTX2_V_FLOAT, .u = {.f = (x)}}
#define V_S(x) {.kind = LTX2_V_STRING, .u = {.s = (x)}}
#define TYPE(name, fl, ins, outs, val)                                                                    \
    {.struct_size = sizeof(ltx2_node_type), .node_version = 1, .flags = (fl), .class_type = (name),       \
     .display_name = (name), .category = "fuzz", .description = "", .inputs = (ins),                       \
     .n_inputs = sizeof(ins) / sizeof((ins)[0]), .outputs = (outs), .n_outputs = sizeof(outs) / sizeof((outs)[0]), \
     .init = fz_init, .execute = fz_execute, .free = fz_free, .validate = (val)}

static const char *const modes[] = {"exact", "fast", NULL};
static const ltx2_port int_in[] = {
    {.struct_size = sizeof(ltx2_port), .name = "value", .type = "INT", .def = V_I(0), .min = V_I(-5), .max = V_I(1000)},
};
static const ltx2_port int_out[] = {P("INT", "INT", 0)};
static const ltx2_port delay_in[] = {
    {.struct_size = sizeof(ltx2_port), .name = "seconds", .type = "FLOAT", .def = V_F(1), .min = V_F(0), .max = V_F(60)},
    P("value", "*", LTX2_PORT_OPTIONAL),
};
static const ltx2_port any_out[] = {P("value", "*", 0)};
static const ltx2_port model_in[] = {
    P("path", "STRING", 0),
    P("fast", "BOOLEAN", LTX2_PORT_OPTIONAL),
    {.struct_size = sizeof(ltx2_port), .name = "precision", .type = "COMBO", .def = V_S("exact"), .options = modes},
};
static const ltx2_port model_out[] = {P("MODEL", "MODEL", 0), P("LATENT", "LATENT,IMAGE", 0)};
static const ltx2_port save_in[] = {P("value", "*", 0), P("model", "MODEL", LTX2_PORT_OPTIONAL), P("path", "STRING", 0)};
static const ltx2_port save_out[] = {P("path", "STRING", 0)};

static const ltx2_node_type fz_int = TYPE("PrimitiveInt", 0, int_in, int_out, NULL);
static const ltx2_node_type fz_delay = TYPE("LTX2Delay", 0, delay_in, any_out, fz_validate);
static const ltx2_node_type fz_model = TYPE("Model", 0, model_in, model_out, NULL);
static const ltx2_node_type fz_save = TYPE("LTX2SaveText", LTX2_NODE_OUTPUT, save_in, save_out, NULL);
static const ltx2_node_type *const fz_types[] = {&fz_int, &fz_delay, &fz_model, &fz_save};

static const hs_var fz_vars[] = {{"OUT", "/tmp/out"}, {"N", "12"}, {"F", "0.5"}, {"B", "true"}};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    hs_graph g;
    hs_diag d = {0};
    char line[1200];
    if (hs_graph_parse((const char *)data, size, &g, &d) != 0) {
        hs_diag_line(&d, line, sizeof line);
        return 0;
    }
    hs_vars vars = {.v = fz_vars, .n = sizeof fz_vars / sizeof fz_vars[0]};
    if (hs_graph_bind(&g, fz_types, sizeof fz_types / sizeof fz_types[0], &vars, NULL, NULL, &d) == 0) {
        hs_plan plan;
        if (hs_plan_build(&g, &plan, &d) == 0) {
            /* the plan must be a topological order of distinct nodes */
            for (size_t i = 0; i < plan.n; i++)
                for (size_t j = i + 1; j < plan.n; j++)
                    if (plan.order[i] == plan.order[j])
                        __builtin_trap();
            hs_plan_free(&g, &plan);
        }
    }
    hs_diag_line(&d, line, sizeof line);
    hs_graph_free(&g);
    return 0;
}
