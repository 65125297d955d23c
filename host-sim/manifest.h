/* manifest.h — `host-sim list` / `host-sim manifest`: the node descriptors as
 * ComfyUI's /object_info document. */
#ifndef HS_MANIFEST_H
#define HS_MANIFEST_H
#include "ltx2/ltx2_plugin.h"

/* The plugin's node types sorted by class name, NULL-terminated (free() it). */
const ltx2_node_type **hs_sorted_types(const ltx2_plugin *p);
/* The manifest as pretty JSON ending in a newline (free() it); NULL on OOM. */
char *hs_manifest_json(const ltx2_plugin *p);

#endif
