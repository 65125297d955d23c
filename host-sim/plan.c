/* plan.c — which nodes run and in what order: the ancestors of the output nodes,
 * topologically sorted with the lowest ready id first (ids are already sorted
 * numerically in the graph), and the consumer counts that let the executor
 * release each output as soon as its last reader ran. */
#include <stdlib.h>
#include <string.h>

#include "graph.h"

void hs_plan_free(const hs_graph *g, hs_plan *p)
{
    if (p->consumers)
        for (size_t i = 0; i < g->n_nodes; i++)
            free(p->consumers[i]);
    free(p->consumers);
    free(p->order);
    memset(p, 0, sizeof *p);
}

int hs_plan_build(const hs_graph *g, hs_plan *p, hs_diag *d)
{
    memset(p, 0, sizeof *p);
    size_t n = g->n_nodes;
    size_t n_out = 0;
    for (size_t i = 0; i < n; i++)
        if (g->nodes[i].type->flags & LTX2_NODE_OUTPUT)
            n_out++;
    if (!n_out)
        return hs_diag_set(d, NULL, NULL, NULL, "prompt_no_outputs",
                           "the prompt has no output node (a node that saves or shows a result), so nothing would run");

    unsigned char *wanted = calloc(n, 1);
    size_t *stack = malloc(n * sizeof *stack);
    size_t *blocked = calloc(n, sizeof *blocked); /* unmet link count per node */
    p->order = malloc(n * sizeof *p->order);
    p->consumers = calloc(n, sizeof *p->consumers);
    if (!wanted || !stack || !blocked || !p->order || !p->consumers)
        goto oom;

    /* ancestors of the outputs */
    size_t sp = 0;
    for (size_t i = 0; i < n; i++)
        if (g->nodes[i].type->flags & LTX2_NODE_OUTPUT) {
            wanted[i] = 1;
            stack[sp++] = i;
        }
    while (sp) {
        const hs_node *nd = &g->nodes[stack[--sp]];
        for (uint32_t k = 0; k < nd->type->n_inputs; k++)
            if (nd->ports[k].kind == HS_IN_LINK && !wanted[nd->ports[k].src]) {
                wanted[nd->ports[k].src] = 1;
                stack[sp++] = nd->ports[k].src;
            }
    }
    for (size_t i = 0; i < n; i++)
        if (wanted[i]) {
            uint32_t no = g->nodes[i].type->n_outputs;
            p->consumers[i] = calloc(no ? no : 1, sizeof **p->consumers);
            if (!p->consumers[i])
                goto oom;
        }
    for (size_t i = 0; i < n; i++) {
        if (!wanted[i])
            continue;
        const hs_node *nd = &g->nodes[i];
        for (uint32_t k = 0; k < nd->type->n_inputs; k++)
            if (nd->ports[k].kind == HS_IN_LINK) {
                p->consumers[nd->ports[k].src][nd->ports[k].slot]++;
                blocked[i]++;
            }
    }
    /* topological dissolve: lowest ready index first (O(n^2), graphs are small) */
    unsigned char *done = wanted; /* reuse: 1 wanted & pending, 2 scheduled */
    for (;;) {
        size_t pick = (size_t)-1;
        for (size_t i = 0; i < n; i++)
            if (done[i] == 1 && blocked[i] == 0) {
                pick = i;
                break;
            }
        if (pick == (size_t)-1)
            break;
        done[pick] = 2;
        p->order[p->n++] = pick;
        for (size_t j = 0; j < n; j++) {
            if (done[j] != 1)
                continue;
            const hs_node *nd = &g->nodes[j];
            for (uint32_t k = 0; k < nd->type->n_inputs; k++)
                if (nd->ports[k].kind == HS_IN_LINK && nd->ports[k].src == pick)
                    blocked[j]--;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (done[i] == 1) {
            /* hs_graph_bind rejects cycles first; this is a safety net */
            hs_diag_set(d, g->nodes[i].id, g->nodes[i].class_type, NULL, "dependency_cycle",
                        "node is part of a dependency cycle");
            free(wanted);
            free(stack);
            free(blocked);
            hs_plan_free(g, p);
            return -1;
        }
    free(wanted);
    free(stack);
    free(blocked);
    return 0;
oom:
    free(wanted);
    free(stack);
    free(blocked);
    hs_plan_free(g, p);
    return hs_diag_set(d, NULL, NULL, NULL, "invalid_prompt", "out of memory");
}
