/* schedules.h — sigma schedules of the LTX-2 sampler, computed in float32 with the
 * same operation order as the reference so the values match bit for bit. */
#ifndef LTX2_SAMPLER_SCHEDULES_H
#define LTX2_SAMPLER_SCHEDULES_H
#include <stdbool.h>
#include <stdint.h>
#include "error.h"

/* The token count the reference anchors the shift to when it gets no latent. */
#define LTX2_SCHED_DEFAULT_TOKENS 4096

/* LTX2Scheduler: writes steps + 1 values into out (descending, last 0).
 * tokens <= 0 means "no latent" (4096). */
ltx2_status ltx2_sched_ltx2(int steps, int64_t tokens, double max_shift, double base_shift,
                            bool stretch, double terminal, float *out, ltx2_error *err);

/* The distilled lists: stage 1 has 9 values, stage 2 has 4. *n receives the count;
 * the array is a constant table. */
const float *ltx2_sched_distilled(int stage, int *n);

/* Parses "1.0, 0.5, 0" into out (at most cap values). Every value must be finite and
 * in [0, 1], the list non-increasing with at least 2 values. */
ltx2_status ltx2_sched_parse(const char *text, float *out, int cap, int *n, ltx2_error *err);

#endif
