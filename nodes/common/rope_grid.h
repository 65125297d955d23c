/* rope_grid.h — LTX-2's RoPE tables, shared by the transformer and the text connectors:
 * frequencies theta^(k/(F-1))·π/2 (float64 rounded once, or torch's float32 linspace +
 * powf), angles freq·(2·pos/max_pos − 1) per axis, identity slots first when the grid
 * does not fill the width. */
#ifndef LTX2_COMMON_ROPE_GRID_H
#define LTX2_COMMON_ROPE_GRID_H
#include <stdbool.h>
#include <stdint.h>

#include "kernels.h"

typedef struct lx_rope_grid {
    double theta;
    bool f64;            /* frequencies_precision "float64" */
    bool split;          /* SPLIT layout (else INTERLEAVED): where the identity slots go */
    bool middle_indices; /* position = middle of each [start, end) bound, else the start */
} lx_rope_grid;

/* cos/sin [n][dim/2] for n tokens with positions [n_axes][n][2] (bounds per token) and
 * max_pos[n_axes]; layout as k_rope wants (SPLIT slot h·(head_dim/2)+j, INTERLEAVED one
 * value per rotated pair). positions, cos and sin in kc's memory (k_rope_table computes
 * them there); round_bf16 rounds the values (fast precision). */
kstatus lx_rope_tables(const kctx *kc, const lx_rope_grid *g, int64_t n, int n_axes, const float *positions,
                       const double *max_pos, int dim, bool round_bf16, float *cos, float *sin);

#endif
