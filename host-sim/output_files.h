/* output_files.h — the files an output node wrote, as the `output` of
 * ComfyUI's `executed` message ({"images": [{filename, subfolder, type}]}). */
#ifndef HS_OUTPUT_FILES_H
#define HS_OUTPUT_FILES_H
#include "graph.h"

struct json_object;

/* Looks at the node's literal `path` (that file) and `filename_prefix` (files of
 * that folder starting with the prefix, modified since since_ms). subfolder is
 * relative to output_dir when the file lies under it. Key: "images" for IMAGE
 * or VIDEO inputs (VIDEO adds "animated": [true]), "audio" for AUDIO, else
 * "x_ltx_files". New object. */
struct json_object *hs_output_ui(const hs_node *n, const char *output_dir, long long since_ms);

#endif
