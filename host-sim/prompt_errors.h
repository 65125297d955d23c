/* prompt_errors.h — a refused prompt as ComfyUI's POST /prompt error body:
 * {"error": {type, message, details, extra_info}, "node_errors": {id: {errors,
 * dependent_outputs, class_type}}}. */
#ifndef HS_PROMPT_ERRORS_H
#define HS_PROMPT_ERRORS_H
#include "events.h"
#include "graph.h"

/* The body for these errors (g may be NULL or unbound: links are read raw). New object. */
struct json_object *hs_prompt_error_body(const hs_graph *g, const hs_diag *errs, size_t n);
/* Writes it as an "x_ltx_prompt_error" event. */
void hs_emit_prompt_error(hs_events *ev, const hs_graph *g, const hs_diag *errs, size_t n);

#endif
