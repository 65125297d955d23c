/* schedules.c — LTX2Scheduler and the distilled sigma lists.
 *
 * Bit-exactness notes (checked against scheduler.json):
 *  - torch.linspace(1, 0, n) computes start + step*i for the first half and
 *    end - step*(n-1-i) for the second half, each as one fused multiply-add.
 *  - `e / t` on a tensor is reciprocal(t) * e (Tensor.__rtruediv__), not a division.
 *  - The shift and exp(shift) are python doubles, rounded to float32 when they meet
 *    the float32 tensor. */
#include "sampler/schedules.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const float distilled_stage1[] = {1.0f,    0.99375f, 0.9875f,  0.98125f, 0.975f,
                                         0.909375f, 0.725f, 0.421875f, 0.0f};
static const float distilled_stage2[] = {0.909375f, 0.725f, 0.421875f, 0.0f};

const float *ltx2_sched_distilled(int stage, int *n)
{
    if (stage == 2) {
        *n = (int)(sizeof(distilled_stage2) / sizeof(distilled_stage2[0]));
        return distilled_stage2;
    }
    *n = (int)(sizeof(distilled_stage1) / sizeof(distilled_stage1[0]));
    return distilled_stage1;
}

/* torch.linspace(1.0, 0.0, count) in float32. */
static void linspace_1_to_0(int count, float *out)
{
    const float start = 1.0f, end = 0.0f;
    const float step = count > 1 ? (end - start) / (float)(count - 1) : 0.0f;
    const int halfway = count / 2;
    for (int i = 0; i < count; i++)
        out[i] = i < halfway ? fmaf(step, (float)i, start)
                             : fmaf(-step, (float)(count - i - 1), end);
    if (count == 1)
        out[0] = start;
}

ltx2_status ltx2_sched_ltx2(int steps, int64_t tokens, double max_shift, double base_shift,
                            bool stretch, double terminal, float *out, ltx2_error *err)
{
    if (steps < 1)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "steps must be at least 1 (got %d)", steps);
    if (!(terminal >= 0.0 && terminal < 1.0))
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "terminal must be in [0, 1) (got %g)", terminal);
    if (tokens <= 0)
        tokens = LTX2_SCHED_DEFAULT_TOKENS;
    const int n = steps + 1;
    linspace_1_to_0(n, out);

    const double x1 = 1024.0, x2 = 4096.0;
    const double mm = (max_shift - base_shift) / (x2 - x1);
    const double b = base_shift - mm * x1;
    const double shift = (double)tokens * mm + b;
    const float e = (float)exp(shift);
    if (!isfinite(e) || e <= 0.0f)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "shift %g out of range (max_shift/base_shift)",
                        shift);
    for (int i = 0; i < n; i++) {
        if (out[i] == 0.0f)
            continue;
        float d = 1.0f / out[i] - 1.0f;
        d = e + d;
        out[i] = (1.0f / d) * e;
    }

    if (stretch) {
        int last = -1;
        for (int i = 0; i < n; i++)
            if (out[i] != 0.0f)
                last = i;
        if (last < 0)
            return LTX2_OK;
        const float z_last = 1.0f - out[last];
        const float scale = z_last / (float)(1.0 - terminal);
        /* The reference divides 0 by 0 here (NaN sigmas): refuse instead. */
        if (scale == 0.0f)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                            "cannot stretch: the last non-zero sigma is 1 (use more steps, "
                            "more tokens or stretch=false)");
        for (int i = 0; i < n; i++)
            if (out[i] != 0.0f)
                out[i] = 1.0f - (1.0f - out[i]) / scale;
    }
    return LTX2_OK;
}

ltx2_status ltx2_sched_parse(const char *text, float *out, int cap, int *n, ltx2_error *err)
{
    int count = 0;
    const char *p = text ? text : "";
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ',' || *p == '[' ||
               *p == ']')
            p++;
        if (!*p)
            break;
        char *end = NULL;
        double v = strtod(p, &end);
        if (end == p)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "not a number at \"%.20s\"", p);
        if (!isfinite(v) || v < 0.0 || v > 1.0)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "sigma %g is outside [0, 1]", v);
        if (count >= cap)
            return ltx2_err(err, LTX2_ERR_BAD_INPUT, "more than %d sigmas", cap);
        if (count > 0 && (float)v > out[count - 1])
            return ltx2_err(err, LTX2_ERR_BAD_INPUT,
                            "sigmas must not increase (%g after %g)", v, (double)out[count - 1]);
        out[count++] = (float)v;
        p = end;
    }
    if (count < 2)
        return ltx2_err(err, LTX2_ERR_BAD_INPUT, "need at least 2 sigmas (got %d)", count);
    *n = count;
    return LTX2_OK;
}
