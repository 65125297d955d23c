/* weights_internal.h — what weights.c (resident weights) and weights_stream.c (planned
 * and streamed residency) share. */
#ifndef LTX2_COMMON_WEIGHTS_INTERNAL_H
#define LTX2_COMMON_WEIGHTS_INTERNAL_H
#include "common/weights.h"

/* Sizes, allocates (k_alloc on dev) and fills one block with what stays on the device:
 * every weight of the mirror (plan NULL, ops walks), or the fixed weights and the units the plan
 * keeps resident; the mirror's slots point into it afterwards. Errors name `what` and
 * the bytes. */
ltx2_status lx_place_block(const kctx *dev, const lx_mirror_ops *ops, const lx_unit_ops *units, void *mirror,
                           const lx_plan *plan,
                           const char *what, void **block, size_t *bytes, ltx2_error *err);
/* Frees the pinned images and the ring of a streamed residency (NULL-safe). */
void lx_streamed_free(const kctx *dev, lx_streamed *s);

#endif
