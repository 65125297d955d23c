/* folders.h — ComfyUI's folder layout (--models, --input, --output): a file
 * input names a file inside the folder of its kind (checkpoints/, loras/, ...),
 * an output node's relative filename_prefix/path lands in the output folder. */
#ifndef HS_FOLDERS_H
#define HS_FOLDERS_H
#include <stddef.h>
#include "graph.h"
#include "ltx2/ltx2_plugin.h"

struct json_object;

typedef struct hs_folders {
    const char *models, *input, *output; /* NULL: not given */
    /* the server's rule: every file name and output prefix must stay inside its
     * folder (no absolute path, no "..", no ${VAR}); 0 = names may be paths */
    int confine;
} hs_folders;

/* The folders a kind is searched in, in order (text_encoders: then clip); 0 when
 * its root was not given. */
size_t hs_folder_dirs(const hs_folders *f, const char *kind, char dirs[2][4096]);

/* The folder kind input `port` of `t` names ("checkpoints", "input", ...): the
 * plugin's input_folders when it publishes them, else host-sim's table of the
 * ComfyUI classes; "input" for other FILE ports; NULL when not a file. */
const char *hs_input_folder_kind(const ltx2_node_type *t, uint32_t port);

/* Rewrites the literal relative file names of an API prompt into paths inside
 * the folders (in place). Each name found in none is one error in errs (the
 * node, the input and the folders searched). Returns errs->n ? -1 : 0. */
int hs_resolve_folders(struct json_object *prompt, const ltx2_node_type *const *types, size_t n_types,
                       const hs_folders *f, hs_diags *errs);

#endif
