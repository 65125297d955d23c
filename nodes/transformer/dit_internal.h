/* dit_internal.h — pieces shared by the transformer's forward files. */
#ifndef LTX2_DIT_INTERNAL_H
#define LTX2_DIT_INTERNAL_H
#include "transformer.h"

/* n floats (64-byte aligned) from the pass's workspace kc->arena, NULL when it cannot
 * grow. Never freed one by one: a function takes k_arena_mark on entry and releases to
 * it on exit for its temporaries; the forward releases everything at its end. */
float *dit_falloc(const kctx *kc, int64_t n);

/* RoPE for one side of an attention: cos/sin [tokens][dim/2], rotated over heads of
 * head_dim (SPLIT) or adjacent pairs (INTERLEAVED). NULL cos = no RoPE. */
typedef struct dit_rope {
    const float *cos, *sin;
    int dim, head_dim;
    krope_layout layout;
} dit_rope;

/* out[nq][outdim] = attention module a with queries from xq [nq][qdim] and keys/values
 * from xkv [nkv][kvdim]. key_bias [nkv] or NULL. */
ltx2_status dit_attention(const kctx *kc, const ltx2_dit_attn *a, float eps, int64_t nq,
                          const float *xq, int64_t nkv, const float *xkv, const dit_rope *rq,
                          const dit_rope *rk, const float *key_bias, float *out);
/* out[n][dim] = ff(x) (chunked over tokens to bound the hidden buffer). */
ltx2_status dit_ff(const kctx *kc, const ltx2_dit_ff *f, int64_t n, const float *x, float *out);

#endif
