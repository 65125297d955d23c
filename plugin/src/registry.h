/* registry.h — the node registry of a plugin instance, gathered from the stages. */
#ifndef LTX2_REGISTRY_H
#define LTX2_REGISTRY_H
#include <stddef.h>
#include "ltx2/ltx2_plugin.h"

#define LTX2_PLUGIN_VERSION "0.1.0"

/* Fills plugin->node_types / n_node_types; fails on a duplicate class name or a
 * malformed descriptor (a bug, reported at load time rather than at run time). */
ltx2_status ltx2_registry_build(ltx2_plugin *plugin, char *error, size_t error_size);
void ltx2_registry_free(ltx2_plugin *plugin);

#endif
