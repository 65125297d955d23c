/* dit_internal.h — pieces shared by the transformer's forward files. */
#ifndef LTX2_DIT_INTERNAL_H
#define LTX2_DIT_INTERNAL_H
#include "transformer.h"

/* n floats (64-byte aligned) from the pass's workspace kc->arena, NULL when it cannot
 * grow. Never freed one by one: a function takes k_arena_mark on entry and releases to
 * it on exit for its temporaries; the forward releases everything at its end. */
float *dit_falloc(const kctx *kc, int64_t n);

/* RoPE of one side of an attention (nodes/common/layers.h). */
typedef lx_rope dit_rope;

#endif
