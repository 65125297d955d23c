/* attention_impl.h — per-ISA entry points of k_attention and the mask rule they share. */
#ifndef LTX2_ATTENTION_IMPL_H
#define LTX2_ATTENTION_IMPL_H

#include "kbackend.h"

/* Keys [*lo, *hi) that query row i may see (causal / sliding window); empty if lo >= hi. */
static inline void k_attn_key_range(const kattn *a, int64_t i, int64_t *lo, int64_t *hi)
{
    int64_t off = a->nkv - a->nq;
    int64_t l = 0, h = a->nkv;
    if (a->causal && i + off + 1 < h) h = i + off + 1;
    if (a->window > 0 && i + off - a->window + 1 > l) l = i + off - a->window + 1;
    *lo = l;
    *hi = h;
}

/* Scratch from sc (the caller closes it). */
kstatus k_attention_avx512(const kctx *ctx, const kattn *a, kscratch *sc);
kstatus k_attention_avx2(const kctx *ctx, const kattn *a, kscratch *sc);

#endif
