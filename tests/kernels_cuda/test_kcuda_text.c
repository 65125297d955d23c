/* test_kcuda_text.c — the CUDA twins of the text encoder's steps (k_embed_rows,
 * k_sum_min_max) against the CPU kernels on fresh random inputs. The gather rounds its
 * two products as the CPU does (exact, for f32 and bf16 tables, rows with negative or
 * too large ids left untouched); min and max are exact, the double sums agree to 1e-12
 * relative (a different summation order). Exits 77 without a GPU. */
#include "kcuda_test.h"

static void check_embed(kcheck *k, const kctx *g, const kctx *c, krng *r, kdtype dt)
{
    kcuda *d = g->cuda;
    const int64_t V = 61, D = 45, ld = 48, n = 23, ldy = 50;
    float *tf = rand_buf(r, V * ld, 2);
    const size_t esz = k_dtype_size(dt);
    void *table = malloc((size_t)(V * ld) * esz);
    for (int64_t i = 0; i < V * ld; i++) {
        if (dt == KD_BF16) ((uint16_t *)table)[i] = k_f32_to_bf16(tf[i]);
        else ((float *)table)[i] = tf[i];
    }
    int32_t ids[23];
    for (int64_t t = 0; t < n; t++) ids[t] = (int32_t)(rng_uniform(r) * (double)V);
    ids[3] = -1, ids[9] = (int32_t)V; /* left as they are */
    float *want = rand_buf(r, n * ldy, 1);
    float *yd = dev_f32(d, want, n * ldy);
    kmat h = {.dtype = dt, .data = table, .rows = V, .cols = D, .ld = ld, .scale = 0.75f};
    kmat w = h;
    w.data = dev_bytes(d, table, (size_t)(V * ld) * esz);
    int32_t *idd = dev_bytes(d, ids, sizeof ids);
    CPU(k_embed_rows(c, &h, ids, n, 61.96773f, want, ldy));
    die_on(kcuda_embed_rows(g, &w, idd, n, 61.96773f, yd, ldy), d, "embed_rows");
    check_dev(k, d, dt == KD_BF16 ? "embed_rows (bf16 table)" : "embed_rows (f32 table)", yd, want, n * ldy, 0);
    kcuda_free(d, (void *)w.data), kcuda_free(d, idd), kcuda_free(d, yd);
    free(tf), free(table), free(want);
}

int main(void)
{
    kcheck k = {0};
    krng r;
    kctx g = kcuda_test_begin(&r, 0x243f6a8885a308d3ull), c = kctx_default(NULL);
    kcuda *d = g.cuda;
    check_embed(&k, &g, &c, &r, KD_F32);
    check_embed(&k, &g, &c, &r, KD_BF16);

    /* statistics of 7 slabs of 100003 values (a non-power-of-two tail per block) */
    const int64_t S = 7, n = 100003;
    float *x = rand_buf(&r, S * n, 5);
    for (int64_t s = 0; s < S; s++) x[s * n + (s * 977) % n] = 40.0f + (float)s; /* a known maximum */
    double sum[7], dsum[7];
    float lo[7], hi[7], dlo[7], dhi[7];
    CPU(k_sum_min_max(&c, S, n, x, sum, lo, hi));
    float *xd = dev_f32(d, x, S * n);
    die_on(kcuda_sum_min_max(&g, S, n, xd, dsum, dlo, dhi), d, "sum_min_max");
    int bad = 0;
    for (int64_t s = 0; s < S; s++)
        bad += fabs(dsum[s] - sum[s]) > 1e-12 * (fabs(sum[s]) + (double)n) || dlo[s] != lo[s] || dhi[s] != hi[s] ||
               hi[s] != 40.0f + (float)s;
    printf("%s sum_min_max: %d of %lld slabs differ\n", bad ? "FAIL" : "ok  ", bad, (long long)S);
    k.checks++, k.failures += bad != 0;
    kcuda_free(d, xd);
    free(x);
    kcuda_destroy(d);
    printf("%d checks, %d failed\n", k.checks, k.failures);
    return k.failures ? 1 : 0;
}
