/* connector.h — the LTX-2 embeddings connector (video or audio): valid tokens moved to
 * the front, the rest filled with learnable registers, 1-D transformer blocks with
 * RoPE over the token index, final RMS norm. */
#ifndef LTX2_TEXT_CONNECTOR_H
#define LTX2_TEXT_CONNECTOR_H
#include <stdint.h>
#include "error.h"
#include "common/weights.h"
#include "kernels.h"
#include "store/store.h"

typedef struct ltx2_connector_geom {
    int64_t n_heads, head_dim, n_layers, n_registers; /* 0 = from the weights / defaults */
    double theta;    /* RoPE θ */
    double max_pos;  /* positions are divided by this */
    int interleaved; /* rope_type "interleaved" (else split) */
    int f64_grid;    /* frequency grid computed in float64 */
} ltx2_connector_geom;

typedef struct ltx2_connector_block {
    kmat q, k, v, o, ff_in, ff_out;
    float *bq, *bk, *bv, *bo, *b_ff_in, *b_ff_out, *q_norm, *k_norm;
} ltx2_connector_block;

typedef struct ltx2_connector {
    ltx2_connector_geom geom;
    int64_t dim, ff_dim;
    float *registers; /* [n_registers][dim] */
    ltx2_connector_block *blocks;
    lx_resident resident; /* the blocks' weights on a device, after the first device forward */
} ltx2_connector;

/* Loads `<prefix>learnable_registers`, `<prefix>transformer_1d_blocks.{i}.*`. The
 * geometry's zero fields are filled: layers and registers from the weights, heads from
 * head_dim (default 128). Returns LTX2_OK with c->blocks == NULL when the prefix is absent. */
ltx2_status ltx2_connector_load(const ltx2_checkpoint *ckpt, const char *prefix, const ltx2_connector_geom *geom,
                                ltx2_connector *c, ltx2_error *err);
void ltx2_connector_free(ltx2_connector *c);

/* x: [n_valid][dim] (the valid tokens, in order) in ctx's memory; out: [seq_len][dim] in
 * host memory on any backend. On a device context the blocks run there: weights uploaded
 * on the first call, the registers copied in and the sequence out once. seq_len must be a
 * multiple of n_registers. */
ltx2_status ltx2_connector_forward(const kctx *ctx, const ltx2_connector *c, const float *x, int64_t n_valid,
                                   int64_t seq_len, float *out, ltx2_error *err);

#endif
