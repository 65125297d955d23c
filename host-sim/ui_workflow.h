/* ui_workflow.h — a ComfyUI UI workflow (the file the editor saves: nodes,
 * links, widgets_values, subgraph definitions) turned into the API prompt the
 * editor's frontend would queue, by its graphToPrompt rules. */
#ifndef HS_UI_WORKFLOW_H
#define HS_UI_WORKFLOW_H
#include <stddef.h>
#include "folders.h"
#include "graph.h"
#include "ltx2/ltx2_plugin.h"

struct json_object;

typedef struct hs_convert_opts {
    const ltx2_node_type *const *types; /* the plugin's node descriptors */
    size_t n_types;
    const char *const *bypass; /* classes to bypass as if their mode were 4 */
    size_t n_bypass;
    hs_warn_fn warn; /* unknown classes, widgets it cannot name (may be NULL) */
    void *warn_user;
    const hs_folders *folders; /* NULL or all NULL: file names are paths as given */
    hs_diags *folder_errors;   /* names found in no folder (needed with folders) */
} hs_convert_opts;


/* The API prompt {id: {inputs, class_type, _meta}} of the workflow, ids
 * numeric-aware sorted; subgraph nodes are "outer:inner". Returns a new object,
 * or NULL with one line in err. */
struct json_object *hs_ui_to_prompt(struct json_object *ui, const hs_convert_opts *o, char *err,
                                    size_t err_size);

/* Bypasses every node of the given classes in an API prompt (edited in place):
 * each consumer of an output is re-wired to the bypassed node's first linked
 * input of the same type (the same slot first), or loses the input. Types come
 * from the descriptors; unknown classes are left alone. */
void hs_prompt_bypass(struct json_object *prompt, const hs_convert_opts *o);

#endif
