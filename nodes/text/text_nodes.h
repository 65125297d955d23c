/* text_nodes.h — the node types nodes/text defines. */
#ifndef LTX2_TEXT_NODES_H
#define LTX2_TEXT_NODES_H
#include "ltx2/ltx2_plugin.h"

extern const ltx2_node_type ltx2_node_text_encode;    /* LTX2TextEncode */
extern const ltx2_node_type ltx2_node_enhance_prompt; /* LTX2EnhancePrompt */

#endif
