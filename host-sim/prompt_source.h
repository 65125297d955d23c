/* prompt_source.h — what `host-sim run` and `convert` read: an API prompt as
 * it is, or a UI workflow converted; `--bypass` classes applied to either. */
#ifndef HS_PROMPT_SOURCE_H
#define HS_PROMPT_SOURCE_H
#include <stddef.h>
#include "ui_workflow.h"

/* Returns malloc'd API prompt JSON text, or NULL with one line in err. Text
 * that is not valid JSON comes back unchanged, so the graph parser reports
 * where it breaks. *was_ui says whether a UI workflow was converted. With
 * o->folders, file names are resolved in them (misses in o->folder_errors). */
char *hs_prompt_text(const char *text, size_t len, const hs_convert_opts *o, int pretty, int *was_ui, char *err,
                     size_t err_size);

#endif
